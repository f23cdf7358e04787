//! The encrypted vault: wallets, accounts and networks in one crash-safe SQLite file.
//!
//! Every secret (recovery phrase entropy and passphrase, private keys) is sealed with
//! XChaCha20-Poly1305 under a random *data key*. The associated data binds each ciphertext to
//! its table, row id, kind and format version, so a ciphertext moved to another row fails to
//! open. The data key itself is stored only wrapped: by an Argon2id key from the password, and
//! optionally by a random key held in a [`SecureStore`] (the OS keyring).
//!
//! Names, account addresses and networks are stored in clear so a locked wallet can still show
//! balances; nothing that can sign or recover a key is.
//!
//! Durability: WAL journal with `synchronous = FULL`, every change in one transaction, and an
//! exclusive lock so only one process writes a vault at a time.

mod crypto;
mod keyring;
mod schema;

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use alloy_primitives::Address;
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::chains::{Chain, ChainError, ChainRegistry};
use crate::keys::{
    DerivationPath, HdError, HdRoot, Language, LocalSigner, Mnemonic, MnemonicError, Signer,
    random_array,
};
use crate::recovery::shamir::{self, Slip39Error, SplitOptions};
use crate::recovery::{Guardian, GuardianKind, RecoverySession};
use crypto::{KEY_LEN, associated_data, key_from_slice, new_key, new_salt, open, seal};

pub use crypto::KdfParams;
#[cfg(feature = "os-keyring")]
pub use keyring::OsKeyring;
pub use keyring::{MemoryStore, SecureStore, SecureStoreError};

/// Shortest password the vault accepts.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest wallet or account name.
const MAX_NAME_CHARS: usize = 64;
/// Value of the `format` row in `meta`, identifying a Harbor vault.
const FORMAT_TAG: &str = "harbor-vault";

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
    fn as_str(self) -> &'static str {
        match self {
            Self::Mnemonic => "mnemonic",
            Self::PrivateKey => "private_key",
        }
    }

    fn parse(text: &str) -> Result<Self, VaultError> {
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

/// The first account address (m/44'/60'/0'/0/0) of a phrase without passphrase.
fn first_address(mnemonic: &Mnemonic) -> Result<Address, VaultError> {
    let root = HdRoot::from_seed(&mnemonic.to_seed(""))?;
    Ok(root.derive_signer(&DerivationPath::ethereum(0))?.address())
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

/// The secret of one wallet, as sealed in its row.
enum WalletSecret {
    Mnemonic {
        mnemonic: Mnemonic,
        passphrase: Zeroizing<String>,
    },
    PrivateKey(LocalSigner),
}

impl WalletSecret {
    /// Encodes: phrase = `language (1) ‖ entropy length (1) ‖ entropy ‖ passphrase (UTF-8)`;
    /// private key = its 32 bytes.
    fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(80));
        match self {
            Self::Mnemonic {
                mnemonic,
                passphrase,
            } => {
                let language = Language::ALL
                    .iter()
                    .position(|l| *l == mnemonic.language())
                    .unwrap_or(0);
                let entropy = mnemonic.entropy();
                out.push(language as u8);
                out.push(entropy.len() as u8);
                out.extend_from_slice(&entropy);
                out.extend_from_slice(passphrase.as_bytes());
            }
            Self::PrivateKey(signer) => out.extend_from_slice(signer.to_bytes().as_ref()),
        }
        out
    }

    fn decode(kind: WalletKind, bytes: &[u8]) -> Result<Self, VaultError> {
        let damaged = || VaultError::Corrupted("a wallet record does not decode".into());
        match kind {
            WalletKind::PrivateKey => LocalSigner::from_slice(bytes)
                .map(Self::PrivateKey)
                .map_err(|_| damaged()),
            WalletKind::Mnemonic => {
                let [language, len, rest @ ..] = bytes else {
                    return Err(damaged());
                };
                let language = *Language::ALL
                    .get(usize::from(*language))
                    .ok_or_else(damaged)?;
                let len = usize::from(*len);
                if rest.len() < len {
                    return Err(damaged());
                }
                let (entropy, passphrase) = rest.split_at(len);
                let mnemonic = Mnemonic::from_entropy(language, entropy).map_err(|_| damaged())?;
                let passphrase = std::str::from_utf8(passphrase).map_err(|_| damaged())?;
                Ok(Self::Mnemonic {
                    mnemonic,
                    passphrase: Zeroizing::new(passphrase.to_owned()),
                })
            }
        }
    }

    fn hd_root(&self) -> Result<HdRoot, VaultError> {
        match self {
            Self::Mnemonic {
                mnemonic,
                passphrase,
            } => Ok(HdRoot::from_seed(&mnemonic.to_seed(passphrase))?),
            Self::PrivateKey(_) => Err(VaultError::NotAMnemonicWallet),
        }
    }
}

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

/// The password row: Argon2 parameters, salt and the wrapped data key.
struct PasswordKey {
    params: KdfParams,
    salt: Vec<u8>,
    wrapped: Vec<u8>,
}

impl Vault {
    /// Creates a new, empty vault at `path`, protected by `password`, and returns it unlocked.
    ///
    /// The file is built under a temporary name of its own and linked into place only when
    /// complete, so an interrupted creation never leaves a half-made vault at `path`, and of two
    /// creations at once one wins and the other gets [`VaultError::AlreadyExists`].
    pub fn create(path: &Path, password: &str, params: KdfParams) -> Result<Self, VaultError> {
        check_password(password)?;
        params.validate()?;
        if path.exists() {
            return Err(VaultError::AlreadyExists(path.to_owned()));
        }
        // A name of its own for this attempt: two creations of the same path never touch each
        // other's files; the first to link its complete file into place wins.
        let mut temp = path.as_os_str().to_owned();
        temp.push(format!(".creating-{}", hex_id()?));
        let temp = PathBuf::from(temp);
        let data_key = new_key()?;
        let vault_id = hex_id()?;
        let built = Self::build_new(&temp, &data_key, &vault_id, password, params);
        if let Err(e) = built {
            remove_with_sidecars(&temp);
            return Err(e);
        }
        // A hard link never replaces an existing file (unlike rename): one winner, the others
        // get "already exists" and leave nothing behind.
        let linked = std::fs::hard_link(&temp, path);
        remove_with_sidecars(&temp);
        match linked {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(VaultError::AlreadyExists(path.to_owned()));
            }
            Err(e) => return Err(VaultError::Storage(e.to_string())),
        }
        let mut vault = Self::open(path)?;
        vault.data_key = Some(data_key);
        Ok(vault)
    }

    /// Writes a complete new vault file at `temp`.
    fn build_new(
        temp: &Path,
        data_key: &Zeroizing<[u8; KEY_LEN]>,
        vault_id: &str,
        password: &str,
        params: KdfParams,
    ) -> Result<(), VaultError> {
        let mut conn = open_connection(
            temp,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        )?;
        schema::configure(&conn)?;
        schema::migrate(&mut conn)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('format', ?1)",
            [FORMAT_TAG],
        )?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('vault_id', ?1)",
            [vault_id],
        )?;
        let key = Self::wrap_with_password(data_key, password, params)?;
        tx.execute(
            "INSERT INTO unlock_keys (kind, kdf, salt, wrapped, updated_at)
             VALUES ('password', ?1, ?2, ?3, ?4)",
            params![kdf_json(&key.params)?, key.salt, key.wrapped, now()],
        )?;
        tx.commit()?;
        conn.close().map_err(|(_, e)| VaultError::from(e))?;
        Ok(())
    }

    /// Opens an existing vault, locked. Checks the file's integrity and upgrades its schema.
    pub fn open(path: &Path) -> Result<Self, VaultError> {
        let meta = std::fs::metadata(path).map_err(|_| VaultError::NotFound(path.to_owned()))?;
        if meta.len() == 0 {
            return Err(VaultError::Corrupted("the file is empty".into()));
        }
        let mut conn = open_connection(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        let version = schema::version(&conn)?;
        // The full check: `quick_check` does not compare indexes with their tables, and a damaged
        // index can hide rows (a wallet's accounts) without any error. Vaults are small.
        let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(VaultError::Corrupted(format!(
                "integrity check failed: {check}"
            )));
        }
        if version == 0 {
            return Err(VaultError::NotAVault);
        }
        if version > schema::CURRENT_VERSION {
            return Err(VaultError::TooNew {
                found: version,
                supported: schema::CURRENT_VERSION,
            });
        }
        schema::configure(&conn)?;
        let format: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'format'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|_| VaultError::NotAVault)?;
        if format.as_deref() != Some(FORMAT_TAG) {
            return Err(VaultError::NotAVault);
        }
        schema::migrate(&mut conn)?;
        let vault_id: String = conn
            .query_row("SELECT value FROM meta WHERE key = 'vault_id'", [], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or_else(|| VaultError::Corrupted("the vault id is missing".into()))?;
        Ok(Self {
            conn,
            path: path.to_owned(),
            vault_id,
            data_key: None,
            signers: Default::default(),
        })
    }

    /// The file this vault lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether secrets can be used now.
    pub fn is_unlocked(&self) -> bool {
        self.data_key.is_some()
    }

    /// Forgets the data key; the vault stays open for listing.
    pub fn lock(&mut self) {
        self.data_key = None;
        self.forget_signers();
    }

    fn forget_signers(&self) {
        if let Ok(mut signers) = self.signers.lock() {
            signers.clear();
        }
    }

    /// Unlocks with the password. A wrong password changes nothing.
    pub fn unlock(&mut self, password: &str) -> Result<(), VaultError> {
        let key = self.unwrap_with_password(password)?;
        self.data_key = Some(key);
        Ok(())
    }

    /// The Argon2 parameters protecting the password unlock.
    pub fn kdf_params(&self) -> Result<KdfParams, VaultError> {
        Ok(self.password_key()?.params)
    }

    /// Replaces the password (and optionally the Argon2 parameters) and rotates the data key:
    /// every secret is sealed again under a new key, in one transaction (an interruption leaves
    /// the old password working). So a copy of the old password entry put back into the file
    /// opens nothing added since. Keyring unlock wraps the old key: it is turned off and, given
    /// `keyring`, turned on again with the new key.
    pub fn change_password(
        &mut self,
        old_password: &str,
        new_password: &str,
        params: KdfParams,
        keyring: Option<&dyn SecureStore>,
    ) -> Result<(), VaultError> {
        check_password(new_password)?;
        params.validate()?;
        let old_key = self.unwrap_with_password(old_password)?;
        let new_key = new_key()?;
        let key = Self::wrap_with_password(&new_key, new_password, params)?;
        let had_keyring = self.keyring_enabled()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let rows: Vec<(String, String, Vec<u8>)> = {
            let mut stmt = tx.prepare("SELECT id, kind, secret FROM wallets")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        for (id, kind, sealed) in rows {
            let aad = associated_data("wallets", &id, &kind);
            let plain = open(&old_key, &aad, &sealed).ok_or_else(|| {
                VaultError::Corrupted("a wallet record failed its integrity check".into())
            })?;
            tx.execute(
                "UPDATE wallets SET secret = ?1 WHERE id = ?2",
                params![seal(&new_key, &aad, &plain)?, id],
            )?;
        }
        tx.execute(
            "UPDATE unlock_keys SET kdf = ?1, salt = ?2, wrapped = ?3, updated_at = ?4
             WHERE kind = 'password'",
            params![kdf_json(&key.params)?, key.salt, key.wrapped, now()],
        )?;
        tx.execute("DELETE FROM unlock_keys WHERE kind = 'keyring'", [])?;
        tx.commit()?;
        self.data_key = Some(new_key);
        if had_keyring && let Some(store) = keyring {
            self.enable_keyring(store)?;
        }
        Ok(())
    }

    /// Lets this vault be unlocked through `store` without the password. Needs the vault unlocked.
    pub fn enable_keyring(&mut self, store: &dyn SecureStore) -> Result<(), VaultError> {
        let data_key = self.data_key()?.clone();
        let kek = new_key()?;
        let wrapped = seal(
            &kek,
            &associated_data("unlock_keys", &self.vault_id, "keyring"),
            &*data_key,
        )?;
        store.put(&self.keyring_name(), kek.as_ref())?;
        let written = self.conn.execute(
            "INSERT OR REPLACE INTO unlock_keys (kind, kdf, salt, wrapped, updated_at)
             VALUES ('keyring', NULL, NULL, ?1, ?2)",
            params![wrapped, now()],
        );
        if let Err(e) = written {
            let _ = store.delete(&self.keyring_name());
            return Err(e.into());
        }
        Ok(())
    }

    /// Stops keyring unlock and deletes the key from `store`.
    pub fn disable_keyring(&mut self, store: &dyn SecureStore) -> Result<(), VaultError> {
        self.conn
            .execute("DELETE FROM unlock_keys WHERE kind = 'keyring'", [])?;
        store.delete(&self.keyring_name())?;
        Ok(())
    }

    /// Whether keyring unlock is enabled for this vault.
    pub fn keyring_enabled(&self) -> Result<bool, VaultError> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM unlock_keys WHERE kind = 'keyring'",
                [],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Unlocks with the key held in `store`.
    pub fn unlock_with_keyring(&mut self, store: &dyn SecureStore) -> Result<(), VaultError> {
        let wrapped: Vec<u8> = self
            .conn
            .query_row(
                "SELECT wrapped FROM unlock_keys WHERE kind = 'keyring'",
                [],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(VaultError::KeyringNotEnabled)?;
        let kek = store
            .get(&self.keyring_name())?
            .ok_or(VaultError::KeyringKeyMissing)?;
        let kek = key_from_slice(&kek).ok_or(VaultError::KeyringKeyMissing)?;
        let aad = associated_data("unlock_keys", &self.vault_id, "keyring");
        let key = open(&kek, &aad, &wrapped)
            .and_then(|k| key_from_slice(&k))
            .ok_or(VaultError::KeyringKeyMissing)?;
        self.data_key = Some(key);
        Ok(())
    }

    /// Adds a wallet from a recovery phrase (with an optional BIP-39 passphrase, "" for none) and
    /// its first account `m/44'/60'/0'/0/0`.
    pub fn add_mnemonic_wallet(
        &mut self,
        name: &str,
        mnemonic: &Mnemonic,
        passphrase: &str,
    ) -> Result<WalletInfo, VaultError> {
        let secret = WalletSecret::Mnemonic {
            mnemonic: mnemonic.clone(),
            passphrase: Zeroizing::new(passphrase.to_owned()),
        };
        self.add_wallet(name, WalletKind::Mnemonic, secret)
    }

    /// Adds a wallet holding one imported private key.
    pub fn add_private_key_wallet(
        &mut self,
        name: &str,
        key: &LocalSigner,
    ) -> Result<WalletInfo, VaultError> {
        self.add_wallet(
            name,
            WalletKind::PrivateKey,
            WalletSecret::PrivateKey(key.clone()),
        )
    }

    fn add_wallet(
        &mut self,
        name: &str,
        kind: WalletKind,
        secret: WalletSecret,
    ) -> Result<WalletInfo, VaultError> {
        let name = clean_name(name)?;
        let data_key = self.data_key()?.clone();
        let (address, path) = match &secret {
            WalletSecret::Mnemonic { .. } => {
                let path = DerivationPath::ethereum(0);
                (
                    secret.hd_root()?.derive_signer(&path)?.address(),
                    Some(path.to_string()),
                )
            }
            WalletSecret::PrivateKey(signer) => (signer.address(), None),
        };
        if let Some(existing) = self.wallet_holding(address, kind)? {
            return Err(VaultError::AlreadyImported { existing });
        }
        let id = hex_id()?;
        let sealed = seal(
            &data_key,
            &associated_data("wallets", &id, kind.as_str()),
            &secret.encode(),
        )?;
        let created_at = now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO wallets (id, name, kind, secret, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, name, kind.as_str(), sealed, created_at],
        )?;
        tx.execute(
            "INSERT INTO accounts (wallet_id, idx, name, address, path) VALUES (?1, 0, ?2, ?3, ?4)",
            params![id, "Account 1", address.to_checksum(None), path],
        )?;
        tx.commit()?;
        Ok(WalletInfo {
            id,
            name,
            kind,
            created_at,
        })
    }

    /// The name of a wallet of `kind` whose first account is `address`.
    fn wallet_holding(
        &self,
        address: Address,
        kind: WalletKind,
    ) -> Result<Option<String>, VaultError> {
        Ok(self
            .conn
            .query_row(
                "SELECT w.name FROM accounts a JOIN wallets w ON w.id = a.wallet_id
                 WHERE a.idx = 0 AND a.address = ?1 AND w.kind = ?2",
                params![address.to_checksum(None), kind.as_str()],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Every wallet, oldest first. Works while locked.
    pub fn wallets(&self) -> Result<Vec<WalletInfo>, VaultError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, name, kind, created_at FROM wallets ORDER BY created_at, rowid")?;
        let rows = stmt.query_map([], wallet_row)?;
        rows.map(|row| row?.into_info()).collect()
    }

    /// One wallet.
    pub fn wallet(&self, wallet_id: &str) -> Result<WalletInfo, VaultError> {
        self.conn
            .query_row(
                "SELECT id, name, kind, created_at FROM wallets WHERE id = ?1",
                [wallet_id],
                wallet_row,
            )
            .optional()?
            .ok_or_else(|| VaultError::WalletNotFound(wallet_id.to_owned()))?
            .into_info()
    }

    /// Renames a wallet.
    pub fn rename_wallet(&mut self, wallet_id: &str, name: &str) -> Result<(), VaultError> {
        let name = clean_name(name)?;
        let changed = self.conn.execute(
            "UPDATE wallets SET name = ?1 WHERE id = ?2",
            params![name, wallet_id],
        )?;
        if changed == 0 {
            return Err(VaultError::WalletNotFound(wallet_id.to_owned()));
        }
        Ok(())
    }

    /// Deletes a wallet and its accounts. Needs the password again: this destroys keys.
    pub fn remove_wallet(&mut self, wallet_id: &str, password: &str) -> Result<(), VaultError> {
        self.unwrap_with_password(password)?;
        let changed = self
            .conn
            .execute("DELETE FROM wallets WHERE id = ?1", [wallet_id])?;
        if changed == 0 {
            return Err(VaultError::WalletNotFound(wallet_id.to_owned()));
        }
        self.forget_signers();
        Ok(())
    }

    /// The accounts of a wallet, by index, each address checked against its key. Needs the vault
    /// unlocked: a locked vault cannot tell a genuine address from one written into the file.
    pub fn accounts(&self, wallet_id: &str) -> Result<Vec<AccountInfo>, VaultError> {
        // Each address is checked against its key (derived once per unlock, then cached), so a
        // file changed outside Harbor cannot show someone else's address as the user's.
        let stored = self.stored_accounts(wallet_id)?;
        for account in &stored {
            self.signer(wallet_id, account.index)?;
        }
        Ok(stored)
    }

    /// The account rows as stored, unchecked.
    fn stored_accounts(&self, wallet_id: &str) -> Result<Vec<AccountInfo>, VaultError> {
        self.wallet(wallet_id)?;
        let mut stmt = self.conn.prepare(
            "SELECT idx, name, address, path FROM accounts WHERE wallet_id = ?1 ORDER BY idx",
        )?;
        let rows = stmt.query_map([wallet_id], |r| {
            Ok((
                r.get::<_, u32>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get(3)?,
            ))
        })?;
        rows.map(|row| {
            let (index, name, address, path) = row?;
            let address = address
                .parse()
                .map_err(|_| VaultError::Corrupted("an account address does not parse".into()))?;
            Ok(AccountInfo {
                wallet_id: wallet_id.to_owned(),
                index,
                name,
                address,
                path,
            })
        })
        .collect()
    }

    /// Derives and stores the next account of a phrase wallet.
    pub fn add_account(&mut self, wallet_id: &str, name: &str) -> Result<AccountInfo, VaultError> {
        let name = clean_name(name)?;
        let secret = self.wallet_secret(wallet_id)?;
        let root = secret.hd_root()?;
        let next: u32 = self.conn.query_row(
            "SELECT COALESCE(MAX(idx) + 1, 0) FROM accounts WHERE wallet_id = ?1",
            [wallet_id],
            |r| r.get(0),
        )?;
        let path = DerivationPath::ethereum(next);
        let address = root.derive_signer(&path)?.address();
        self.conn.execute(
            "INSERT INTO accounts (wallet_id, idx, name, address, path) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![wallet_id, next, name, address.to_checksum(None), path.to_string()],
        )?;
        Ok(AccountInfo {
            wallet_id: wallet_id.to_owned(),
            index: next,
            name,
            address,
            path: Some(path.to_string()),
        })
    }

    /// Renames an account.
    pub fn rename_account(
        &mut self,
        wallet_id: &str,
        index: u32,
        name: &str,
    ) -> Result<(), VaultError> {
        let name = clean_name(name)?;
        let changed = self.conn.execute(
            "UPDATE accounts SET name = ?1 WHERE wallet_id = ?2 AND idx = ?3",
            params![name, wallet_id, index],
        )?;
        if changed == 0 {
            self.wallet(wallet_id)?;
            return Err(VaultError::AccountNotFound {
                wallet_id: wallet_id.to_owned(),
                index,
            });
        }
        Ok(())
    }

    /// The signing key of an account. Needs the vault unlocked.
    pub fn signer(&self, wallet_id: &str, index: u32) -> Result<LocalSigner, VaultError> {
        self.data_key()?;
        let key = (wallet_id.to_owned(), index);
        if let Some(signer) = self.signers.lock().ok().and_then(|s| s.get(&key).cloned()) {
            return Ok(signer);
        }
        let account = self
            .stored_accounts(wallet_id)?
            .into_iter()
            .find(|a| a.index == index)
            .ok_or_else(|| VaultError::AccountNotFound {
                wallet_id: wallet_id.to_owned(),
                index,
            })?;
        let signer = match self.wallet_secret(wallet_id)? {
            WalletSecret::PrivateKey(signer) => signer,
            secret @ WalletSecret::Mnemonic { .. } => {
                let path: DerivationPath = account
                    .path
                    .as_deref()
                    .unwrap_or_default()
                    .parse()
                    .map_err(|_| VaultError::Corrupted("an account path does not parse".into()))?;
                secret.hd_root()?.derive_signer(&path)?
            }
        };
        if signer.address() != account.address {
            return Err(VaultError::Corrupted(format!(
                "the address stored for account {index} does not match its key: the wallet \
                 file was changed outside Harbor"
            )));
        }
        if let Ok(mut signers) = self.signers.lock() {
            signers.insert(key, signer.clone());
        }
        Ok(signer)
    }

    /// The extended public key of a phrase wallet's account level (`m/44'/60'/0'/0`), for
    /// watch-only use. Needs the vault unlocked.
    pub fn xpub(&self, wallet_id: &str) -> Result<String, VaultError> {
        let secret = self.wallet_secret(wallet_id)?;
        Ok(secret
            .hd_root()?
            .derive_xpub(&DerivationPath::ethereum_parent())?)
    }

    /// The recovery phrase and passphrase of a wallet, for a backup. Needs the password again.
    pub fn export_mnemonic(
        &self,
        wallet_id: &str,
        password: &str,
    ) -> Result<ExportedMnemonic, VaultError> {
        let data_key = self.unwrap_with_password(password)?;
        match self.wallet_secret_with(wallet_id, &data_key)? {
            WalletSecret::Mnemonic {
                mnemonic,
                passphrase,
            } => Ok(ExportedMnemonic {
                phrase: mnemonic.phrase(),
                passphrase,
            }),
            WalletSecret::PrivateKey(_) => Err(VaultError::NotAMnemonicWallet),
        }
    }

    /// The private key of one account as `0x…` hex. Needs the password again.
    pub fn export_private_key(
        &self,
        wallet_id: &str,
        index: u32,
        password: &str,
    ) -> Result<Zeroizing<String>, VaultError> {
        self.unwrap_with_password(password)?;
        let signer = self.signer(wallet_id, index)?;
        let bytes = signer.to_bytes();
        let mut out = Zeroizing::new(String::with_capacity(66));
        out.push_str("0x");
        for b in bytes.iter() {
            out.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
            out.push(char::from_digit(u32::from(b & 0xf), 16).unwrap_or('0'));
        }
        Ok(out)
    }

    /// The user's custom networks and overrides of built-in ones.
    pub fn custom_chains(&self) -> Result<Vec<Chain>, VaultError> {
        let mut stmt = self
            .conn
            .prepare("SELECT definition FROM chains ORDER BY chain_id")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|row| {
            serde_json::from_str(&row?)
                .map_err(|_| VaultError::Corrupted("a network definition does not parse".into()))
        })
        .collect()
    }

    /// The built-in networks merged with the stored custom ones.
    pub fn chain_registry(&self) -> Result<ChainRegistry, VaultError> {
        Ok(ChainRegistry::new(self.custom_chains()?))
    }

    /// Adds a network or edits an existing one.
    pub fn save_chain(&mut self, chain: &Chain) -> Result<(), VaultError> {
        chain.validate()?;
        let definition =
            serde_json::to_string(chain).map_err(|e| VaultError::Storage(e.to_string()))?;
        self.conn.execute(
            "INSERT OR REPLACE INTO chains (chain_id, definition) VALUES (?1, ?2)",
            params![chain.chain_id as i64, definition],
        )?;
        Ok(())
    }

    /// Removes a custom network, or resets an edited built-in one. Returns whether a built-in was
    /// reset.
    pub fn remove_chain(&mut self, chain_id: u64) -> Result<bool, VaultError> {
        let mut registry = self.chain_registry()?;
        let reset_builtin = registry.remove(chain_id)?;
        self.conn
            .execute("DELETE FROM chains WHERE chain_id = ?1", [chain_id as i64])?;
        Ok(reset_builtin)
    }

    /// Splits a phrase wallet's recovery phrase into SLIP-39 paper shares (one list per group),
    /// with the phrase's language and first address, which must be written beside the shares:
    /// shares hold the phrase's entropy only, and the same entropy in another language is
    /// another wallet. Needs the password again.
    pub fn split_into_shares(
        &self,
        wallet_id: &str,
        password: &str,
        options: &SplitOptions,
    ) -> Result<PaperShares, VaultError> {
        let exported = self.export_mnemonic(wallet_id, password)?;
        if !exported.passphrase.is_empty() {
            return Err(VaultError::PassphraseNotInShares);
        }
        let mnemonic = Mnemonic::parse(&exported.phrase)
            .map_err(|_| VaultError::Corrupted("stored phrase".into()))?;
        Ok(PaperShares {
            groups: shamir::split_mnemonic(&mnemonic, options)?,
            language: mnemonic.language(),
            first_address: first_address(&mnemonic)?,
        })
    }

    /// Restores a phrase wallet from SLIP-39 shares made by [`Vault::split_into_shares`], in the
    /// phrase's `language` (written beside the shares). With `expected_address` (the first
    /// address written beside them), a different wallet is refused before anything is saved.
    pub fn add_wallet_from_shares(
        &mut self,
        name: &str,
        shares: &[impl AsRef<str>],
        share_passphrase: &str,
        language: Language,
        expected_address: Option<Address>,
    ) -> Result<WalletInfo, VaultError> {
        let mnemonic = shamir::combine_to_mnemonic(shares, share_passphrase, language)?;
        if let Some(expected) = expected_address {
            let found = first_address(&mnemonic)?;
            if found != expected {
                return Err(VaultError::SharesGiveAnotherWallet { expected, found });
            }
        }
        self.add_mnemonic_wallet(name, &mnemonic, "")
    }

    /// Adds an operation to the activity list, or updates it (same id).
    pub fn record_activity(&mut self, entry: &ActivityEntry) -> Result<(), VaultError> {
        let json = serde_json::to_string(entry).map_err(|e| VaultError::Storage(e.to_string()))?;
        self.conn.execute(
            "INSERT INTO activity (id, chain_id, account, entry, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET entry = excluded.entry",
            params![
                entry.id,
                entry.chain_id as i64,
                entry.account.to_string(),
                json,
                entry.created_at
            ],
        )?;
        Ok(())
    }

    /// The activity of `account` (of every account when `None`), newest first, at most `limit`.
    pub fn activity(
        &self,
        account: Option<Address>,
        limit: u32,
    ) -> Result<Vec<ActivityEntry>, VaultError> {
        let mut stmt = self.conn.prepare(
            "SELECT entry FROM activity WHERE ?1 IS NULL OR account = ?1
             ORDER BY created_at DESC, rowid DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(
            params![account.map(|a| a.to_string()), i64::from(limit)],
            |r| r.get::<_, String>(0),
        )?;
        rows.map(|row| {
            serde_json::from_str(&row?)
                .map_err(|_| VaultError::Corrupted("an activity entry does not parse".into()))
        })
        .collect()
    }

    /// Adds or renames an address-book entry.
    pub fn save_contact(&mut self, address: Address, name: &str) -> Result<(), VaultError> {
        let name = crate::contacts::clean_contact_name(name).ok_or(VaultError::InvalidName)?;
        self.conn.execute(
            "INSERT INTO contacts (address, name) VALUES (?1, ?2)
             ON CONFLICT (address) DO UPDATE SET name = excluded.name",
            params![address.to_string(), name],
        )?;
        Ok(())
    }

    /// Records that `address` was sent to at `at` (Unix seconds), keeping any name.
    pub fn note_recipient(&mut self, address: Address, at: i64) -> Result<(), VaultError> {
        self.conn.execute(
            "INSERT INTO contacts (address, last_sent_at) VALUES (?1, ?2)
             ON CONFLICT (address) DO UPDATE SET last_sent_at = excluded.last_sent_at",
            params![address.to_string(), at],
        )?;
        Ok(())
    }

    /// Removes an address from the address book (and from the past recipients).
    pub fn remove_contact(&mut self, address: Address) -> Result<bool, VaultError> {
        let n = self.conn.execute(
            "DELETE FROM contacts WHERE address = ?1",
            params![address.to_string()],
        )?;
        Ok(n > 0)
    }

    /// The address book: named contacts first (by name), then past recipients (newest first).
    pub fn contacts(&self) -> Result<Vec<crate::contacts::Contact>, VaultError> {
        let mut stmt = self.conn.prepare(
            "SELECT address, name, last_sent_at FROM contacts
             ORDER BY name IS NULL, name, last_sent_at DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<i64>>(2)?,
            ))
        })?;
        rows.map(|row| {
            let (address, name, last_sent_at) = row?;
            let address = address
                .parse()
                .map_err(|_| VaultError::Corrupted("a contact address does not parse".into()))?;
            Ok(crate::contacts::Contact {
                address,
                name,
                last_sent_at,
            })
        })
        .collect()
    }

    /// Saves (or renames) a guardian of `account` under the name the user gave it.
    pub fn save_guardian(
        &mut self,
        account: Address,
        guardian: &Guardian,
    ) -> Result<(), VaultError> {
        let name = clean_name(&guardian.name)?;
        self.conn.execute(
            "INSERT OR REPLACE INTO guardians (account, address, name, kind) VALUES (?1, ?2, ?3, ?4)",
            params![
                account.to_string(),
                guardian.address.to_string(),
                name,
                guardian.kind.as_str()
            ],
        )?;
        Ok(())
    }

    /// The guardians of `account` the user named, by name.
    pub fn guardians(&self, account: Address) -> Result<Vec<Guardian>, VaultError> {
        let mut stmt = self.conn.prepare(
            "SELECT address, name, kind FROM guardians WHERE account = ?1 ORDER BY name, address",
        )?;
        let rows = stmt.query_map([account.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        rows.map(|row| {
            let (address, name, kind) = row?;
            Ok(Guardian {
                address: address.parse().map_err(|_| {
                    VaultError::Corrupted("a guardian address does not parse".into())
                })?,
                name,
                kind: GuardianKind::parse(&kind)
                    .ok_or_else(|| VaultError::Corrupted("unknown guardian kind".into()))?,
            })
        })
        .collect()
    }

    /// Forgets the name of a guardian of `account`. Returns whether it was known.
    pub fn remove_guardian(
        &mut self,
        account: Address,
        guardian: Address,
    ) -> Result<bool, VaultError> {
        Ok(self.conn.execute(
            "DELETE FROM guardians WHERE account = ?1 AND address = ?2",
            params![account.to_string(), guardian.to_string()],
        )? > 0)
    }

    /// Saves a recovery in progress (replacing its previous state) in one transaction.
    pub fn save_recovery(&mut self, session: &RecoverySession) -> Result<(), VaultError> {
        let state =
            serde_json::to_string(session).map_err(|e| VaultError::Storage(e.to_string()))?;
        self.conn.execute(
            "INSERT OR REPLACE INTO recoveries (id, account, state, updated_at) VALUES (?1, ?2, ?3, ?4)",
            params![session.id, session.request.account.to_string(), state, now()],
        )?;
        Ok(())
    }

    /// Recoveries in progress (and finished ones not yet removed), oldest first.
    pub fn recoveries(&self) -> Result<Vec<RecoverySession>, VaultError> {
        let mut stmt = self
            .conn
            .prepare("SELECT state FROM recoveries ORDER BY rowid")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|row| {
            serde_json::from_str(&row?)
                .map_err(|_| VaultError::Corrupted("a saved recovery does not parse".into()))
        })
        .collect()
    }

    /// Removes a saved recovery. Returns whether it existed.
    pub fn remove_recovery(&mut self, id: &str) -> Result<bool, VaultError> {
        Ok(self
            .conn
            .execute("DELETE FROM recoveries WHERE id = ?1", [id])?
            > 0)
    }

    /// Runs SQLite's full integrity check; `Ok` when the file is sound.
    pub fn integrity_check(&self) -> Result<(), VaultError> {
        let result: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if result == "ok" {
            Ok(())
        } else {
            Err(VaultError::Corrupted(result))
        }
    }

    fn data_key(&self) -> Result<&Zeroizing<[u8; KEY_LEN]>, VaultError> {
        self.data_key.as_ref().ok_or(VaultError::Locked)
    }

    fn keyring_name(&self) -> String {
        format!("vault-{}", self.vault_id)
    }

    fn wallet_secret(&self, wallet_id: &str) -> Result<WalletSecret, VaultError> {
        self.wallet_secret_with(wallet_id, self.data_key()?)
    }

    fn wallet_secret_with(
        &self,
        wallet_id: &str,
        data_key: &[u8; KEY_LEN],
    ) -> Result<WalletSecret, VaultError> {
        let (kind, sealed): (String, Vec<u8>) = self
            .conn
            .query_row(
                "SELECT kind, secret FROM wallets WHERE id = ?1",
                [wallet_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or_else(|| VaultError::WalletNotFound(wallet_id.to_owned()))?;
        let kind = WalletKind::parse(&kind)?;
        let plain = open(
            data_key,
            &associated_data("wallets", wallet_id, kind.as_str()),
            &sealed,
        )
        .ok_or_else(|| {
            VaultError::Corrupted("a wallet record failed its integrity check".into())
        })?;
        WalletSecret::decode(kind, &plain)
    }

    fn password_key(&self) -> Result<PasswordKey, VaultError> {
        let (kdf, salt, wrapped): (String, Vec<u8>, Vec<u8>) = self
            .conn
            .query_row(
                "SELECT kdf, salt, wrapped FROM unlock_keys WHERE kind = 'password'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
            .ok_or_else(|| VaultError::Corrupted("the password entry is missing".into()))?;
        let params = serde_json::from_str(&kdf).map_err(|_| {
            VaultError::Corrupted("the key-derivation settings do not parse".into())
        })?;
        Ok(PasswordKey {
            params,
            salt,
            wrapped,
        })
    }

    fn unwrap_with_password(&self, password: &str) -> Result<Zeroizing<[u8; KEY_LEN]>, VaultError> {
        let key = self.password_key()?;
        let kek = key.params.derive(password, &key.salt)?;
        let aad = associated_data("unlock_keys", "password", &kdf_json(&key.params)?);
        open(&kek, &aad, &key.wrapped)
            .and_then(|k| key_from_slice(&k))
            .ok_or(VaultError::WrongPassword)
    }

    fn wrap_with_password(
        data_key: &[u8; KEY_LEN],
        password: &str,
        params: KdfParams,
    ) -> Result<PasswordKey, VaultError> {
        let salt = new_salt()?;
        let kek = params.derive(password, &salt)?;
        let aad = associated_data("unlock_keys", "password", &kdf_json(&params)?);
        let wrapped = seal(&kek, &aad, data_key)?;
        Ok(PasswordKey {
            params,
            salt,
            wrapped,
        })
    }
}

/// Removes a SQLite file with its journal files, ignoring what is not there.
fn remove_with_sidecars(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// A `wallets` row as read, before its kind is checked.
struct WalletRow {
    id: String,
    name: String,
    kind: String,
    created_at: i64,
}

fn wallet_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<WalletRow> {
    Ok(WalletRow {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        created_at: r.get(3)?,
    })
}

impl WalletRow {
    fn into_info(self) -> Result<WalletInfo, VaultError> {
        Ok(WalletInfo {
            kind: WalletKind::parse(&self.kind)?,
            id: self.id,
            name: self.name,
            created_at: self.created_at,
        })
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
