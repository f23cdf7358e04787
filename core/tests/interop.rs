//! Differential tests against independent reference implementations, byte for byte:
//! Trezor's `mnemonic` and `shamir-mnemonic` (PyPI) for BIP-39 and SLIP-39, viem and MetaMask's `@metamask/eth-sig-util` (npm) for
//! BIP-32 addresses, `personal_sign`, EIP-712 and every transaction type.
//!
//! The references are installed, pinned, by `cargo xtask setup` into `tools/`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail by panicking.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use alloy_primitives::{Address, U64, U128, U256, hex};
use harbor_core::evm::{
    Authorization, TransactionRequest, parse_typed_data, sign_authorization, sign_personal_message,
    sign_transaction, sign_typed_data, typed_data_hash,
};
use harbor_core::keys::{
    DerivationPath, HdRoot, Language, LocalSigner, Mnemonic, Signer, WordCount,
};
use harbor_core::recovery::shamir::{self, GroupSpec, Slip39Error, SplitOptions};
use rand::{Rng, RngCore};
use serde_json::{Value, json};
use unicode_normalization::UnicodeNormalization;

/// A long-running reference process speaking one JSON object per line.
struct Oracle {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

fn tools_dir() -> PathBuf {
    harbor_devnet::repo_root()
        .expect("inside the Harbor checkout")
        .join("tools")
}

impl Oracle {
    fn start(program: PathBuf, script: &str) -> Self {
        assert!(
            program.exists() || program.components().count() == 1,
            "{} is missing: run `cargo xtask setup` first",
            program.display()
        );
        let mut child = Command::new(&program)
            .arg(tools_dir().join(script))
            .current_dir(tools_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {}: {e}; run `cargo xtask setup`",
                    program.display()
                )
            });
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Self {
            child,
            stdin,
            stdout,
        }
    }

    fn python() -> Self {
        Self::start(tools_dir().join(".venv/bin/python"), "oracle/bip39.py")
    }

    fn node() -> Self {
        assert!(
            tools_dir().join("node_modules/viem").exists(),
            "tools/node_modules is missing: run `cargo xtask setup` first"
        );
        Self::start(PathBuf::from("node"), "oracle/evm.mjs")
    }

    fn ask(&mut self, request: Value) -> Value {
        writeln!(self.stdin, "{request}").unwrap();
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        let mut reply: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("oracle reply {line:?} is not JSON: {e}"));
        match reply.get_mut("ok") {
            Some(ok) => ok.take(),
            None => panic!("oracle refused {request}: {}", reply["error"]),
        }
    }

    /// Like `ask`, but a refusal is returned instead of failing the test.
    fn ask_result(&mut self, request: Value) -> Result<Value, String> {
        writeln!(self.stdin, "{request}").unwrap();
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        let mut reply: Value = serde_json::from_str(&line).unwrap();
        match reply.get_mut("ok") {
            Some(ok) => Ok(ok.take()),
            None => Err(reply["error"].as_str().unwrap_or_default().to_owned()),
        }
    }

    fn ask_str(&mut self, request: Value) -> String {
        self.ask(request).as_str().unwrap().to_owned()
    }
}

impl Drop for Oracle {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn random_entropy(rng: &mut impl RngCore, len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    rng.fill_bytes(&mut bytes);
    bytes
}

fn random_key(rng: &mut impl RngCore) -> LocalSigner {
    loop {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        if let Ok(key) = LocalSigner::from_slice(&bytes) {
            return key;
        }
    }
}

fn key_hex(key: &LocalSigner) -> String {
    format!("0x{}", hex::encode(*key.to_bytes()))
}

const PASSPHRASES: &[&str] = &[
    "",
    "TREZOR",
    "caf\u{e9} cr\u{e8}me",
    "パスワード",
    "Ünïcødé 🔑",
    "  spaces  ",
];

#[test]
fn bip39_matches_trezor_reference_in_every_language() {
    let mut trezor = Oracle::python();
    let mut rng = rand::rng();
    for language in Language::ALL {
        for count in WordCount::ALL {
            for round in 0..6 {
                let entropy = match round {
                    0 => vec![0u8; count.entropy_bytes()],
                    1 => vec![0xffu8; count.entropy_bytes()],
                    _ => random_entropy(&mut rng, count.entropy_bytes()),
                };
                let ours = Mnemonic::from_entropy(language, &entropy).unwrap();
                let theirs = trezor.ask_str(json!({
                    "op": "to_mnemonic", "language": language.code(), "entropy": hex::encode(&entropy)
                }));
                assert_eq!(*ours.phrase(), theirs, "{language} {count:?} phrase");

                // Import of the phrase in NFC form (as phone keyboards type it) and in the
                // reference's form both give back the same entropy and language.
                let nfc: String = theirs.nfc().collect();
                for typed in [theirs.as_str(), nfc.as_str()] {
                    let parsed = Mnemonic::parse(typed)
                        .unwrap_or_else(|e| panic!("{language} {count:?}: {e}"));
                    // Chinese simplified and traditional share characters: a phrase valid in
                    // both may be detected as the other list, with the same text and seed.
                    if parsed.language() == language {
                        assert_eq!(*parsed.entropy(), entropy);
                    } else {
                        assert!(matches!(
                            (language, parsed.language()),
                            (Language::ChineseTraditional, Language::ChineseSimplified)
                        ));
                        assert_eq!(parsed.to_seed("").as_bytes(), ours.to_seed("").as_bytes());
                    }
                    assert_eq!(
                        *Mnemonic::parse_in(language, typed).unwrap().entropy(),
                        entropy
                    );
                }

                let passphrase = PASSPHRASES[rng.random_range(0..PASSPHRASES.len())];
                let seed = trezor.ask_str(json!({
                    "op": "to_seed", "phrase": theirs, "passphrase": passphrase
                }));
                let nfc_passphrase: String = passphrase.nfc().collect();
                assert_eq!(
                    hex::encode(ours.to_seed(&nfc_passphrase).as_bytes()),
                    seed,
                    "{language} {count:?} seed"
                );
            }
        }
    }
}

#[test]
fn bip32_addresses_match_viem() {
    let mut viem = Oracle::node();
    let mut rng = rand::rng();
    let paths = [
        "m/44'/60'/0'/0/0",
        "m/44'/60'/0'/0/7",
        "m/44'/60'/3'/1/2",
        "m/0'/1/2'/2/1000000000",
        "m/1/2/3",
    ];
    for _ in 0..6 {
        let mnemonic =
            Mnemonic::from_entropy(Language::English, &random_entropy(&mut rng, 16)).unwrap();
        let seed = mnemonic.to_seed("");
        let root = HdRoot::from_seed(&seed).unwrap();
        for path in paths {
            let ours = root
                .derive_signer(&path.parse::<DerivationPath>().unwrap())
                .unwrap()
                .address();
            let theirs = viem.ask_str(json!({
                "op": "seedAddress", "seed": format!("0x{}", hex::encode(seed.as_bytes())), "path": path
            }));
            assert_eq!(ours.to_checksum(None), theirs, "{path}");
        }
    }
}

#[test]
fn addresses_and_personal_sign_match_viem_and_eth_sig_util() {
    let mut oracle = Oracle::node();
    let mut rng = rand::rng();
    let messages: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"hello world".to_vec(),
        "Sign in to example.org ✓\nNonce: 42".as_bytes().to_vec(),
        random_entropy(&mut rng, 32),
        random_entropy(&mut rng, 1000),
    ];
    for message in messages {
        let key = random_key(&mut rng);
        let address = oracle.ask_str(json!({"op": "address", "key": key_hex(&key)}));
        assert_eq!(key.address().to_checksum(None), address);
        let ours = sign_personal_message(&key, &message).unwrap();
        let theirs = oracle.ask(json!({
            "op": "personalSign", "key": key_hex(&key), "message": format!("0x{}", hex::encode(&message))
        }));
        assert_eq!(format!("0x{}", hex::encode(ours)), theirs["signature"]);
        assert_eq!(theirs["recovered"], address);
    }
}

/// EIP-712 documents covering nested structs, arrays of structs, dynamic and fixed bytes,
/// strings, bools, addresses and signed/unsigned integers of several widths.
fn typed_data_fixtures() -> Vec<Value> {
    let mail = json!({
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}
            ],
            "Person": [{"name": "name", "type": "string"}, {"name": "wallets", "type": "address[]"}],
            "Mail": [
                {"name": "from", "type": "Person"}, {"name": "to", "type": "Person[]"},
                {"name": "contents", "type": "string"}, {"name": "attachment", "type": "bytes"}
            ]
        },
        "primaryType": "Mail",
        "domain": {"name": "Ether Mail", "version": "1", "chainId": 1,
                   "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},
        "message": {
            "from": {"name": "Cow", "wallets": ["0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826",
                                               "0xDeaDbeefdEAdbeefdEadbEEFdeadbeEFdEaDbeeF"]},
            "to": [{"name": "Bob", "wallets": ["0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"]},
                   {"name": "Alice", "wallets": []}],
            "contents": "Hello, Bob!",
            "attachment": "0x0102030405"
        }
    });
    let numbers = json!({
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "chainId", "type": "uint256"}],
            "Numbers": [
                {"name": "a", "type": "int8"}, {"name": "b", "type": "int256"}, {"name": "c", "type": "uint8"},
                {"name": "d", "type": "uint128"}, {"name": "e", "type": "int64"}, {"name": "f", "type": "uint256"},
                {"name": "g", "type": "bytes1"}, {"name": "h", "type": "bytes32"}, {"name": "i", "type": "bool"},
                {"name": "j", "type": "int32[]"}, {"name": "k", "type": "string[]"}, {"name": "l", "type": "bytes[]"}
            ]
        },
        "primaryType": "Numbers",
        "domain": {"name": "Widths", "chainId": 137},
        "message": {
            "a": -128, "b": "-57896044618658097711785492504343953926634992332820282019728792003956564819968",
            "c": 255, "d": "340282366920938463463374607431768211455", "e": "-9223372036854775808",
            "f": "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            "g": "0xab", "h": "0x0000000000000000000000000000000000000000000000000000000000000001",
            "i": true, "j": [-1, 0, 2147483647], "k": ["", "ünïcode", "x"], "l": ["0x", "0xdeadbeef"]
        }
    });
    let permit = json!({
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}
            ],
            "Permit": [
                {"name": "owner", "type": "address"}, {"name": "spender", "type": "address"},
                {"name": "value", "type": "uint256"}, {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"}
            ]
        },
        "primaryType": "Permit",
        "domain": {"name": "USD Coin", "version": "2", "chainId": 8453,
                   "verifyingContract": "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"},
        "message": {"owner": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
                    "spender": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
                    "value": "1000000", "nonce": 0, "deadline": "1893456000"}
    });
    let nested = json!({
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "salt", "type": "bytes32"}],
            "Order": [{"name": "legs", "type": "Leg[2]"}, {"name": "meta", "type": "Meta"}],
            "Leg": [{"name": "asset", "type": "Asset"}, {"name": "amount", "type": "uint96"}],
            "Asset": [{"name": "token", "type": "address"}, {"name": "ids", "type": "uint256[][]"}],
            "Meta": [{"name": "note", "type": "string"}, {"name": "flags", "type": "bool[3]"}]
        },
        "primaryType": "Order",
        "domain": {"name": "Nested", "salt": "0x1111111111111111111111111111111111111111111111111111111111111111"},
        "message": {
            "legs": [
                {"asset": {"token": "0x0000000000000000000000000000000000000001", "ids": [[1, 2], []]}, "amount": 5},
                {"asset": {"token": "0x0000000000000000000000000000000000000002", "ids": [[3]]}, "amount": "79228162514264337593543950335"}
            ],
            "meta": {"note": "two legs", "flags": [true, false, true]}
        }
    });
    // The domain is hashed by its declared type: fields in a non-standard order, a custom field,
    // and a value the type does not declare (ignored) — security review, finding 6.
    let reordered = json!({
        "types": {
            "EIP712Domain": [
                {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"},
                {"name": "name", "type": "string"}, {"name": "version", "type": "string"}
            ],
            "Note": [{"name": "text", "type": "string"}]
        },
        "primaryType": "Note",
        "domain": {"name": "Order", "version": "1", "chainId": 10,
                   "verifyingContract": "0x1111111111111111111111111111111111111111"},
        "message": {"text": "fields out of the usual order"}
    });
    let custom = json!({
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"}, {"name": "chainId", "type": "uint256"},
                {"name": "app", "type": "string"}, {"name": "deployment", "type": "uint64"}
            ],
            "Note": [{"name": "text", "type": "string"}]
        },
        "primaryType": "Note",
        "domain": {"name": "Custom", "chainId": 1, "app": "exchange", "deployment": 7},
        "message": {"text": "a custom domain field"}
    });
    let undeclared = json!({
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}],
            "Note": [{"name": "text", "type": "string"}]
        },
        "primaryType": "Note",
        "domain": {"name": "Loose", "chainId": 5, "verifyingContract": "0x2222222222222222222222222222222222222222"},
        "message": {"text": "values the domain type does not declare"}
    });
    vec![mail, numbers, permit, nested, reordered, custom, undeclared]
}

#[test]
fn personal_sign_reads_site_parameters_as_metamask_does() {
    // Odd-length hex is hex with a leading zero (security review, finding 10); text stays text.
    let mut oracle = Oracle::node();
    let key = random_key(&mut rand::rng());
    for data in [
        "0xabc",
        "0x0abc",
        "0x",
        "0xABCDEF",
        "hello",
        "0xnot hex",
        "0x1",
    ] {
        let message = harbor_core::dapp::personal_message_bytes(data);
        let ours = json!(hex::encode_prefixed(
            harbor_core::evm::sign_personal_message(&key, &message).unwrap()
        ));
        let theirs =
            oracle.ask(json!({"op": "mmPersonalSign", "key": key_hex(&key), "data": data}));
        assert_eq!(ours, theirs["signature"], "{data}");
    }
}

#[test]
fn eip712_matches_viem_and_eth_sig_util() {
    let mut oracle = Oracle::node();
    let mut rng = rand::rng();
    for fixture in typed_data_fixtures() {
        let key = random_key(&mut rng);
        let json = fixture.to_string();
        let data = parse_typed_data(&json).unwrap();
        let ours_hash = typed_data_hash(&data).unwrap();
        let ours_sig = sign_typed_data(&key, &data, None).unwrap();
        let theirs = oracle.ask(json!({"op": "typedData", "key": key_hex(&key), "json": json}));
        assert_eq!(
            format!("0x{}", hex::encode(ours_sig)),
            theirs["signature"],
            "{json}"
        );
        // viem implements a stricter subset (it rejects some fixed-size struct arrays); where it
        // answers, it must agree.
        let viem_hash = theirs["viemHash"].as_str().unwrap();
        if !viem_hash.starts_with("error") {
            assert_eq!(ours_hash.to_string(), viem_hash, "{json}");
        }
    }
}

#[test]
fn every_transaction_type_matches_viem() {
    let mut oracle = Oracle::node();
    let mut rng = rand::rng();
    for round in 0..12 {
        let key = random_key(&mut rng);
        let chain_id: u64 = [1, 10, 137, 8453, 31337, 11155111][round % 6];
        let tx_type = [0u64, 1, 2, 4][round % 4];
        let data_len = rng.random_range(0..200);
        let mut request = TransactionRequest {
            tx_type: Some(U64::from(tx_type)),
            to: Some(Address::from_slice(&random_entropy(&mut rng, 20))),
            value: Some(U256::from(rng.random::<u64>())),
            data: Some(random_entropy(&mut rng, data_len).into()),
            chain_id: Some(U64::from(chain_id)),
            nonce: Some(U64::from(rng.random_range(0..1000u64))),
            gas: Some(U64::from(rng.random_range(21_000..5_000_000u64))),
            ..Default::default()
        };
        if tx_type < 2 {
            request.gas_price = Some(U128::from(rng.random_range(1..1_000_000_000_000u64)));
        } else {
            let tip = rng.random_range(0..10_000_000_000u64);
            request.max_priority_fee_per_gas = Some(U128::from(tip));
            request.max_fee_per_gas =
                Some(U128::from(tip + rng.random_range(1..100_000_000_000u64)));
        }
        if tx_type >= 1 {
            request.access_list = Some(serde_json::from_value(json!([
                {"address": Address::from_slice(&random_entropy(&mut rng, 20)), "storageKeys": [format!("0x{}", hex::encode(random_entropy(&mut rng, 32)))]}
            ])).unwrap());
        }
        if tx_type == 4 {
            let authority = random_key(&mut rng);
            let authorization = Authorization {
                chain_id: U256::from(chain_id),
                address: Address::from_slice(&random_entropy(&mut rng, 20)),
                nonce: rng.random_range(0..50),
            };
            let signed = sign_authorization(&authority, authorization.clone(), false).unwrap();
            let theirs = oracle.ask(json!({
                "op": "signAuthorization", "key": key_hex(&authority), "authorization": authorization
            }));
            assert_eq!(
                U256::from_str_radix(&theirs["r"].as_str().unwrap()[2..], 16).unwrap(),
                signed.r()
            );
            assert_eq!(
                U256::from_str_radix(&theirs["s"].as_str().unwrap()[2..], 16).unwrap(),
                signed.s()
            );
            assert_eq!(
                theirs["yParity"].as_u64().unwrap(),
                u64::from(signed.y_parity())
            );
            request.authorization_list = Some(vec![signed]);
        }
        let ours = sign_transaction(&key, &request, Some(chain_id)).unwrap();
        let theirs = oracle.ask(json!({
            "op": "signTx", "key": key_hex(&key), "tx": serde_json::to_value(&request).unwrap()
        }));
        assert_eq!(ours.raw.to_string(), theirs["raw"], "type {tx_type}");
        assert_eq!(ours.hash.to_string(), theirs["hash"], "type {tx_type}");
        let parsed = oracle.ask(json!({"op": "parseTx", "raw": ours.raw.to_string()}));
        assert_eq!(parsed["chainId"].as_u64(), Some(chain_id));
    }
}

/// A random SLIP-39 layout: 1–4 groups of 1–5 shares, random thresholds.
fn random_layout(rng: &mut impl Rng) -> SplitOptions {
    let group_count = rng.random_range(1..=4u8);
    let groups: Vec<GroupSpec> = (0..group_count)
        .map(|_| {
            let count = rng.random_range(1..=5u8);
            let threshold = if count == 1 {
                1
            } else {
                rng.random_range(2..=count)
            };
            GroupSpec { threshold, count }
        })
        .collect();
    let passphrase: String = if rng.random_bool(0.5) {
        String::new()
    } else {
        (0..rng.random_range(1..12))
            .map(|_| char::from(rng.random_range(32..=126u8)))
            .collect()
    };
    SplitOptions {
        group_threshold: rng.random_range(1..=group_count),
        groups,
        passphrase: passphrase.into(),
        iteration_exponent: rng.random_range(0..=1),
        extendable: rng.random_bool(0.5),
    }
}

/// Picks exactly the needed shares: `group_threshold` random groups, `threshold` random members
/// of each, shuffled.
fn pick_shares(rng: &mut impl Rng, options: &SplitOptions, groups: &[Vec<String>]) -> Vec<String> {
    use rand::seq::SliceRandom;
    let mut group_order: Vec<usize> = (0..groups.len()).collect();
    group_order.shuffle(rng);
    let mut picked = Vec::new();
    for &g in group_order
        .iter()
        .take(usize::from(options.group_threshold))
    {
        let mut members = groups[g].clone();
        members.shuffle(rng);
        picked.extend(
            members
                .into_iter()
                .take(usize::from(options.groups[g].threshold)),
        );
    }
    picked.shuffle(rng);
    picked
}

fn oracle_split(trezor: &mut Oracle, secret: &[u8], o: &SplitOptions) -> Vec<Vec<String>> {
    let groups: Vec<[u8; 2]> = o.groups.iter().map(|g| [g.threshold, g.count]).collect();
    let reply = trezor.ask(json!({
        "op": "slip39_split", "secret": hex::encode(secret), "group_threshold": o.group_threshold,
        "groups": groups, "passphrase": o.passphrase.as_str(), "extendable": o.extendable,
        "iteration_exponent": o.iteration_exponent,
    }));
    serde_json::from_value(reply).unwrap()
}

fn oracle_combine(
    trezor: &mut Oracle,
    shares: &[String],
    passphrase: &str,
) -> Result<Vec<u8>, String> {
    trezor
        .ask_result(json!({"op": "slip39_combine", "mnemonics": shares, "passphrase": passphrase}))
        .map(|hex| hex::decode(hex.as_str().unwrap()).unwrap())
}

/// Harbor's SLIP-39 and Trezor's `shamir-mnemonic` read each other's shares for random secrets
/// and layouts, and both refuse the same broken sets.
#[test]
fn slip39_matches_trezor_reference() {
    let mut trezor = Oracle::python();
    let mut rng = rand::rng();
    for round in 0..40 {
        let len = 2 * rng.random_range(8..=16usize);
        let secret = random_entropy(&mut rng, len);
        let options = random_layout(&mut rng);
        let context = format!("round {round}: {len} bytes, {options:?}");

        // Ours → theirs.
        let ours: Vec<Vec<String>> = shamir::split(&secret, &options)
            .unwrap()
            .into_iter()
            .map(|g| g.iter().map(|s| s.to_string()).collect())
            .collect();
        let picked = pick_shares(&mut rng, &options, &ours);
        assert_eq!(
            oracle_combine(&mut trezor, &picked, &options.passphrase),
            Ok(secret.clone()),
            "{context}"
        );
        assert_eq!(
            *shamir::combine(&picked, &options.passphrase).unwrap(),
            secret,
            "{context}"
        );

        // Theirs → ours.
        let theirs = oracle_split(&mut trezor, &secret, &options);
        let picked = pick_shares(&mut rng, &options, &theirs);
        assert_eq!(
            *shamir::combine(&picked, &options.passphrase).unwrap(),
            secret,
            "{context}"
        );

        // One share short: both refuse (ours names the group or the groups missing).
        let short = &picked[1..];
        assert!(
            oracle_combine(&mut trezor, short, &options.passphrase).is_err(),
            "{context}"
        );
        let err = shamir::combine(short, &options.passphrase).unwrap_err();
        assert!(
            matches!(
                err,
                Slip39Error::InsufficientShares { .. }
                    | Slip39Error::InsufficientGroups { .. }
                    | Slip39Error::Empty
            ),
            "{context}: {err:?}"
        );

        // One word replaced by another valid word: both refuse, ours by its checksum.
        let mut broken = picked.clone();
        let mut words: Vec<String> = broken[0].split(' ').map(str::to_owned).collect();
        let at = rng.random_range(0..words.len());
        words[at] = if words[at] == "academic" {
            "acid".into()
        } else {
            "academic".into()
        };
        broken[0] = words.join(" ");
        assert!(
            oracle_combine(&mut trezor, &broken, &options.passphrase).is_err(),
            "{context}"
        );
        assert_eq!(
            shamir::combine(&broken, &options.passphrase).unwrap_err(),
            Slip39Error::InvalidChecksum { share: 1 },
            "{context}"
        );

        // A share from another backup of the same secret: both refuse.
        if picked.len() > 1 {
            let other = oracle_split(&mut trezor, &secret, &options);
            let mut mixed = picked.clone();
            mixed[1] = other.iter().flatten().next().unwrap().clone();
            if shamir::share_info(&mixed[1]).unwrap().identifier
                != shamir::share_info(&mixed[0]).unwrap().identifier
            {
                assert!(
                    oracle_combine(&mut trezor, &mixed, &options.passphrase).is_err(),
                    "{context}"
                );
                assert!(
                    matches!(
                        shamir::combine(&mixed, &options.passphrase).unwrap_err(),
                        Slip39Error::MismatchedShares {
                            share: 2,
                            what: "identifier"
                        }
                    ),
                    "{context}"
                );
            }
        }
    }
}
