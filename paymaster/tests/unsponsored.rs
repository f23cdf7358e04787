//! The relay as a bundler for everyone it serves: an operation the account pays for itself is
//! submitted only where the app's policy allows it, after simulation and the ERC-7562 checks;
//! its receipt is answered; the relayer is refunded.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use alloy_primitives::{Address, Bytes, U256};
use harbor_core::aa::{AccountCall, AccountClient, GasPayer, HarborAccount, SendOptions};
use harbor_core::keys::{LocalSigner, Signer};
use harbor_core::rpc::BundlerClient;
use harbor_paymaster::config::Policy;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_paid_operations_are_bundled_only_where_the_policy_allows() {
    let devnet = devnet(31337).await;
    let mut open = Policy::defaults(31337);
    open.bundle_unsponsored = true;
    let mut harness = start_relay(&[&devnet], vec![app("open", "open-key", vec![open])]).await;
    harness.reset_relayer_baseline().await;
    let rpc = devnet.manifest().rpc_url.clone();
    let owner = LocalSigner::random().unwrap();
    let account = HarborAccount::new(owner.address(), U256::ZERO);
    set_balance(&devnet, account.address(), eth("1")).await;
    let friend = Address::repeat_byte(0xf7);
    let calls = [AccountCall {
        to: friend,
        value: eth("0.1"),
        data: Bytes::new(),
    }];
    let options = SendOptions {
        sponsored: false,
        poll_interval: std::time::Duration::from_millis(100),
        ..SendOptions::default()
    };

    // The default app's policy does not bundle what the relay did not sponsor.
    let closed = AccountClient::new(31337, &rpc, &harness.url(31337)).unwrap();
    let refused = closed
        .send_calls(&account, &owner, &calls, &options, &|_| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("only submits operations sponsored by its paymaster"),
        "{refused}"
    );
    assert_eq!(node(&devnet).balance(friend).await.unwrap(), U256::ZERO);

    // The open app's policy does: the account pays its own gas.
    let open_url = format!("{}/rpc/31337/open-key", harness.base);
    let client = AccountClient::new(31337, &rpc, &open_url).unwrap();
    let outcome = client
        .send_calls(&account, &owner, &calls, &options, &|_| {})
        .await
        .unwrap();
    assert_eq!(outcome.paid_by, GasPayer::Account);
    assert!(outcome.actual_gas_cost > U256::ZERO);
    assert_eq!(node(&devnet).balance(friend).await.unwrap(), eth("0.1"));
    // The EntryPoint keeps the unused prefund as the account's deposit.
    let entry_point = devnet.manifest().entry_point.parse().unwrap();
    let deposit = node(&devnet)
        .entry_point_deposit(entry_point, account.address())
        .await
        .unwrap();
    assert_eq!(
        node(&devnet).balance(account.address()).await.unwrap() + deposit,
        eth("0.9") - outcome.actual_gas_cost,
        "the account paid exactly the gas the EntryPoint charged"
    );
    let receipt = BundlerClient::new(&open_url)
        .unwrap()
        .user_operation_receipt(outcome.user_op_hash)
        .await
        .unwrap()
        .expect("the relay answers for what it submitted");
    assert!(receipt.success);
    harness.assert_relayer_covered().await;
}
