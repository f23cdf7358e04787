//! Zeroize-on-drop containers for secret material.

use std::fmt;
use zeroize::Zeroizing;

/// A 64-byte BIP-39 seed; wiped from memory when dropped.
#[derive(Clone)]
pub struct Seed(Zeroizing<[u8; 64]>);

impl Seed {
    /// Wraps raw seed bytes.
    pub fn from_bytes(bytes: [u8; 64]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The seed bytes. Keep the borrow short and never copy them into an unprotected buffer.
    pub fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }
}

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Seed(<redacted>)")
    }
}

/// Fills a zeroizing buffer of `len` bytes from the operating system's random source.
pub(crate) fn random_bytes(len: usize) -> Result<Zeroizing<Vec<u8>>, getrandom::Error> {
    let mut buf = Zeroizing::new(vec![0u8; len]);
    getrandom::fill(&mut buf)?;
    Ok(buf)
}

/// Fills a fixed-size array from the operating system's random source (for non-secret nonces,
/// salts and ids; secrets go through [`random_bytes`]).
#[cfg_attr(not(feature = "vault"), allow(dead_code))]
pub(crate) fn random_array<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_debug_hides_bytes() {
        let seed = Seed::from_bytes([0xab; 64]);
        let shown = format!("{seed:?}");
        assert_eq!(shown, "Seed(<redacted>)");
        assert!(!shown.contains("ab"));
    }

    #[test]
    fn random_bytes_are_not_constant() {
        let a = random_bytes(32).unwrap();
        let b = random_bytes(32).unwrap();
        assert_ne!(*a, *b);
        assert_ne!(random_array::<16>().unwrap(), [0u8; 16]);
    }
}
