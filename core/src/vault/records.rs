//! The vault's plain records: wallets, accounts, activity, paper shares, exports.

use alloy_primitives::Address;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::keys::Language;

use super::VaultError;

/// How a wallet's keys came into the vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WalletKind {
    /// A BIP-39 recovery phrase (any number of accounts).
    Mnemonic,
    /// A single imported private key.
    PrivateKey,
}

impl WalletKind {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Mnemonic => "mnemonic",
            Self::PrivateKey => "private_key",
        }
    }

    pub(super) fn parse(text: &str) -> Result<Self, VaultError> {
        match text {
            "mnemonic" => Ok(Self::Mnemonic),
            "private_key" => Ok(Self::PrivateKey),
            other => Err(VaultError::Corrupted(format!(
                "unknown wallet kind {other:?}"
            ))),
        }
    }
}

/// A wallet as listed to the user (no secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletInfo {
    /// Stable random id.
    pub id: String,
    /// The user's name for it.
    pub name: String,
    /// Recovery phrase or private key.
    pub kind: WalletKind,
    /// Creation time, seconds since the Unix epoch.
    pub created_at: i64,
}

/// A phrase wallet split into SLIP-39 paper shares, with what must be written beside them.
#[derive(Debug)]
pub struct PaperShares {
    /// The shares, one list per group (each share is secret).
    pub groups: Vec<Vec<Zeroizing<String>>>,
    /// The recovery phrase's language: restoring in another language gives another wallet.
    pub language: Language,
    /// The wallet's first address, to check a restore against.
    pub first_address: Address,
}

/// What happened to an operation in the activity list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ActivityStatus {
    /// Sent, not included yet.
    Pending,
    /// Included and succeeded.
    Confirmed,
    /// Refused or reverted.
    Failed,
}

/// One operation of an account, as the activity list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityEntry {
    /// Stable id (the UserOperation hash, or the transaction hash).
    pub id: String,
    /// Chain id.
    pub chain_id: u64,
    /// The account that acted.
    pub account: Address,
    /// What it was, in words ("Sent 12.5 USDC to 0x…", "Guardians changed").
    pub description: String,
    /// Where it stands.
    pub status: ActivityStatus,
    /// The transaction that included it.
    pub transaction_hash: Option<String>,
    /// Gas cost in wei (decimal), once known.
    pub gas_cost_wei: Option<String>,
    /// The sponsor that paid the gas (`None`: the account paid).
    pub sponsor: Option<String>,
    /// Why it failed, in words.
    pub error: Option<String>,
    /// Seconds since the Unix epoch.
    pub created_at: i64,
    /// For a transfer: what was sent, so the list can describe it in the user's language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<TransferSummary>,
}

/// The transfer an activity entry made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferSummary {
    /// The recipient.
    pub to: Address,
    /// The amount as the user typed it ("12.5").
    pub amount: String,
    /// The coin or token ticker.
    pub symbol: String,
}

/// An account (one address) of a wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    /// The wallet it belongs to.
    pub wallet_id: String,
    /// Index within the wallet (the last BIP-44 path component for phrase wallets).
    pub index: u32,
    /// The user's name for it.
    pub name: String,
    /// Its address.
    pub address: Address,
    /// The derivation path, for phrase wallets.
    pub path: Option<String>,
}

/// A recovery phrase and passphrase given back to the user for a backup.
pub struct ExportedMnemonic {
    /// The words, joined by the language's separator.
    pub phrase: Zeroizing<String>,
    /// The optional BIP-39 passphrase ("" when none was set).
    pub passphrase: Zeroizing<String>,
}

impl std::fmt::Debug for ExportedMnemonic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExportedMnemonic(<redacted>)")
    }
}
