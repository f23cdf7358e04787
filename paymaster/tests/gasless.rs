//! A brand-new account with no ETH for gas sends ETH, a token and a batch, all sponsored through
//! the relay on a real dev chain; the paymaster's deposit pays.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolCall;
use harbor_core::aa::{
    AccountCall, AccountClient, EntryPointVersion, GasPayer, HarborAccount, IEntryPoint,
    IHarborAccountFactory, SendOptions, SendProgress, UserOperation, user_operation_hash,
};
use harbor_core::keys::{LocalSigner, Signer};
use harbor_core::tokens::{parse_amount, transfer_call_data};
use serde_json::json;

use common::*;

fn recorder() -> (
    Arc<Mutex<Vec<SendProgress>>>,
    impl Fn(SendProgress) + Send + Sync,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    (seen, move |p| sink.lock().unwrap().push(p))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_account_sends_eth_token_and_batch_without_gas() {
    let devnet = devnet(31337).await;
    let harness = start_relay(&[&devnet], vec![]).await;
    let m = devnet.manifest().clone();
    let node = node(&devnet);
    let token: Address = m.dev_token.parse().unwrap();
    let paymaster: Address = m.paymaster.parse().unwrap();
    let entry_point: Address = m.entry_point.parse().unwrap();

    let owner = LocalSigner::random().unwrap();
    let account = HarborAccount::new(owner.address(), U256::ZERO);
    let sender = account.address();

    // The locally computed address is the factory's.
    let data = IHarborAccountFactory::getAddressCall {
        owner: owner.address(),
        salt: U256::ZERO,
    }
    .abi_encode();
    let out = node.call(account.factory, &data.into()).await.unwrap();
    assert_eq!(Address::from_slice(&out[12..32]), sender);
    assert_eq!(account.factory.to_string(), m.account_factory);

    let client = AccountClient::new(31337, &m.rpc_url, &harness.url(31337))
        .unwrap()
        .with_paymaster(&harness.url(31337))
        .unwrap();
    client.check_services().await.unwrap();
    let options = SendOptions {
        poll_interval: std::time::Duration::from_millis(100),
        ..SendOptions::default()
    };
    let deposit_before = node
        .entry_point_deposit(entry_point, paymaster)
        .await
        .unwrap();

    // 1. Zero ETH: the first operation deploys the account and sends tokens.
    mint(&devnet, sender, parse_amount("10", 6).unwrap()).await;
    assert_eq!(node.balance(sender).await.unwrap(), U256::ZERO);
    let friend = Address::repeat_byte(0xf1);
    let (seen, progress) = recorder();
    let calls = [AccountCall {
        to: token,
        value: U256::ZERO,
        data: transfer_call_data(friend, parse_amount("1.5", 6).unwrap()),
    }];
    let outcome = client
        .send_calls(&account, &owner, &calls, &options, &progress)
        .await
        .unwrap();
    assert_eq!(outcome.sender, sender);
    assert!(
        matches!(outcome.paid_by, GasPayer::Sponsor { paymaster: p, ref name } if p == paymaster && name.as_deref() == Some("Harbor test sponsor"))
    );
    assert!(outcome.actual_gas_cost > U256::ZERO);
    assert!(outcome.transaction_hash.is_some());
    let stages: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|p| {
            serde_json::to_value(p).unwrap()["stage"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        stages,
        [
            "preparing",
            "sponsoring",
            "signing",
            "submitted",
            "included"
        ]
    );
    assert!(!node.code(sender).await.unwrap().is_empty(), "deployed");
    assert_eq!(
        node.erc20_balance(token, friend).await.unwrap(),
        U256::from(1_500_000)
    );
    assert_eq!(
        node.balance(sender).await.unwrap(),
        U256::ZERO,
        "no gas paid by the account"
    );

    // 2. ETH: the account holds 1 ETH to give, sends 0.25 and still has exactly 0.75.
    set_balance(&devnet, sender, eth("1")).await;
    let calls = [AccountCall {
        to: friend,
        value: eth("0.25"),
        data: Bytes::new(),
    }];
    let second = client
        .send_calls(&account, &owner, &calls, &options, &|_| {})
        .await
        .unwrap();
    assert_eq!(node.balance(sender).await.unwrap(), eth("0.75"));
    assert_eq!(node.balance(friend).await.unwrap(), eth("0.25"));

    // 3. A batch: ETH to one, tokens to another, atomically.
    let other = Address::repeat_byte(0xf2);
    let calls = [
        AccountCall {
            to: other,
            value: eth("0.5"),
            data: Bytes::new(),
        },
        AccountCall {
            to: token,
            value: U256::ZERO,
            data: transfer_call_data(other, parse_amount("2", 6).unwrap()),
        },
    ];
    let third = client
        .send_calls(&account, &owner, &calls, &options, &|_| {})
        .await
        .unwrap();
    assert_eq!(node.balance(sender).await.unwrap(), eth("0.25"));
    assert_eq!(node.balance(other).await.unwrap(), eth("0.5"));
    assert_eq!(
        node.erc20_balance(token, sender).await.unwrap(),
        parse_amount("6.5", 6).unwrap()
    );

    // The paymaster's deposit paid exactly what the receipts say.
    let paid = outcome.actual_gas_cost + second.actual_gas_cost + third.actual_gas_cost;
    let deposit_after = node
        .entry_point_deposit(entry_point, paymaster)
        .await
        .unwrap();
    assert_eq!(deposit_before - deposit_after, paid);

    // The relay's accounting settles to the same figure from the logs.
    let store = harness.relay.store.clone();
    let mut totals = store.totals(31337).unwrap();
    for _ in 0..50 {
        if totals.settled == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        totals = store.totals(31337).unwrap();
    }
    assert_eq!(totals.settled, 3);
    assert_eq!(U256::from(totals.settled_wei), paid);

    // ERC-7769 lookups work for relayed operations.
    let by_hash = client
        .bundler()
        .user_operation_by_hash(third.user_op_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_hash["entryPoint"], json!(entry_point));
    let metrics = reqwest::get(format!("{}/metrics", harness.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("harbor_paymaster_sponsorships_total{app=\"wallet\",chain=\"31337\"} 3"),
        "{metrics}"
    );
    // Every bundle the relayer sent was paid back by its refund.
    harness.assert_relayer_covered().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_operation_hash_matches_the_entry_point() {
    let devnet = devnet(31337).await;
    let m = devnet.manifest();
    let node = node(&devnet);
    let op = UserOperation {
        sender: Address::repeat_byte(0x42),
        nonce: U256::from(5) << 64 | U256::from(3),
        factory: Some(Address::repeat_byte(0x43)),
        factory_data: Some(Bytes::from(vec![1, 2, 3])),
        call_data: Bytes::from(vec![0xaa; 100]),
        call_gas_limit: U256::from(100_000),
        verification_gas_limit: U256::from(200_000),
        pre_verification_gas: U256::from(50_000),
        max_fee_per_gas: U256::from(3_000_000_000u64),
        max_priority_fee_per_gas: U256::from(1_000_000_000u64),
        paymaster: Some(Address::repeat_byte(0x44)),
        paymaster_verification_gas_limit: Some(U256::from(60_000)),
        paymaster_post_op_gas_limit: Some(U256::from(1)),
        paymaster_data: Some(Bytes::from(vec![7; 77])),
        signature: Bytes::from(vec![9; 65]),
    };
    let call = IEntryPoint::getUserOpHashCall { userOp: op.pack() };
    let entry_point: Address = m.entry_point.parse().unwrap();
    let out = node
        .call(entry_point, &call.abi_encode().into())
        .await
        .unwrap();
    assert_eq!(
        out.as_ref(),
        user_operation_hash(&op, EntryPointVersion::V07, entry_point, 31337).as_slice()
    );
}
