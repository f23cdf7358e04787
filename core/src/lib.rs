#![doc = include_str!("../README.md")]

pub mod aa;
pub mod chains;
pub mod codes;
pub mod contacts;
pub mod dapp;
pub mod error;
pub mod evm;
pub mod keys;
pub mod recovery;
#[cfg(feature = "net")]
pub mod rpc;
pub mod tokens;
#[cfg(feature = "vault")]
pub mod vault;
#[cfg(all(feature = "vault", feature = "net"))]
pub mod wallet;

pub use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
