//! Secure stores that can hold a vault's unlock key outside the database (the OS keyring).

use std::collections::HashMap;
use std::sync::Mutex;

use zeroize::Zeroizing;

/// Why a secure store could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecureStoreError {
    /// No keyring service exists on this system (for example a headless Linux session without a
    /// Secret Service). Unlock with the password instead.
    #[error(
        "no keyring service is available on this system ({0}); the vault can still be unlocked \
         with its password"
    )]
    Unavailable(String),
    /// The keyring refused or failed the operation.
    #[error("the system keyring failed: {0}")]
    Failed(String),
}

crate::classified!(SecureStoreError, |e: &SecureStoreError| match e {
    SecureStoreError::Unavailable(_) | SecureStoreError::Failed(_) => {
        crate::error::ErrorKind::SecureStore
    }
});

/// A place outside the vault file that keeps a small secret per vault (the OS keyring, a phone's
/// Keychain/Keystore through the mobile bindings, or memory in tests).
pub trait SecureStore: Send + Sync {
    /// Stores `secret` under `name`, replacing any previous value.
    fn put(&self, name: &str, secret: &[u8]) -> Result<(), SecureStoreError>;
    /// The secret stored under `name`, if any.
    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, SecureStoreError>;
    /// Deletes the secret under `name`; deleting a missing entry is not an error.
    fn delete(&self, name: &str) -> Result<(), SecureStoreError>;
}

/// An in-memory store: for tests and for platforms that supply their own store later.
#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, Zeroizing<Vec<u8>>>>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryStore(<redacted>)")
    }
}

impl MemoryStore {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Zeroizing<Vec<u8>>>> {
        // A poisoned lock only means another thread panicked mid-insert; the map is still whole.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl SecureStore for MemoryStore {
    fn put(&self, name: &str, secret: &[u8]) -> Result<(), SecureStoreError> {
        self.entries()
            .insert(name.to_owned(), Zeroizing::new(secret.to_vec()));
        Ok(())
    }

    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, SecureStoreError> {
        Ok(self.entries().get(name).cloned())
    }

    fn delete(&self, name: &str) -> Result<(), SecureStoreError> {
        self.entries().remove(name);
        Ok(())
    }
}

/// The operating system's keyring (macOS Keychain, Windows Credential Manager, Secret Service).
#[cfg(feature = "os-keyring")]
#[derive(Debug, Clone)]
pub struct OsKeyring {
    service: String,
}

#[cfg(feature = "os-keyring")]
impl OsKeyring {
    /// A store whose entries are grouped under `service` (for example `"harbor-wallet"`).
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
        }
    }

    fn entry(&self, name: &str) -> Result<keyring::Entry, SecureStoreError> {
        keyring::Entry::new(&self.service, name).map_err(map_keyring_error)
    }
}

#[cfg(feature = "os-keyring")]
fn map_keyring_error(error: keyring::Error) -> SecureStoreError {
    match error {
        keyring::Error::NoStorageAccess(e) | keyring::Error::PlatformFailure(e) => {
            SecureStoreError::Unavailable(e.to_string())
        }
        // The platform store (the Secret Service on Linux) could not be started.
        keyring::Error::NoDefaultStore => {
            SecureStoreError::Unavailable(match keyring::Entry::store_status() {
                Err(reason) => reason.to_string(),
                Ok(()) => "no credential store is configured".to_owned(),
            })
        }
        other => SecureStoreError::Failed(other.to_string()),
    }
}

#[cfg(feature = "os-keyring")]
impl SecureStore for OsKeyring {
    fn put(&self, name: &str, secret: &[u8]) -> Result<(), SecureStoreError> {
        self.entry(name)?
            .set_secret(secret)
            .map_err(map_keyring_error)
    }

    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, SecureStoreError> {
        match self.entry(name)?.get_secret() {
            Ok(secret) => Ok(Some(Zeroizing::new(secret))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_keyring_error(e)),
        }
    }

    fn delete(&self, name: &str) -> Result<(), SecureStoreError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring_error(e)),
        }
    }
}
