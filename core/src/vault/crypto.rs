//! Vault cryptography: Argon2id key wrapping and XChaCha20-Poly1305 records.

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use super::VaultError;
use crate::keys::random_bytes;

/// Format version bound into every record's associated data.
pub(crate) const FORMAT: &str = "harbor/vault/v1";
/// Bytes of an XChaCha20 nonce.
const NONCE_LEN: usize = 24;
/// Bytes of a key (data key, key-encryption key).
pub(crate) const KEY_LEN: usize = 32;
/// Bytes of an Argon2 salt.
const SALT_LEN: usize = 16;

/// Argon2id cost parameters, stored beside each password-wrapped key so they can be raised later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl KdfParams {
    /// The default for desktops and recent phones (RFC 9106 second recommendation):
    /// 64 MiB, 3 passes, 4 lanes.
    pub const DEFAULT: KdfParams = KdfParams {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 4,
    };
    /// The lighter preset for weak phones, and the floor for any vault (OWASP minimum):
    /// 19 MiB, 2 passes, 1 lane.
    pub const LIGHT: KdfParams = KdfParams {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// Checks the parameters are at least [`KdfParams::LIGHT`] and within what Argon2 accepts.
    pub fn validate(&self) -> Result<(), VaultError> {
        let floor = Self::LIGHT;
        if self.memory_kib < floor.memory_kib
            || self.iterations < floor.iterations
            || self.parallelism < floor.parallelism
        {
            return Err(VaultError::WeakKdfParams);
        }
        // 4 GiB, 100 passes and 64 lanes are far beyond any wallet's budget: refuse typos.
        if self.memory_kib > 4 * 1024 * 1024 || self.iterations > 100 || self.parallelism > 64 {
            return Err(VaultError::InvalidKdfParams);
        }
        if self.memory_kib < 8 * self.parallelism {
            return Err(VaultError::InvalidKdfParams);
        }
        Ok(())
    }

    /// Derives a key-encryption key from a password. The password is NFKD-normalised first so the
    /// same password typed on different keyboards unlocks the same vault.
    pub(crate) fn derive(
        &self,
        password: &str,
        salt: &[u8],
    ) -> Result<Zeroizing<[u8; KEY_LEN]>, VaultError> {
        self.validate()?;
        let params = Params::new(
            self.memory_kib,
            self.iterations,
            self.parallelism,
            Some(KEY_LEN),
        )
        .map_err(|_| VaultError::InvalidKdfParams)?;
        let normalized: Zeroizing<String> = Zeroizing::new(password.nfkd().collect());
        let mut out = Zeroizing::new([0u8; KEY_LEN]);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(normalized.as_bytes(), salt, out.as_mut())
            .map_err(|_| VaultError::InvalidKdfParams)?;
        Ok(out)
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A fresh random salt.
pub(crate) fn new_salt() -> Result<Vec<u8>, VaultError> {
    Ok(random_bytes(SALT_LEN)
        .map_err(|_| VaultError::RandomSource)?
        .to_vec())
}

/// A fresh random 32-byte key.
pub(crate) fn new_key() -> Result<Zeroizing<[u8; KEY_LEN]>, VaultError> {
    let bytes = random_bytes(KEY_LEN).map_err(|_| VaultError::RandomSource)?;
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    key.copy_from_slice(&bytes);
    Ok(key)
}

/// Associated data binding a ciphertext to its table, row and kind.
pub(crate) fn associated_data(table: &str, id: &str, kind: &str) -> Vec<u8> {
    format!("{FORMAT}/{table}/{id}/{kind}").into_bytes()
}

/// Encrypts `plaintext` under `key`; returns `nonce ‖ ciphertext ‖ tag`.
pub(crate) fn seal(
    key: &[u8; KEY_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, VaultError> {
    let nonce_bytes = random_bytes(NONCE_LEN).map_err(|_| VaultError::RandomSource)?;
    let nonce = XNonce::try_from(&nonce_bytes[..]).map_err(|_| VaultError::RandomSource)?;
    let cipher = XChaCha20Poly1305::new(key.into());
    let ciphertext = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| VaultError::RandomSource)?;
    let mut out = nonce_bytes.to_vec();
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

/// Decrypts a [`seal`]ed blob; `None` when the key, associated data or bytes do not match.
pub(crate) fn open(key: &[u8; KEY_LEN], aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.len() < NONCE_LEN {
        return None;
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let nonce = XNonce::try_from(nonce).ok()?;
    let cipher = XChaCha20Poly1305::new(key.into());
    cipher
        .decrypt(
            &nonce,
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .ok()
        .map(Zeroizing::new)
}

/// Turns decrypted bytes back into a 32-byte key.
pub(crate) fn key_from_slice(bytes: &[u8]) -> Option<Zeroizing<[u8; KEY_LEN]>> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    (bytes.len() == KEY_LEN).then(|| {
        key.copy_from_slice(bytes);
        key
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_binds_associated_data() {
        let key = new_key().unwrap();
        let aad = associated_data("wallets", "a1", "mnemonic");
        let sealed = seal(&key, &aad, b"secret").unwrap();
        assert_eq!(&open(&key, &aad, &sealed).unwrap()[..], b"secret");
        assert!(open(&key, &associated_data("wallets", "a2", "mnemonic"), &sealed).is_none());
        assert!(
            open(
                &key,
                &associated_data("wallets", "a1", "private_key"),
                &sealed
            )
            .is_none()
        );
        let other = new_key().unwrap();
        assert!(open(&other, &aad, &sealed).is_none());
        let mut flipped = sealed.clone();
        flipped[30] ^= 1;
        assert!(open(&key, &aad, &flipped).is_none());
        assert!(open(&key, &aad, &sealed[..10]).is_none());
    }

    #[test]
    fn kdf_floor_and_ceiling() {
        assert_eq!(
            KdfParams {
                memory_kib: 1024,
                ..KdfParams::LIGHT
            }
            .validate(),
            Err(VaultError::WeakKdfParams)
        );
        assert_eq!(
            KdfParams {
                iterations: 1,
                ..KdfParams::LIGHT
            }
            .validate(),
            Err(VaultError::WeakKdfParams)
        );
        assert_eq!(
            KdfParams {
                iterations: 1000,
                ..KdfParams::LIGHT
            }
            .validate(),
            Err(VaultError::InvalidKdfParams)
        );
        assert!(KdfParams::LIGHT.validate().is_ok());
        assert!(KdfParams::DEFAULT.validate().is_ok());
    }

    #[test]
    fn kdf_matches_rfc9106_shape_and_normalises() {
        let salt = [7u8; 16];
        let a = KdfParams::LIGHT.derive("caf\u{e9}", &salt).unwrap();
        let b = KdfParams::LIGHT.derive("cafe\u{301}", &salt).unwrap();
        assert_eq!(
            *a, *b,
            "NFC and NFD spellings of a password must unlock the same vault"
        );
        let c = KdfParams::LIGHT.derive("cafe", &salt).unwrap();
        assert_ne!(*a, *c);
    }
}
