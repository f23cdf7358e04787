//! The vault's errors.

use std::path::PathBuf;

use alloy_primitives::Address;

use rusqlite::ErrorCode;

use crate::chains::ChainError;
use crate::keys::{HdError, MnemonicError};
use crate::recovery::shamir::Slip39Error;

use super::{MAX_NAME_CHARS, SecureStoreError};

/// Errors from the vault. Messages never contain secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// There is no vault file at the path.
    #[error("there is no wallet file at {0}")]
    NotFound(PathBuf),
    /// A file already exists where a new vault was to be created.
    #[error("a file already exists at {0}; open it or choose another place")]
    AlreadyExists(PathBuf),
    /// The file is a database, but not a Harbor vault.
    #[error("this file is not a Harbor wallet file")]
    NotAVault,
    /// The file is damaged (truncated, overwritten, or a record failed its integrity check).
    #[error(
        "the wallet file is damaged ({0}); restore it from a backup or from the recovery phrase"
    )]
    Corrupted(String),
    /// The file was written by a newer Harbor.
    #[error(
        "this wallet file was written by a newer Harbor (schema {found}, this build knows {supported}); update Harbor"
    )]
    TooNew {
        /// Schema version in the file.
        found: i64,
        /// Newest version this build understands.
        supported: i64,
    },
    /// Another Harbor process has the vault open.
    #[error("the wallet file is open in another Harbor window or process")]
    InUse,
    /// The operation needs the vault to be unlocked.
    #[error("the wallet is locked; unlock it first")]
    Locked,
    /// The password does not unlock the vault.
    #[error("wrong password")]
    WrongPassword,
    /// The new password is too short.
    #[error("the password must have at least {min} characters")]
    PasswordTooShort {
        /// Minimum number of characters.
        min: usize,
    },
    /// Argon2 parameters below the floor of [`KdfParams::LIGHT`].
    #[error("the key-derivation settings are weaker than the minimum (19 MiB, 2 passes, 1 lane)")]
    WeakKdfParams,
    /// Argon2 parameters that are out of range.
    #[error("the key-derivation settings are out of range")]
    InvalidKdfParams,
    /// A wallet or account name that is empty or too long.
    #[error("names must have 1 to {MAX_NAME_CHARS} characters")]
    InvalidName,
    /// No wallet with that id.
    #[error("no wallet with id {0}")]
    WalletNotFound(String),
    /// No account with that index in the wallet.
    #[error("wallet {wallet_id} has no account number {index}")]
    AccountNotFound {
        /// The wallet.
        wallet_id: String,
        /// The account index asked for.
        index: u32,
    },
    /// The key is already in the vault.
    #[error("this key is already in the wallet \"{existing}\"")]
    AlreadyImported {
        /// Name of the wallet that holds it.
        existing: String,
    },
    /// The operation needs a wallet created from a recovery phrase.
    #[error(
        "this wallet was imported from a private key; it has no recovery phrase or further accounts"
    )]
    NotAMnemonicWallet,
    /// Paper shares cannot carry a BIP-39 passphrase, so they would restore a different wallet.
    #[error(
        "this wallet uses a recovery-phrase passphrase, which paper shares cannot hold; back it \
         up with guardians or the phrase and passphrase instead"
    )]
    PassphraseNotInShares,
    /// Paper shares restored a wallet whose first address is not the one written beside them
    /// (usually: another language than the original phrase's was chosen).
    #[error(
        "these paper shares give a wallet whose first address is {found}, not {expected}: check \
         the language of the recovery phrase written beside the shares"
    )]
    SharesGiveAnotherWallet {
        /// The address written beside the shares.
        expected: Address,
        /// The address the shares give in the chosen language.
        found: Address,
    },
    /// Splitting or combining paper shares failed.
    #[error(transparent)]
    Shares(#[from] Slip39Error),
    /// Keyring unlock was asked for but was never enabled for this vault.
    #[error("unlocking with the system keyring is not enabled for this wallet")]
    KeyringNotEnabled,
    /// The keyring no longer holds this vault's key (cleared by the user or the system).
    #[error("the system keyring no longer holds this wallet's key; unlock with the password")]
    KeyringKeyMissing,
    /// The keyring could not be used.
    #[error(transparent)]
    SecureStore(#[from] SecureStoreError),
    /// A recovery phrase was rejected.
    #[error(transparent)]
    Mnemonic(#[from] MnemonicError),
    /// A network definition was rejected.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// Key derivation failed.
    #[error(transparent)]
    Hd(#[from] HdError),
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed")]
    RandomSource,
    /// The database reported an error (disk full, permissions …).
    #[error("the wallet file could not be read or written: {0}")]
    Storage(String),
}

crate::classified!(
    VaultError,
    |e: &VaultError| {
        use crate::error::ErrorKind;
        match e {
            VaultError::NotFound(_) => ErrorKind::NoWallet,
            VaultError::WrongPassword => ErrorKind::WrongPassword,
            VaultError::Locked => ErrorKind::Locked,
            VaultError::NotAVault
            | VaultError::Corrupted(_)
            | VaultError::TooNew { .. }
            | VaultError::InUse
            | VaultError::Storage(_) => ErrorKind::Storage,
            VaultError::AlreadyExists(_)
            | VaultError::PasswordTooShort { .. }
            | VaultError::WeakKdfParams
            | VaultError::InvalidKdfParams
            | VaultError::InvalidName
            | VaultError::AlreadyImported { .. }
            | VaultError::NotAMnemonicWallet => ErrorKind::InvalidInput,
            VaultError::WalletNotFound(_) | VaultError::AccountNotFound { .. } => {
                ErrorKind::NotFound
            }
            VaultError::PassphraseNotInShares | VaultError::SharesGiveAnotherWallet { .. } => {
                ErrorKind::InvalidShares
            }
            VaultError::Shares(inner) => inner.kind(),
            VaultError::KeyringNotEnabled | VaultError::KeyringKeyMissing => ErrorKind::SecureStore,
            VaultError::SecureStore(inner) => inner.kind(),
            VaultError::Mnemonic(inner) => inner.kind(),
            VaultError::Chain(inner) => inner.kind(),
            VaultError::Hd(inner) => inner.kind(),
            VaultError::RandomSource => ErrorKind::Internal,
        }
    },
    |e: &VaultError| match e {
        VaultError::Mnemonic(inner) => inner.word_positions(),
        _ => Vec::new(),
    }
);

impl From<rusqlite::Error> for VaultError {
    fn from(error: rusqlite::Error) -> Self {
        match error.sqlite_error_code() {
            Some(ErrorCode::DatabaseCorrupt) => Self::Corrupted("the database is malformed".into()),
            Some(ErrorCode::NotADatabase) => {
                Self::Corrupted("the file is not a readable database".into())
            }
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Self::InUse,
            _ => Self::Storage(error.to_string()),
        }
    }
}
