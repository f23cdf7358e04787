//! Why a wallet operation failed: the application layer's own reasons, and every error of the
//! engine underneath, each answering its [`ErrorKind`].

use alloy_primitives::Address;

use crate::aa::SendError;
use crate::chains::ChainError;
use crate::error::ErrorKind;
use crate::evm::TypedDataError;
use crate::keys::{KeyError, MnemonicError, SignError};
use crate::recovery::RecoveryError;
use crate::recovery::shamir::Slip39Error;
use crate::rpc::RpcError;
use crate::tokens::AmountError;
use crate::vault::VaultError;

/// Why a wallet operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// Text that is not an address.
    #[error("\u{201c}{0}\u{201d} is not an address (0x followed by 40 hex characters)")]
    InvalidAddress(String),
    /// An address no key of this wallet controls.
    #[error("{0} is not an account of this wallet")]
    NotYourAccount(Address),
    /// A send of nothing.
    #[error("the amount must be more than zero")]
    ZeroAmount,
    /// More than the account holds.
    #[error("this account has {available} {symbol}, less than {amount} {symbol}")]
    InsufficientFunds {
        /// What it holds, formatted.
        available: String,
        /// What was asked, formatted.
        amount: String,
        /// The coin or token.
        symbol: String,
    },
    /// A language code that is not a recovery-phrase language.
    #[error("{0:?} is not a recovery-phrase language")]
    UnknownLanguage(String),
    /// A recovery needs a key on this device to take over.
    #[error("create a wallet on this device first; its key takes over")]
    NoKeyForRecovery,
    /// A recovery that is not (or no longer) on this device.
    #[error("this recovery is no longer on this device")]
    RecoveryNotFound(String),
    /// A wallet with no account (the vault is inconsistent).
    #[error("the wallet {0} has no account")]
    EmptyWallet(String),
    /// A saved recovery that does not say where its key is.
    #[error("the recovery does not say where its new key is kept")]
    RecoveryKeyMissing,
    /// A recovered account that does not exist yet on a chain cannot sign there with the new key.
    #[error(
        "this account does not exist on chain {chain_id} yet, and the key on this device is not its first key; send something on that chain first"
    )]
    NotDeployedForThisKey {
        /// The chain.
        chain_id: u64,
    },
    /// The vault refused.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// A send failed.
    #[error(transparent)]
    Send(#[from] SendError),
    /// A recovery step failed.
    #[error(transparent)]
    Recovery(#[from] RecoveryError),
    /// A node could not be used.
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// A network's settings are not valid.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A gas sponsor's profile was refused.
    #[error(transparent)]
    Sponsor(#[from] crate::chains::SponsorError),
    /// An amount is not valid.
    #[error(transparent)]
    Amount(#[from] AmountError),
    /// A recovery phrase is not valid.
    #[error(transparent)]
    Mnemonic(#[from] MnemonicError),
    /// Paper shares are not valid.
    #[error(transparent)]
    Shares(#[from] Slip39Error),
    /// A private key is not valid.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Typed data that cannot be signed.
    #[error(transparent)]
    TypedData(#[from] TypedDataError),
    /// The key could not sign.
    #[error(transparent)]
    Sign(#[from] SignError),
}

crate::classified!(
    WalletError,
    |e: &WalletError| match e {
        WalletError::InvalidAddress(_)
        | WalletError::ZeroAmount
        | WalletError::UnknownLanguage(_)
        | WalletError::NoKeyForRecovery => ErrorKind::InvalidInput,
        WalletError::NotYourAccount(_) | WalletError::RecoveryNotFound(_) => ErrorKind::NotFound,
        WalletError::InsufficientFunds { .. } => ErrorKind::InsufficientFunds,
        WalletError::EmptyWallet(_) | WalletError::RecoveryKeyMissing => ErrorKind::Storage,
        WalletError::NotDeployedForThisKey { .. } => ErrorKind::Rejected,
        WalletError::Vault(inner) => inner.kind(),
        WalletError::Send(inner) => inner.kind(),
        WalletError::Recovery(inner) => inner.kind(),
        WalletError::Rpc(inner) => inner.kind(),
        WalletError::Chain(inner) => inner.kind(),
        WalletError::Sponsor(inner) => inner.kind(),
        WalletError::Amount(inner) => inner.kind(),
        WalletError::Mnemonic(inner) => inner.kind(),
        WalletError::Shares(inner) => inner.kind(),
        WalletError::Key(inner) => inner.kind(),
        WalletError::TypedData(inner) => inner.kind(),
        WalletError::Sign(inner) => inner.kind(),
    },
    |e: &WalletError| match e {
        WalletError::Vault(inner) => inner.word_positions(),
        WalletError::Mnemonic(inner) => inner.word_positions(),
        _ => Vec::new(),
    }
);
