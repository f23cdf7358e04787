//! The encrypted vault: wallets, accounts and networks in one crash-safe SQLite file.
//!
//! Every secret (recovery phrase entropy and passphrase, private keys) is sealed with
//! XChaCha20-Poly1305 under a random *data key*. The associated data binds each ciphertext to
//! its table, row id, kind and format version, so a ciphertext moved to another row fails to
//! open. The data key itself is stored only wrapped: by an Argon2id key from the password, and
//! optionally by a random key held in a [`SecureStore`] (the OS keyring).
//!
//! Names, account addresses and networks are stored in clear; addresses are shown only once
//! checked against their keys (so unlocked). Nothing that can sign or recover a key is in clear.
//!
//! One job per file: `file` (create, open, integrity), `unlock` (password, keyring, key
//! wrapping), `secrets` (the sealed wallet secret), `wallets` (wallets, accounts, signers, paper
//! shares), `chains`, `activity`, `contacts`, `dapp` (connected sites, their batches, watched tokens), `recovery` (guardian names, recoveries in
//! progress), `records` (the plain data types), `error`, `schema`, `crypto`.
//!
//! Durability: WAL journal with `synchronous = FULL`, every change in one transaction, and an
//! exclusive lock so only one process writes a vault at a time.

mod activity;
mod chains;
mod contacts;
mod crypto;
mod dapp;
mod error;
mod file;
mod keyring;
mod records;
mod recovery;
mod schema;
mod secrets;
mod unlock;
mod wallets;

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use alloy_primitives::{Address, B256};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use zeroize::Zeroizing;

use crate::chains::{Chain, ChainRegistry, Sponsor, SponsorProfile};
use crate::keys::{DerivationPath, HdRoot, Language, LocalSigner, Mnemonic, Signer, random_array};
use crate::recovery::shamir::{self, SplitOptions};
use crate::recovery::{Guardian, GuardianKind, RecoverySession};
use crypto::{KEY_LEN, associated_data, key_from_slice, new_key, new_salt, open, seal};

pub use crypto::KdfParams;
pub use dapp::{DappBatch, DappSession, PairedClient, WatchedToken};
pub use error::VaultError;
#[cfg(feature = "os-keyring")]
pub use keyring::OsKeyring;
pub use keyring::{MemoryStore, SecureStore, SecureStoreError};
pub use records::{
    AccountInfo, ActivityEntry, ActivityStatus, ExportedMnemonic, PaperShares, TransferSummary,
    WalletInfo, WalletKind,
};

/// Shortest password the vault accepts.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest wallet or account name.
pub(crate) const MAX_NAME_CHARS: usize = 64;
/// Value of the `format` row in `meta`, identifying a Harbor vault.
const FORMAT_TAG: &str = "harbor-vault";

/// An open vault file; locked until [`Vault::unlock`] succeeds.
pub struct Vault {
    conn: Connection,
    path: PathBuf,
    vault_id: String,
    data_key: Option<Zeroizing<[u8; KEY_LEN]>>,
    /// Keys derived since the last unlock (deriving from a phrase costs milliseconds); wiped,
    /// like the data key, on lock.
    signers: std::sync::Mutex<std::collections::HashMap<(String, u32), LocalSigner>>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("path", &self.path)
            .field("unlocked", &self.is_unlocked())
            .finish_non_exhaustive()
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn check_password(password: &str) -> Result<(), VaultError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(VaultError::PasswordTooShort {
            min: MIN_PASSWORD_CHARS,
        });
    }
    Ok(())
}

fn clean_name(name: &str) -> Result<String, VaultError> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(VaultError::InvalidName);
    }
    Ok(name.to_owned())
}

fn open_connection(path: &Path, flags: OpenFlags) -> Result<Connection, VaultError> {
    let conn = Connection::open_with_flags(path, flags)?;
    // One process at a time: the lock is taken at the first read and held until close. In WAL
    // mode this also keeps the WAL index in process memory instead of a shared-memory file.
    conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
    conn.busy_timeout(std::time::Duration::from_secs(2))?;
    Ok(conn)
}

/// Removes a SQLite file with its journal files, ignoring what is not there.
fn remove_with_sidecars(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

fn kdf_json(params: &KdfParams) -> Result<String, VaultError> {
    serde_json::to_string(params).map_err(|e| VaultError::Storage(e.to_string()))
}

/// A random 16-hex-character id.
fn hex_id() -> Result<String, VaultError> {
    let bytes: [u8; 8] = random_array().map_err(|_| VaultError::RandomSource)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
