//! Official test vectors: BIP-39 (Trezor's reference vectors, passphrase "TREZOR") and BIP-32
//! (the vectors of the BIP text).
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail by panicking.

use harbor_core::keys::{DerivationPath, HdRoot, Language, Mnemonic};
use serde_json::Value;

fn load(name: &str) -> Value {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo");
    let path = format!("{dir}/tests/vectors/{name}");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn bip39_official_vectors() {
    let vectors = load("bip39.json");
    let mut checked = 0;
    for (code, cases) in vectors.as_object().unwrap() {
        // The file also carries lists that are not official BIP-39 word lists.
        let Some(language) = Language::from_code(code) else {
            continue;
        };
        for case in cases.as_array().unwrap() {
            let [entropy, phrase, seed, xprv] = &case.as_array().unwrap()[..] else {
                panic!()
            };
            let entropy = alloy_primitives::hex::decode(entropy.as_str().unwrap()).unwrap();
            let ours = Mnemonic::from_entropy(language, &entropy).unwrap();
            assert_eq!(*ours.phrase(), phrase.as_str().unwrap(), "{code}");
            let parsed = Mnemonic::parse_in(language, phrase.as_str().unwrap()).unwrap();
            assert_eq!(*parsed.entropy(), entropy);
            let derived = ours.to_seed("TREZOR");
            assert_eq!(
                alloy_primitives::hex::encode(derived.as_bytes()),
                seed.as_str().unwrap()
            );
            let root = HdRoot::from_seed(&derived).unwrap();
            let master = root
                .derive_xprv(&"m".parse::<DerivationPath>().unwrap())
                .unwrap();
            assert_eq!(*master, xprv.as_str().unwrap());
            checked += 1;
        }
    }
    assert_eq!(checked, 240, "24 vectors in each of the ten languages");
}

#[test]
fn bip32_official_vectors() {
    let vectors = load("bip32.json");
    let mut checked = 0;
    for vector in vectors["vectors"].as_array().unwrap() {
        let seed = alloy_primitives::hex::decode(vector["seed"].as_str().unwrap()).unwrap();
        let root = HdRoot::from_seed_bytes(&seed).unwrap();
        for chain in vector["chains"].as_array().unwrap() {
            let path: DerivationPath = chain["path"].as_str().unwrap().parse().unwrap();
            assert_eq!(
                root.derive_xpub(&path).unwrap(),
                chain["xpub"].as_str().unwrap(),
                "{path}"
            );
            assert_eq!(
                *root.derive_xprv(&path).unwrap(),
                chain["xprv"].as_str().unwrap(),
                "{path}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 14);
}

/// SLIP-39's official vectors (passphrase "TREZOR"): valid sets give the master secret, invalid
/// ones are refused, each with the error its description names.
#[test]
fn slip39_official_vectors() {
    use harbor_core::recovery::shamir::{Slip39Error, combine};
    let vectors = load("slip39.json");
    let cases = vectors.as_array().unwrap();
    assert_eq!(cases.len(), 45);
    for case in cases {
        let [description, mnemonics, secret, _xprv] = &case.as_array().unwrap()[..] else {
            panic!()
        };
        let description = description.as_str().unwrap();
        let mnemonics: Vec<&str> = mnemonics
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect();
        let result = combine(&mnemonics, "TREZOR");
        let expected = secret.as_str().unwrap();
        if !expected.is_empty() {
            let ours = result.unwrap_or_else(|e| panic!("{description}: {e}"));
            assert_eq!(
                alloy_primitives::hex::encode(&*ours),
                expected,
                "{description}"
            );
            continue;
        }
        let err = result.expect_err(description);
        let fits = match err {
            Slip39Error::InvalidChecksum { .. } => description.contains("checksum"),
            Slip39Error::InvalidPadding { .. } => {
                description.contains("padding") || description.contains("secret length")
            }
            Slip39Error::InvalidLength { .. } => {
                description.contains("insufficient length") || description.contains("secret length")
            }
            Slip39Error::MismatchedShares { what, .. } => match what {
                "identifier" => description.contains("different identifiers"),
                "iteration exponent" => description.contains("iteration exponents"),
                "group threshold" => description.contains("group thresholds"),
                "group count" => description.contains("group counts"),
                _ => false,
            },
            Slip39Error::InvalidGroupThreshold { .. } => {
                description.contains("greater group threshold")
            }
            Slip39Error::DuplicateMember { .. } => description.contains("duplicate member"),
            Slip39Error::MismatchedMemberThreshold { .. } => {
                description.contains("member thresholds")
            }
            Slip39Error::InvalidDigest => description.contains("digest"),
            Slip39Error::InsufficientGroups { .. } => {
                description.contains("Insufficient number of groups")
            }
            Slip39Error::InsufficientShares { .. } => {
                description.contains("insufficient number of members")
                    || description.contains("Insufficient number of groups")
                    || description.starts_with("5. Basic sharing")
                    || description.starts_with("24. Basic sharing")
            }
            _ => false,
        };
        assert!(fits, "{description}: unexpected error {err:?}");
    }
}
