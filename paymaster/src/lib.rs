//! `harbor-paymaster`: Harbor's gas sponsorship relay.
//!
//! It speaks ERC-7677 (`pm_getPaymasterStubData`, `pm_getPaymasterData`) so any wallet or SDK
//! can ask it to sponsor a UserOperation, and ERC-7769 (`eth_sendUserOperation` …) so it can
//! also submit the operations it sponsored, from its own relayer key. Policies per app and chain
//! bound what it signs; spend is reserved in the database (SQLite for one instance, PostgreSQL
//! for several) when it signs and settled from EntryPoint logs.

pub mod accounts;
pub mod admin;
pub mod alerts;
pub mod approval;
pub mod chain;
pub mod config;
pub mod deploy;
pub mod error;
pub mod keys;
pub mod metrics;
pub mod pricing;
pub mod profile;
pub mod registry;
pub mod relay;
pub mod rpc;
pub mod server;
pub mod sponsor;
pub mod store;
pub mod validation;
mod watcher;

pub use config::Config;
pub use relay::Relay;
