//! The [`Signer`] seam and the local (software) key behind it.

use std::fmt;

use alloy_primitives::{Address, B256, Signature, U256, keccak256};
use k256::ecdsa::{SigningKey, VerifyingKey};
use zeroize::Zeroizing;

use super::secret::random_bytes;

/// Why a private key could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The text is not hexadecimal.
    #[error("a private key is written in hexadecimal (0-9, a-f), optionally after 0x")]
    InvalidHex,
    /// The key does not have 32 bytes.
    #[error("a private key has 32 bytes (64 hex characters); this one has {found} bytes")]
    WrongLength {
        /// Number of bytes found.
        found: usize,
    },
    /// The number is zero or not below the secp256k1 group order.
    #[error("this is not a valid private key: it is zero or too large for the secp256k1 curve")]
    OutOfRange,
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed")]
    RandomSource,
}

crate::classified!(KeyError, |e: &KeyError| match e {
    KeyError::InvalidHex | KeyError::WrongLength { .. } | KeyError::OutOfRange => {
        crate::error::ErrorKind::InvalidInput
    }
    KeyError::RandomSource => crate::error::ErrorKind::Internal,
});

/// Why a signature could not be produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The signature's recovery id cannot be expressed in an Ethereum signature (r overflowed
    /// the group order; probability about 2^-127).
    #[error("the signature cannot be expressed in Ethereum form; sign again")]
    UnrepresentableRecoveryId,
    /// A remote or hardware signer failed.
    #[error("the signing device failed: {0}")]
    Device(String),
}

crate::classified!(SignError, |e: &SignError| match e {
    SignError::UnrepresentableRecoveryId | SignError::Device(_) => {
        crate::error::ErrorKind::Internal
    }
});

/// Anything that can sign a 32-byte digest for one Ethereum address.
///
/// Today the only implementation is [`LocalSigner`]; hardware wallets and passkeys plug in here.
pub trait Signer: Send + Sync {
    /// The address whose key signs.
    fn address(&self) -> Address;

    /// Signs a 32-byte digest; the signature is low-S with a y-parity bit.
    fn sign_hash(&self, hash: &B256) -> Result<Signature, SignError>;
}

impl<T: Signer + ?Sized> Signer for &T {
    fn address(&self) -> Address {
        (**self).address()
    }

    fn sign_hash(&self, hash: &B256) -> Result<Signature, SignError> {
        (**self).sign_hash(hash)
    }
}

/// A secp256k1 private key held in memory (wiped on drop).
#[derive(Clone)]
pub struct LocalSigner {
    key: SigningKey,
    address: Address,
}

impl fmt::Debug for LocalSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSigner")
            .field("address", &format_args!("{}", self.address))
            .finish_non_exhaustive()
    }
}

impl LocalSigner {
    /// Generates a new random key from operating-system randomness.
    pub fn random() -> Result<Self, KeyError> {
        loop {
            let bytes = random_bytes(32).map_err(|_| KeyError::RandomSource)?;
            // A random 32-byte string is out of range with probability about 2^-128.
            if let Ok(signer) = Self::from_slice(&bytes) {
                return Ok(signer);
            }
        }
    }

    /// Imports a raw 32-byte private key.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, KeyError> {
        if bytes.len() != 32 {
            return Err(KeyError::WrongLength { found: bytes.len() });
        }
        let key = SigningKey::from_slice(bytes).map_err(|_| KeyError::OutOfRange)?;
        Ok(Self::from_signing_key(key))
    }

    /// Imports a private key written in hex, with or without `0x`, surrounding spaces ignored.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let digits = text
            .strip_prefix("0x")
            .or_else(|| text.strip_prefix("0X"))
            .unwrap_or(text);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(KeyError::InvalidHex);
        }
        if !digits.len().is_multiple_of(2) {
            return Err(KeyError::InvalidHex);
        }
        let bytes = Zeroizing::new(
            alloy_primitives::hex::decode(digits).map_err(|_| KeyError::InvalidHex)?,
        );
        Self::from_slice(&bytes)
    }

    pub(crate) fn from_signing_key(key: SigningKey) -> Self {
        let address = public_key_to_address(key.verifying_key());
        Self { key, address }
    }

    /// The raw private key. Sensitive: only for an explicit, password-confirmed export.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(&Zeroizing::new(self.key.to_bytes()));
        out
    }

    /// The uncompressed SEC1 public key (65 bytes, starting with 0x04).
    pub fn public_key(&self) -> Vec<u8> {
        self.key
            .verifying_key()
            .to_sec1_point(false)
            .as_bytes()
            .to_vec()
    }

    /// Signs a digest synchronously (the [`Signer`] impl cannot fail for a local key).
    pub fn sign_hash_sync(&self, hash: &B256) -> Result<Signature, SignError> {
        let (sig, recid) = self.key.sign_prehash_recoverable(hash.as_slice());
        if recid.is_x_reduced() {
            return Err(SignError::UnrepresentableRecoveryId);
        }
        let bytes = sig.to_bytes();
        Ok(Signature::new(
            U256::from_be_slice(&bytes[..32]),
            U256::from_be_slice(&bytes[32..]),
            recid.is_y_odd(),
        ))
    }
}

impl Signer for LocalSigner {
    fn address(&self) -> Address {
        self.address
    }

    fn sign_hash(&self, hash: &B256) -> Result<Signature, SignError> {
        self.sign_hash_sync(hash)
    }
}

/// The Ethereum address of a public key: the last 20 bytes of keccak256 of its uncompressed form.
pub(crate) fn public_key_to_address(key: &VerifyingKey) -> Address {
    let point = key.to_sec1_point(false);
    let hash = keccak256(&point.as_bytes()[1..]);
    Address::from_slice(&hash[12..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    // Hardhat/anvil account 0.
    const KEY0: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

    #[test]
    fn address_of_known_key() {
        let s = LocalSigner::from_hex(KEY0).unwrap();
        assert_eq!(
            s.address(),
            address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
        );
        assert_eq!(alloy_primitives::hex::encode_prefixed(*s.to_bytes()), KEY0);
        assert_eq!(s.public_key().len(), 65);
    }

    #[test]
    fn import_errors_are_precise() {
        assert_eq!(
            LocalSigner::from_hex("0xzz").unwrap_err(),
            KeyError::InvalidHex
        );
        assert_eq!(LocalSigner::from_hex("").unwrap_err(), KeyError::InvalidHex);
        assert_eq!(
            LocalSigner::from_hex("0x").unwrap_err(),
            KeyError::InvalidHex
        );
        assert_eq!(
            LocalSigner::from_hex("abc").unwrap_err(),
            KeyError::InvalidHex
        );
        assert_eq!(
            LocalSigner::from_hex("0xabcd").unwrap_err(),
            KeyError::WrongLength { found: 2 }
        );
        assert_eq!(
            LocalSigner::from_hex(&"00".repeat(32)).unwrap_err(),
            KeyError::OutOfRange
        );
        let order = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
        assert_eq!(
            LocalSigner::from_hex(order).unwrap_err(),
            KeyError::OutOfRange
        );
        assert!(
            LocalSigner::from_hex(
                "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140"
            )
            .is_ok()
        );
        assert!(LocalSigner::from_hex(&format!("  {}\n", &KEY0[2..])).is_ok());
    }

    #[test]
    fn debug_shows_only_address() {
        let s = LocalSigner::from_hex(KEY0).unwrap();
        let shown = format!("{s:?}");
        assert!(shown.contains("0xf39F"), "{shown}");
        assert!(!shown.contains("ac0974"), "{shown}");
    }

    #[test]
    fn signatures_are_low_s() {
        let s = LocalSigner::random().unwrap();
        let half_order = U256::from_be_slice(
            &alloy_primitives::hex::decode(
                "7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0",
            )
            .unwrap(),
        );
        for i in 0u8..64 {
            let sig = s.sign_hash(&keccak256([i])).unwrap();
            assert!(sig.s() <= half_order);
        }
    }
}
