//! Keys: BIP-39 mnemonics, BIP-32/44 derivation, private keys and the [`Signer`] seam.
//!
//! Everything secret here (entropy, seeds, private keys) lives in zeroize-on-drop containers whose
//! `Debug` output reveals nothing.

mod hd;
mod mnemonic;
mod secret;
mod signer;

pub use hd::{DerivationPath, HdError, HdRoot, PathError};
pub use mnemonic::{Language, Mnemonic, MnemonicError, UnknownWord, WordCount};
pub use secret::Seed;
#[cfg_attr(not(feature = "vault"), allow(unused_imports))]
pub(crate) use secret::{random_array, random_bytes};
pub(crate) use signer::public_key_to_address;
pub use signer::{KeyError, LocalSigner, SignError, Signer};
