//! BIP-32 hierarchical derivation and BIP-44 paths.

use std::{fmt, str::FromStr};

use coins_bip32::prelude::{Hint, XPriv};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{secret::Seed, signer::LocalSigner};

/// The bit that marks a hardened index.
const HARDENED: u32 = 0x8000_0000;

/// BIP-32 limits a key's depth to one byte.
const MAX_DEPTH: usize = 255;

/// Why a derivation path could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The path is empty.
    #[error("the derivation path is empty; write it like m/44'/60'/0'/0/0")]
    Empty,
    /// The path does not start at the master key `m`.
    #[error("a derivation path starts with \"m/\", like m/44'/60'/0'/0/0")]
    MissingRoot,
    /// A segment between two slashes is empty.
    #[error("segment {position} of the derivation path is empty")]
    EmptySegment {
        /// Segment position, counting from 1 after `m`.
        position: usize,
    },
    /// A segment is not a number, optionally followed by `'` or `h`.
    #[error("segment {position} of the derivation path (\"{segment}\") is not a number")]
    InvalidIndex {
        /// Segment position, counting from 1 after `m`.
        position: usize,
        /// The segment as written.
        segment: String,
    },
    /// An index is 2^31 or more (hardened indices are written with `'`).
    #[error("segment {position} of the derivation path is too large: indices go up to 2147483647")]
    IndexTooLarge {
        /// Segment position, counting from 1 after `m`.
        position: usize,
    },
    /// More than 255 levels.
    #[error("the derivation path has {depth} levels; BIP-32 allows at most 255")]
    TooDeep {
        /// Number of levels found.
        depth: usize,
    },
}

crate::classified!(PathError, |e: &PathError| match e {
    PathError::Empty
    | PathError::MissingRoot
    | PathError::EmptySegment { .. }
    | PathError::InvalidIndex { .. }
    | PathError::IndexTooLarge { .. }
    | PathError::TooDeep { .. } => crate::error::ErrorKind::InvalidInput,
});

/// Errors from deriving keys.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HdError {
    /// The path could not be parsed.
    #[error(transparent)]
    Path(#[from] PathError),
    /// The derivation produced an invalid key (probability about 2^-127 per step).
    #[error("key derivation produced an invalid key at this path; use the next index")]
    InvalidDerivedKey,
}

crate::classified!(HdError, |e: &HdError| {
    use crate::error::ErrorKind;
    match e {
        HdError::Path(inner) => inner.kind(),
        HdError::InvalidDerivedKey => ErrorKind::Internal,
    }
});

/// A BIP-32 derivation path such as `m/44'/60'/0'/0/0`.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct DerivationPath(Vec<u32>);

impl DerivationPath {
    /// The BIP-44 Ethereum path of account `index`: `m/44'/60'/0'/0/index`.
    pub fn ethereum(index: u32) -> Self {
        Self(vec![
            44 | HARDENED,
            60 | HARDENED,
            HARDENED,
            0,
            index & !HARDENED,
        ])
    }

    /// The BIP-44 Ethereum account-level path `m/44'/60'/0'/0`, the parent of every address.
    pub fn ethereum_parent() -> Self {
        Self(vec![44 | HARDENED, 60 | HARDENED, HARDENED, 0])
    }

    /// The raw indices, hardened ones with the top bit set.
    pub fn indices(&self) -> &[u32] {
        &self.0
    }

    /// This path with one more, non-hardened, level.
    pub fn child(&self, index: u32) -> Self {
        let mut indices = self.0.clone();
        indices.push(index & !HARDENED);
        Self(indices)
    }
}

impl FromStr for DerivationPath {
    type Err = PathError;

    fn from_str(s: &str) -> Result<Self, PathError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(PathError::Empty);
        }
        let rest = match s {
            "m" | "M" => return Ok(Self::default()),
            _ => s.strip_prefix("m/").or_else(|| s.strip_prefix("M/")),
        }
        .ok_or(PathError::MissingRoot)?;
        let segments: Vec<&str> = rest.split('/').collect();
        if segments.len() > MAX_DEPTH {
            return Err(PathError::TooDeep {
                depth: segments.len(),
            });
        }
        let mut indices = Vec::with_capacity(segments.len());
        for (i, segment) in segments.iter().enumerate() {
            let position = i + 1;
            let segment = segment.trim();
            if segment.is_empty() {
                return Err(PathError::EmptySegment { position });
            }
            let (digits, hardened) = match segment.strip_suffix(['\'', 'h', 'H']) {
                Some(digits) => (digits, true),
                None => (segment, false),
            };
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(PathError::InvalidIndex {
                    position,
                    segment: segment.to_owned(),
                });
            }
            let index: u32 = digits
                .parse()
                .map_err(|_| PathError::IndexTooLarge { position })?;
            if index >= HARDENED {
                return Err(PathError::IndexTooLarge { position });
            }
            indices.push(if hardened { index | HARDENED } else { index });
        }
        Ok(Self(indices))
    }
}

impl fmt::Display for DerivationPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("m")?;
        for index in &self.0 {
            if index & HARDENED != 0 {
                write!(f, "/{}'", index & !HARDENED)?;
            } else {
                write!(f, "/{index}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for DerivationPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DerivationPath({self})")
    }
}

impl Serialize for DerivationPath {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DerivationPath {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The BIP-32 master key of a seed; derives account keys and extended public keys.
pub struct HdRoot {
    master: XPriv,
}

impl fmt::Debug for HdRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HdRoot(<redacted>)")
    }
}

impl HdRoot {
    /// Derives the master key from a BIP-39 seed.
    pub fn from_seed(seed: &Seed) -> Result<Self, HdError> {
        Self::from_seed_bytes(seed.as_bytes())
    }

    /// Derives the master key from raw seed bytes (16 to 64 bytes, as in the BIP-32 vectors).
    pub fn from_seed_bytes(seed: &[u8]) -> Result<Self, HdError> {
        let master = XPriv::root_from_seed(seed, Some(Hint::Legacy))
            .map_err(|_| HdError::InvalidDerivedKey)?;
        Ok(Self { master })
    }

    fn derive(&self, path: &DerivationPath) -> Result<XPriv, HdError> {
        self.master
            .derive_path(coins_bip32::path::DerivationPath::from(path.0.clone()))
            .map_err(|_| HdError::InvalidDerivedKey)
    }

    /// The signer for the key at `path`.
    pub fn derive_signer(&self, path: &DerivationPath) -> Result<LocalSigner, HdError> {
        let xpriv = self.derive(path)?;
        let key: &k256::ecdsa::SigningKey = xpriv.as_ref();
        Ok(LocalSigner::from_signing_key(key.clone()))
    }

    /// The extended public key (`xpub…`) at `path`, for watch-only use.
    pub fn derive_xpub(&self, path: &DerivationPath) -> Result<String, HdError> {
        Ok(self.derive(path)?.verify_key().to_base58())
    }

    /// The extended private key (`xprv…`) at `path`. Sensitive: only for an explicit export.
    pub fn derive_xprv(&self, path: &DerivationPath) -> Result<Zeroizing<String>, HdError> {
        Ok(self.derive(path)?.to_base58())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ethereum_path_display() {
        assert_eq!(DerivationPath::ethereum(7).to_string(), "m/44'/60'/0'/0/7");
        assert_eq!(
            DerivationPath::ethereum_parent().child(3),
            DerivationPath::ethereum(3)
        );
    }

    #[test]
    fn parses_both_hardened_notations() {
        let a: DerivationPath = "m/44'/60'/0'/0/0".parse().unwrap();
        let b: DerivationPath = "m/44h/60H/0h/0/0".parse().unwrap();
        assert_eq!(a, b);
        assert_eq!(a, DerivationPath::ethereum(0));
        assert_eq!(
            "m".parse::<DerivationPath>().unwrap().indices(),
            &[] as &[u32]
        );
        assert_eq!(
            " m/2147483647' "
                .parse::<DerivationPath>()
                .unwrap()
                .indices(),
            &[u32::MAX]
        );
    }

    #[test]
    fn path_errors_are_precise() {
        let e = |s: &str| s.parse::<DerivationPath>().unwrap_err();
        assert_eq!(e(""), PathError::Empty);
        assert_eq!(e("44'/60'"), PathError::MissingRoot);
        assert_eq!(e("n/1"), PathError::MissingRoot);
        assert_eq!(e("m/44'//0"), PathError::EmptySegment { position: 2 });
        assert_eq!(e("m/44'/60'/"), PathError::EmptySegment { position: 3 });
        assert_eq!(
            e("m/44'/sixty/0"),
            PathError::InvalidIndex {
                position: 2,
                segment: "sixty".into()
            }
        );
        assert_eq!(
            e("m/-1"),
            PathError::InvalidIndex {
                position: 1,
                segment: "-1".into()
            }
        );
        assert_eq!(
            e("m/'"),
            PathError::InvalidIndex {
                position: 1,
                segment: "'".into()
            }
        );
        assert_eq!(e("m/2147483648"), PathError::IndexTooLarge { position: 1 });
        assert_eq!(
            e("m/1/99999999999999999999"),
            PathError::IndexTooLarge { position: 2 }
        );
        let deep = format!("m{}", "/0".repeat(256));
        assert_eq!(e(&deep), PathError::TooDeep { depth: 256 });
    }

    #[test]
    fn path_serde_round_trip() {
        let p = DerivationPath::ethereum(5);
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, "\"m/44'/60'/0'/0/5\"");
        assert_eq!(serde_json::from_str::<DerivationPath>(&json).unwrap(), p);
        assert!(serde_json::from_str::<DerivationPath>("\"x/1\"").is_err());
    }
}
