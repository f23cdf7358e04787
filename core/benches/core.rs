//! Criterion benchmarks for harbor-core. Run with `cargo xtask bench`, which prints the ratios
//! between benchmarks measured in the same run (absolute times on shared machines are noise).
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use alloy_primitives::{Address, B256, U64, U128, U256, address, keccak256};
use alloy_sol_types::{Eip712Domain, SolStruct, eip712_domain, sol};
use criterion::{Criterion, criterion_group, criterion_main};
use harbor_core::evm::{
    TransactionRequest, parse_typed_data, recover_address, sign_transaction, typed_data_hash,
    verify_signature,
};
use harbor_core::keys::{DerivationPath, HdRoot, LocalSigner, Mnemonic, Signer};
use harbor_core::vault::KdfParams;

const KEY: [u8; 32] = [0x42; 32];

fn hash() -> B256 {
    keccak256(b"harbor benchmark message")
}

fn ecdsa(c: &mut Criterion) {
    let ours = LocalSigner::from_slice(&KEY).unwrap();
    let secp = secp256k1::Secp256k1::new();
    let secret = secp256k1::SecretKey::from_byte_array(KEY).unwrap();
    let public = secp256k1::PublicKey::from_secret_key(&secp, &secret);
    let digest = hash();
    let message = secp256k1::Message::from_digest(digest.0);

    let mut group = c.benchmark_group("sign");
    group.bench_function("harbor", |b| {
        b.iter(|| ours.sign_hash(black_box(&digest)).unwrap())
    });
    group.bench_function("libsecp256k1", |b| {
        b.iter(|| secp.sign_ecdsa_recoverable(black_box(message), &secret))
    });
    group.finish();

    let signature = ours.sign_hash(&digest).unwrap();
    let address = ours.address();
    let lib_signature = secp.sign_ecdsa(message, &secret);
    let lib_recoverable = secp.sign_ecdsa_recoverable(message, &secret);

    let mut group = c.benchmark_group("verify");
    group.bench_function("harbor", |b| {
        b.iter(|| verify_signature(black_box(&digest), &signature, address).unwrap())
    });
    group.bench_function("libsecp256k1", |b| {
        b.iter(|| {
            secp.verify_ecdsa(black_box(message), &lib_signature, &public)
                .unwrap()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("recover");
    group.bench_function("harbor", |b| {
        b.iter(|| recover_address(black_box(&digest), &signature).unwrap())
    });
    // The same work as ours: recover the key, then hash it into an address.
    group.bench_function("libsecp256k1", |b| {
        b.iter(|| {
            let key = secp
                .recover_ecdsa(black_box(message), &lib_recoverable)
                .unwrap();
            Address::from_slice(&keccak256(&key.serialize_uncompressed()[1..])[12..])
        })
    });
    group.finish();
}

fn transaction(c: &mut Criterion) {
    let signer = LocalSigner::from_slice(&KEY).unwrap();
    let request = TransactionRequest {
        to: Some(address!("70997970C51812dc3A010C7d01b50e0d17dc79C8")),
        value: Some(U256::from(10u64).pow(U256::from(18))),
        chain_id: Some(U64::from(1)),
        nonce: Some(U64::from(7)),
        gas: Some(U64::from(21_000)),
        max_fee_per_gas: Some(U128::from(30_000_000_000u64)),
        max_priority_fee_per_gas: Some(U128::from(1_000_000_000u64)),
        ..Default::default()
    };
    let digest = hash();
    let mut group = c.benchmark_group("eip1559");
    group.bench_function("build_hash_sign_encode", |b| {
        b.iter(|| sign_transaction(&signer, black_box(&request), Some(1)).unwrap())
    });
    group.bench_function("raw_sign", |b| {
        b.iter(|| signer.sign_hash(black_box(&digest)).unwrap())
    });
    group.finish();
}

sol! {
    struct Person {
        string name;
        address wallet;
    }
    struct Mail {
        Person from;
        Person to;
        string contents;
    }
}

const MAIL_JSON: &str = r#"{
  "types": {
    "EIP712Domain": [
      {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
      {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}
    ],
    "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
    "Mail": [{"name": "from", "type": "Person"}, {"name": "to", "type": "Person"},
             {"name": "contents", "type": "string"}]
  },
  "primaryType": "Mail",
  "domain": {"name": "Ether Mail", "version": "1", "chainId": 1,
             "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},
  "message": {
    "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
    "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
    "contents": "Hello, Bob!"
  }
}"#;

fn eip712(c: &mut Criterion) {
    let domain: Eip712Domain = eip712_domain! {
        name: "Ether Mail",
        version: "1",
        chain_id: 1,
        verifying_contract: address!("CcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"),
    };
    let mail = Mail {
        from: Person {
            name: "Cow".into(),
            wallet: address!("CD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"),
        },
        to: Person {
            name: "Bob".into(),
            wallet: address!("bBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"),
        },
        contents: "Hello, Bob!".into(),
    };
    // Both paths must agree, or the comparison is meaningless.
    assert_eq!(
        mail.eip712_signing_hash(&domain),
        typed_data_hash(&parse_typed_data(MAIL_JSON).unwrap()).unwrap()
    );
    let mut group = c.benchmark_group("eip712");
    group.bench_function("from_json", |b| {
        b.iter(|| typed_data_hash(&parse_typed_data(black_box(MAIL_JSON)).unwrap()).unwrap())
    });
    group.bench_function("static_sol_struct", |b| {
        b.iter(|| black_box(&mail).eip712_signing_hash(&domain))
    });
    group.finish();
}

fn keys(c: &mut Criterion) {
    let mnemonic = Mnemonic::parse(
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
    )
    .unwrap();
    let seed = mnemonic.to_seed("");
    let root = HdRoot::from_seed(&seed).unwrap();
    let path = DerivationPath::ethereum(0);
    let mut group = c.benchmark_group("keys");
    group.bench_function("bip39_seed", |b| {
        b.iter(|| black_box(&mnemonic).to_seed(""))
    });
    group.bench_function("bip32_m44_60_0_0_0", |b| {
        b.iter(|| {
            HdRoot::from_seed(black_box(&seed))
                .unwrap()
                .derive_signer(&path)
                .unwrap()
        })
    });
    group.bench_function("bip32_from_root", |b| {
        b.iter(|| black_box(&root).derive_signer(&path).unwrap())
    });
    group.finish();
}

fn vault(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.harbor");
    let password = "benchmark password";
    drop(harbor_core::vault::Vault::create(&path, password, KdfParams::DEFAULT).unwrap());
    let light_path = dir.path().join("light.harbor");
    drop(harbor_core::vault::Vault::create(&light_path, password, KdfParams::LIGHT).unwrap());
    let mut group = c.benchmark_group("vault_unlock");
    group.sample_size(10);
    for (name, path) in [
        ("default_64MiB_t3_p4", &path),
        ("light_19MiB_t2_p1", &light_path),
    ] {
        let mut vault = harbor_core::vault::Vault::open(path).unwrap();
        group.bench_function(name, |b| {
            b.iter(|| {
                vault.unlock(black_box(password)).unwrap();
                vault.lock();
            })
        });
    }
    group.finish();
}

criterion_group!(benches, ecdsa, transaction, eip712, keys, vault);
criterion_main!(benches);
