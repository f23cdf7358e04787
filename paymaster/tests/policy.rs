//! Every policy rule refuses with its name; concurrent requests never overspend; expired and
//! cross-chain sponsorships cannot be used.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use alloy_primitives::{Address, Bytes, U256};
use harbor_core::aa::{
    AccountCall, AccountClient, HarborAccount, SendError, SendOptions, UserOperation,
};
use harbor_core::keys::{LocalSigner, Signer};
use harbor_core::rpc::{PaymasterClient, RpcError};
use harbor_devnet::Devnet;
use harbor_paymaster::config::Policy;
use serde_json::{Value, json};

use common::*;

/// The first operation of owner `owner`'s new Harbor account (nonce key `key`) calling `to`.
async fn op(devnet: &Devnet, owner: u8, key: u64, to: Address, data: Bytes) -> UserOperation {
    harbor_op(
        devnet,
        owner,
        key,
        &[AccountCall {
            to,
            value: U256::ZERO,
            data,
        }],
    )
    .await
}

fn rule_of(error: RpcError) -> String {
    policy_refusal(error).0
}

async fn sign(pm: &PaymasterClient, op: &UserOperation, chain: u64) -> Result<(), RpcError> {
    pm.data(op, harbor_core::aa::ENTRY_POINT_V07, chain, &Value::Null)
        .await
        .map(|_| ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_rule_refuses_with_its_name() {
    let devnet = devnet(31337).await;
    let token: Address = devnet.manifest().dev_token.parse().unwrap();
    let transfer = harbor_core::tokens::transfer_call_data(Address::repeat_byte(1), U256::from(1));
    for owner in 1..=5u8 {
        let sender = op(&devnet, owner, 0, token, Bytes::new()).await.sender;
        mint(&devnet, sender, U256::from(1_000)).await;
    }
    let good = |owner: u8, key: u64| op(&devnet, owner, key, token, transfer.clone());
    let cost = good(1, 0).await.max_gas_cost();
    let strict = Policy {
        max_ops_per_sender: 2,
        max_ops_total: 3,
        max_open_per_sender: 10,
        max_call_gas: 500_000,
        max_verification_gas: 500_000,
        max_pre_verification_gas: 200_000,
        max_fee_per_gas_wei: U256::from(10_000_000_000u64),
        allowed_targets: vec![token],
        allowed_selectors: vec!["0xa9059cbb".into()],
        allow_native_transfers: false,
        ..Policy::defaults(31337)
    };
    let spend = Policy {
        // Room for one operation per sender and two in total (each reserves `cost`, the worst
        // case: every gas limit at maxFeePerGas).
        max_spend_per_sender_wei: cost + cost / U256::from(2),
        max_spend_total_wei: cost * U256::from(2) + cost / U256::from(2),
        max_open_per_sender: 10,
        ..Policy::defaults(31337)
    };
    let harness = start_relay(
        &[&devnet],
        vec![
            app("strict", "strict-app-key", vec![strict]),
            app("spend", "spend-app-key", vec![spend]),
        ],
    )
    .await;
    let strict =
        PaymasterClient::new(&format!("{}/rpc/31337/strict-app-key", harness.base)).unwrap();

    let mut bad = good(1, 0).await;
    bad.call_gas_limit = U256::from(500_001);
    assert_eq!(
        rule_of(sign(&strict, &bad, 31337).await.unwrap_err()),
        "max_call_gas"
    );
    let mut bad = good(1, 0).await;
    bad.verification_gas_limit = U256::from(500_001);
    assert_eq!(
        rule_of(sign(&strict, &bad, 31337).await.unwrap_err()),
        "max_verification_gas"
    );
    let mut bad = good(1, 0).await;
    bad.pre_verification_gas = U256::from(200_001);
    assert_eq!(
        rule_of(sign(&strict, &bad, 31337).await.unwrap_err()),
        "max_pre_verification_gas"
    );
    let mut bad = good(1, 0).await;
    bad.max_fee_per_gas = U256::from(10_000_000_001u64);
    assert_eq!(
        rule_of(sign(&strict, &bad, 31337).await.unwrap_err()),
        "max_fee_per_gas_wei"
    );
    let bad = op(&devnet, 1, 0, Address::repeat_byte(9), transfer.clone()).await;
    assert_eq!(
        rule_of(sign(&strict, &bad, 31337).await.unwrap_err()),
        "allowed_targets"
    );
    let bad = op(
        &devnet,
        1,
        0,
        token,
        Bytes::from(vec![0x09, 0x5e, 0xa7, 0xb3]),
    )
    .await;
    assert_eq!(
        rule_of(sign(&strict, &bad, 31337).await.unwrap_err()),
        "allowed_selectors"
    );
    let bad = op(&devnet, 1, 0, token, Bytes::new()).await;
    assert_eq!(
        rule_of(sign(&strict, &bad, 31337).await.unwrap_err()),
        "allow_native_transfers"
    );
    // The stub stage already says no.
    let stub = strict
        .stub_data(&bad, harbor_core::aa::ENTRY_POINT_V07, 31337, &Value::Null)
        .await
        .unwrap_err();
    assert_eq!(rule_of(stub), "allow_native_transfers");

    // Counts: 2 per sender, 3 in total (nonce keys 0 and 1 of one account, then others).
    sign(&strict, &good(1, 0).await, 31337).await.unwrap();
    sign(&strict, &good(1, 1).await, 31337).await.unwrap();
    assert_eq!(
        rule_of(sign(&strict, &good(1, 2).await, 31337).await.unwrap_err()),
        "max_ops_per_sender"
    );
    sign(&strict, &good(2, 0).await, 31337).await.unwrap();
    assert_eq!(
        rule_of(sign(&strict, &good(3, 0).await, 31337).await.unwrap_err()),
        "max_ops_total"
    );

    // Spend in wei, per sender and in total.
    let spend = PaymasterClient::new(&format!("{}/rpc/31337/spend-app-key", harness.base)).unwrap();
    sign(&spend, &good(1, 0).await, 31337).await.unwrap();
    assert_eq!(
        rule_of(sign(&spend, &good(1, 1).await, 31337).await.unwrap_err()),
        "max_spend_per_sender_wei"
    );
    sign(&spend, &good(2, 0).await, 31337).await.unwrap();
    assert_eq!(
        rule_of(sign(&spend, &good(3, 0).await, 31337).await.unwrap_err()),
        "max_spend_total_wei"
    );

    // Unknown key, other chain, wrong EntryPoint, malformed JSON.
    let client = reqwest::Client::new();
    let answer: Value = client
        .post(format!("{}/rpc/31337/not-a-key", harness.base))
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .map(|t| serde_json::from_str::<Value>(&t).unwrap())
        .unwrap();
    assert_eq!(
        answer["error"]["code"],
        json!(harbor_core::codes::UNAUTHORIZED)
    );
    let answer: Value = client
        .post(harness.url(31337))
        .body("{not json")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .map(|t| serde_json::from_str::<Value>(&t).unwrap())
        .unwrap();
    assert_eq!(answer["error"]["code"], json!(-32700));
    let wallet = PaymasterClient::new(&harness.url(31337)).unwrap();
    match sign(&wallet, &good(5, 0).await, 1).await.unwrap_err() {
        RpcError::Server { code, .. } => assert_eq!(code, harbor_core::codes::UNSUPPORTED_CHAIN),
        other => panic!("{other:?}"),
    }
    match wallet
        .data(
            &good(5, 0).await,
            Address::repeat_byte(3),
            31337,
            &Value::Null,
        )
        .await
        .unwrap_err()
    {
        RpcError::Server { code, message, .. } => {
            assert_eq!(code, -32602);
            assert!(message.contains("EntryPoint"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let huge = "x".repeat(100 * 1024);
    let status = client
        .post(harness.url(31337))
        .body(huge)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 413);
    // Every bundle the relayer sent was paid back by its refund.
    harness.assert_relayer_covered().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hammering_never_overspends() {
    let devnet = devnet(31337).await;
    let mut ops = Vec::new();
    for i in 0..40u8 {
        ops.push(op(&devnet, i + 1, 0, Address::repeat_byte(7), Bytes::new()).await);
    }
    let most = ops.iter().map(UserOperation::max_gas_cost).max().unwrap();
    let budget = most * U256::from(7) + most / U256::from(2);
    let policy = Policy {
        // Room for exactly 7 operations.
        max_spend_total_wei: budget,
        ..Policy::defaults(31337)
    };
    let harness = start_relay(
        &[&devnet],
        vec![app("budget", "budget-app-key", vec![policy])],
    )
    .await;
    let url = format!("{}/rpc/31337/budget-app-key", harness.base);
    let tasks: Vec<_> = ops
        .into_iter()
        .map(|op| {
            let url = url.clone();
            tokio::spawn(async move {
                let pm = PaymasterClient::new(&url).unwrap();
                sign(&pm, &op, 31337).await.is_ok()
            })
        })
        .collect();
    let mut granted = 0;
    for task in tasks {
        granted += usize::from(task.await.unwrap());
    }
    assert_eq!(granted, 7);
    let (ops, spend) = harness
        .relay
        .store
        .usage("budget", 31337, None, window())
        .unwrap();
    assert_eq!(ops, 7);
    assert!(U256::from(spend) <= budget);
    // Every bundle the relayer sent was paid back by its refund.
    harness.assert_relayer_covered().await;
}

fn window() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    now / 86_400 * 86_400
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_cross_chain_sponsorships_fail() {
    let a = devnet(31337).await;
    let b = devnet(31338).await;
    let short = Policy {
        validity_seconds: 60,
        ..Policy::defaults(31337)
    };
    let harness = start_relay(&[&a, &b], vec![app("short", "short-app-key", vec![short])]).await;
    let owner = LocalSigner::random().unwrap();
    let account = HarborAccount::new(owner.address(), U256::ZERO);
    let calls = [AccountCall {
        to: Address::repeat_byte(7),
        value: U256::ZERO,
        data: Bytes::new(),
    }];

    // Expired: prepare (signed for 60 s), let the chain move 10 minutes, then submit.
    let short_url = format!("{}/rpc/31337/short-app-key", harness.base);
    let client = AccountClient::new(31337, &a.manifest().rpc_url, &short_url)
        .unwrap()
        .with_paymaster(&short_url)
        .unwrap();
    let mut prepared = client
        .prepare(&account, &calls, &SendOptions::default(), &|_| {})
        .await
        .unwrap();
    client.sign(&mut prepared, &owner).unwrap();
    let node_a = node(&a);
    node_a.raw("evm_increaseTime", json!([600])).await.unwrap();
    node_a.raw("evm_mine", json!([])).await.unwrap();
    match client.submit(&prepared).await.unwrap_err() {
        SendError::Rejected { reason } => assert!(reason.contains("AA32"), "{reason}"),
        other => panic!("{other:?}"),
    }

    // Cross-chain: a sponsorship signed on chain A, submitted on chain B.
    let client_a = AccountClient::new(31337, &a.manifest().rpc_url, &harness.url(31337))
        .unwrap()
        .with_paymaster(&harness.url(31337))
        .unwrap();
    let client_b = AccountClient::new(31338, &b.manifest().rpc_url, &harness.url(31338))
        .unwrap()
        .with_paymaster(&harness.url(31338))
        .unwrap();
    let mut prepared = client_a
        .prepare(&account, &calls, &SendOptions::default(), &|_| {})
        .await
        .unwrap();
    // Re-sign the account part for chain B so only the sponsorship is foreign.
    prepared.user_op_hash = harbor_core::aa::user_operation_hash(
        &prepared.user_operation,
        harbor_core::aa::EntryPointVersion::V07,
        client_b.entry_point(),
        31338,
    );
    client_b.sign(&mut prepared, &owner).unwrap();
    match client_b.submit(&prepared).await.unwrap_err() {
        SendError::Rejected { reason } => assert!(reason.contains("AA34"), "{reason}"),
        other => panic!("{other:?}"),
    }
    // And straight to chain B's EntryPoint via simulation: the paymaster refuses it too.
    let chain_b = harness.relay.chain(31338).unwrap();
    let fees = harbor_paymaster::chain::BundleFees::for_op(
        &prepared.user_operation,
        chain_b.network_fees().await.unwrap(),
    );
    let failure = chain_b
        .simulate(
            &prepared.user_operation,
            harness.relay.relayer_address(),
            fees,
        )
        .await
        .unwrap_err();
    assert!(failure.message.contains("AA34"), "{}", failure.message);
    let _ = Arc::new(());
    // Every bundle the relayer sent was paid back by its refund.
    harness.assert_relayer_covered().await;
}
