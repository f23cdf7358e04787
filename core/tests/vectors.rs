//! Official test vectors: BIP-39 (Trezor's reference vectors, passphrase "TREZOR") and BIP-32
//! (the vectors of the BIP text).
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail by panicking.

use harbor_core::keys::{DerivationPath, HdRoot, Language, Mnemonic};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
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
