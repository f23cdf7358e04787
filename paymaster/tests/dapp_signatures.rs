//! Signatures by the smart account, checked by software nobody at Harbor wrote: viem's
//! `verifyMessage` / `verifyTypedData` (ERC-1271 and ERC-6492) and the account contract itself,
//! before and after the account exists on the chain.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use alloy_primitives::{Address, B256, Bytes, U256, hex};
use alloy_sol_types::SolCall;
use harbor_core::aa::{AccountCall, IHarborAccount, unwrap_erc6492};
use harbor_core::evm::{parse_typed_data, personal_message_hash, sign_personal_message};
use harbor_devnet::Manifest;
use serde_json::{Value, json};

use common::*;

const MESSAGE: &[u8] = b"example.org wants you to sign in with your Ethereum account";
const ERC1271_MAGIC: [u8; 4] = [0x16, 0x26, 0xba, 0x7e];

fn mail(chain_id: u64, verifying_contract: Address) -> Value {
    json!({
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"}
            ],
            "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
            "Mail": [
                {"name": "from", "type": "Person"},
                {"name": "to", "type": "Person"},
                {"name": "contents", "type": "string"}
            ]
        },
        "primaryType": "Mail",
        "domain": {
            "name": "Ether Mail",
            "version": "1",
            "chainId": chain_id,
            "verifyingContract": verifying_contract
        },
        "message": {
            "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
            "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
            "contents": "Hello, Bob!"
        }
    })
}

/// viem's answers for `checks` (see `tools/interop/viem-verify.mjs`).
async fn viem_verify(manifest: &Manifest, checks: Value) -> Vec<bool> {
    let script = harbor_devnet::repo_root()
        .expect("inside the Harbor checkout")
        .join("tools/interop/viem-verify.mjs");
    let rpc = manifest.rpc_url.clone();
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new("node")
            .arg(script)
            .env("RPC_URL", rpc)
            .env("CHAIN_ID", "31337")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(checks.to_string().as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "viem failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    })
    .await
    .unwrap()
}

fn message_check(address: Address, signature: &Bytes) -> Value {
    json!({"kind": "message", "address": address, "message": hex::encode_prefixed(MESSAGE), "signature": signature})
}

fn typed_check(address: Address, typed: &Value, signature: &Bytes) -> Value {
    json!({"kind": "typedData", "address": address, "typedData": typed, "signature": signature})
}

/// What the account contract answers for `signature` over `hash`.
async fn account_answer(
    devnet: &harbor_devnet::Devnet,
    account: Address,
    hash: B256,
    signature: &Bytes,
) -> [u8; 4] {
    let data = IHarborAccount::isValidSignatureCall {
        hash,
        signature: signature.clone(),
    }
    .abi_encode();
    let out = node(devnet).call(account, &data.into()).await.unwrap();
    IHarborAccount::isValidSignatureCall::abi_decode_returns(&out)
        .unwrap()
        .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viem_and_the_account_accept_the_smart_account_signatures() {
    let devnet = devnet(31337).await;
    let harness = start_relay(&[&devnet], vec![]).await;
    let m = devnet.manifest().clone();
    let dir = tempfile::tempdir().unwrap();
    let wallet = dev_wallet(&dir, &dev_chain(&m.rpc_url, Some(harness.url(31337))));
    let account = wallet.create_wallet("Main").unwrap().account.address;
    let typed = mail(31337, Address::repeat_byte(0xcc));
    let typed_data = parse_typed_data(&typed.to_string()).unwrap();

    // Not deployed yet: the ERC-6492 form, which viem checks by deploying it in a simulation.
    let message_before = wallet.sign_message(account, 31337, MESSAGE).await.unwrap();
    let typed_before = wallet
        .sign_typed_data(account, 31337, &typed_data)
        .await
        .unwrap();
    assert!(unwrap_erc6492(&message_before).is_some());
    assert!(unwrap_erc6492(&typed_before).is_some());
    // The bare owner-key signature is not the account's.
    let (owner, _) = wallet.signer_for(account).await.unwrap();
    let raw = Bytes::from(sign_personal_message(&owner, MESSAGE).unwrap().to_vec());
    // A domain for another chain is refused before anything is signed.
    let elsewhere = parse_typed_data(&mail(1, Address::ZERO).to_string()).unwrap();
    assert!(
        wallet
            .sign_typed_data(account, 31337, &elsewhere)
            .await
            .is_err()
    );
    let checks = json!([
        message_check(account, &message_before),
        typed_check(account, &typed, &typed_before),
        message_check(account, &raw),
    ]);
    assert_eq!(viem_verify(&m, checks).await, [true, true, false]);

    // Deployed (a first, sponsored operation): 65-byte ERC-1271 signatures.
    wallet
        .send_calls(
            account,
            31337,
            &[AccountCall {
                to: Address::repeat_byte(0xbe),
                value: U256::ZERO,
                data: Bytes::new(),
            }],
            "first operation",
            &|_| {},
        )
        .await
        .unwrap();
    let message_after = wallet.sign_message(account, 31337, MESSAGE).await.unwrap();
    let typed_after = wallet
        .sign_typed_data(account, 31337, &typed_data)
        .await
        .unwrap();
    assert_eq!((message_after.len(), typed_after.len()), (65, 65));
    let hash = personal_message_hash(MESSAGE);
    assert_eq!(
        account_answer(&devnet, account, hash, &message_after).await,
        ERC1271_MAGIC
    );
    assert_eq!(
        account_answer(&devnet, account, hash, &raw).await,
        [0xff; 4]
    );
    let checks = json!([
        message_check(account, &message_after),
        typed_check(account, &typed, &typed_after),
        message_check(account, &message_before),
        message_check(account, &raw),
    ]);
    assert_eq!(viem_verify(&m, checks).await, [true, true, true, false]);
    harness.assert_relayer_covered().await;
}
