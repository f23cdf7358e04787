//! Vault
