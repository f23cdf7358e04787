//! Signature parsing, verification and address recovery (low-S only).

use alloy_primitives::{Address, B256, Signature};
use k256::ecdsa::{RecoveryId, VerifyingKey};

use crate::keys::public_key_to_address;

/// Why a signature was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Not 65 bytes (r, s, v).
    #[error("a signature has 65 bytes; this one has {found}")]
    WrongLength {
        /// Number of bytes found.
        found: usize,
    },
    /// The recovery byte is not 0, 1, 27 or 28.
    #[error("the signature's recovery byte v is {v}; expected 0, 1, 27 or 28")]
    InvalidV {
        /// The value found.
        v: u8,
    },
    /// r or s is zero or not below the group order.
    #[error("the signature is malformed: r or s is zero or out of range")]
    InvalidScalar,
    /// s is in the upper half of the group order (a malleable signature, refused since EIP-2).
    #[error("the signature uses a high s value, which Ethereum does not accept")]
    HighS,
    /// No public key matches the signature.
    #[error("no signer can be recovered from this signature")]
    RecoveryFailed,
}

crate::classified!(SignatureError, |e: &SignatureError| match e {
    SignatureError::WrongLength { .. }
    | SignatureError::InvalidV { .. }
    | SignatureError::InvalidScalar
    | SignatureError::HighS
    | SignatureError::RecoveryFailed => crate::error::ErrorKind::InvalidInput,
});

/// Parses a 65-byte `r ‖ s ‖ v` signature; `v` may be 0/1 or 27/28.
pub fn parse_signature(bytes: &[u8]) -> Result<Signature, SignatureError> {
    let array: &[u8; 65] = bytes
        .try_into()
        .map_err(|_| SignatureError::WrongLength { found: bytes.len() })?;
    let v = array[64];
    let parity = match v {
        0 | 27 => false,
        1 | 28 => true,
        _ => return Err(SignatureError::InvalidV { v }),
    };
    Ok(Signature::from_bytes_and_parity(&array[..64], parity))
}

/// Recovers the address that signed `hash`. High-S signatures are refused.
pub fn recover_address(hash: &B256, signature: &Signature) -> Result<Address, SignatureError> {
    let sig = k256::ecdsa::Signature::from_scalars(
        signature.r().to_be_bytes::<32>(),
        signature.s().to_be_bytes::<32>(),
    )
    .map_err(|_| SignatureError::InvalidScalar)?;
    if sig.normalize_s() != sig {
        return Err(SignatureError::HighS);
    }
    let recid = RecoveryId::new(signature.v(), false);
    let key = VerifyingKey::recover_from_prehash(hash.as_slice(), &sig, recid)
        .map_err(|_| SignatureError::RecoveryFailed)?;
    Ok(public_key_to_address(&key))
}

/// Whether `signature` over `hash` was made by `signer`.
pub fn verify_signature(
    hash: &B256,
    signature: &Signature,
    signer: Address,
) -> Result<bool, SignatureError> {
    Ok(recover_address(hash, signature)? == signer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{LocalSigner, Signer};
    use alloy_primitives::{U256, keccak256};

    #[test]
    fn sign_then_recover() {
        let signer = LocalSigner::random().unwrap();
        let hash = keccak256(b"harbor");
        let sig = signer.sign_hash(&hash).unwrap();
        assert_eq!(recover_address(&hash, &sig).unwrap(), signer.address());
        assert!(verify_signature(&hash, &sig, signer.address()).unwrap());
        assert!(!verify_signature(&keccak256(b"other"), &sig, signer.address()).unwrap());
        let bytes = sig.as_bytes();
        assert_eq!(parse_signature(&bytes).unwrap(), sig);
        let mut raw = bytes;
        raw[64] -= 27;
        assert_eq!(parse_signature(&raw).unwrap(), sig);
    }

    #[test]
    fn rejects_high_s() {
        let signer = LocalSigner::random().unwrap();
        let hash = keccak256(b"malleable");
        let sig = signer.sign_hash(&hash).unwrap();
        let n = U256::from_be_slice(
            &alloy_primitives::hex::decode(
                "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
            )
            .unwrap(),
        );
        let flipped = Signature::new(sig.r(), n - sig.s(), !sig.v());
        assert_eq!(recover_address(&hash, &flipped), Err(SignatureError::HighS));
    }

    #[test]
    fn parse_errors() {
        assert_eq!(
            parse_signature(&[0u8; 64]),
            Err(SignatureError::WrongLength { found: 64 })
        );
        let mut raw = [1u8; 65];
        raw[64] = 29;
        assert_eq!(
            parse_signature(&raw),
            Err(SignatureError::InvalidV { v: 29 })
        );
        let zero = Signature::new(U256::ZERO, U256::from(1), false);
        assert_eq!(
            recover_address(&B256::ZERO, &zero),
            Err(SignatureError::InvalidScalar)
        );
    }
}
