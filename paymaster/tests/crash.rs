//! The relay process is killed between signing/submitting and inclusion; after a restart its
//! accounting matches the chain.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use alloy_primitives::{Address, Bytes, U256};
use harbor_core::aa::{AccountCall, AccountClient, HarborAccount, SendOptions};
use harbor_core::keys::{LocalSigner, Signer};
use harbor_paymaster::store::Store;
use serde_json::json;

use common::*;

async fn wait_for(store: &Store, what: impl Fn(&harbor_paymaster::store::Totals) -> bool) {
    for _ in 0..100 {
        if what(&store.totals(31337).unwrap()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "store never reached the expected state: {:?}",
        store.totals(31337)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounting_survives_a_kill_between_signing_and_inclusion() {
    let devnet = devnet(31337).await;
    let m = devnet.manifest().clone();
    let dir = tempfile::tempdir().unwrap();
    let port = harbor_devnet::free_port().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let config_path = dir.path().join("relay.toml");
    let db = dir.path().join("relay.sqlite");
    std::fs::write(
        &config_path,
        format!(
            r#"
listen = "127.0.0.1:{port}"
database = "{db}"
signer_key = {{ env = "HARBOR_TEST_SIGNER" }}
relayer_key = {{ env = "HARBOR_TEST_RELAYER" }}

[[chains]]
chain_id = 31337
rpc_url = "{rpc}"
paymaster = "{paymaster}"
poll_interval_ms = 200

[[apps]]
name = "wallet"
api_key = "{APP_KEY}"

[[apps.policies]]
chain_id = 31337
validity_seconds = 120
"#,
            db = db.display(),
            rpc = m.rpc_url,
            paymaster = m.paymaster,
        ),
    )
    .unwrap();
    let relayer = LocalSigner::from_hex(harbor_devnet::DEV_RELAYER_KEY)
        .unwrap()
        .address();
    let relayer_before = node(&devnet).balance(relayer).await.unwrap();
    let mut relay = spawn_relay(&config_path);
    wait_healthy(&base).await;
    let url = format!("{base}/rpc/31337/{APP_KEY}");
    let client = AccountClient::new(31337, &m.rpc_url, &url)
        .unwrap()
        .with_paymaster(&url)
        .unwrap();
    let calls = [AccountCall {
        to: Address::repeat_byte(7),
        value: U256::ZERO,
        data: Bytes::new(),
    }];
    let options = SendOptions::default();

    // Two sponsorships signed; the first is submitted by the relay but not mined yet.
    let owner = LocalSigner::random().unwrap();
    let account = HarborAccount::new(owner.address(), U256::ZERO);
    let mut used = client
        .prepare(&account, &calls, &options, &|_| {})
        .await
        .unwrap();
    client.sign(&mut used, &owner).unwrap();
    let other = LocalSigner::random().unwrap();
    let unused_account = HarborAccount::new(other.address(), U256::ZERO);
    let _unused = client
        .prepare(&unused_account, &calls, &options, &|_| {})
        .await
        .unwrap();
    let chain = node(&devnet);
    chain.raw("evm_setAutomine", json!([false])).await.unwrap();
    let hash = client.submit(&used).await.unwrap();

    // Crash.
    relay.kill();
    let store = Store::open(&db).unwrap();
    let totals = store.totals(31337).unwrap();
    assert_eq!((totals.reserved, totals.settled), (2, 0));

    // The chain moves on without the relay.
    chain.raw("evm_mine", json!([])).await.unwrap();
    chain.raw("evm_setAutomine", json!([true])).await.unwrap();

    // Restart: the relay reads the logs it missed and settles from them.
    let mut relay = spawn_relay(&config_path);
    wait_healthy(&base).await;
    wait_for(&store, |t| t.settled == 1).await;
    let receipt = client
        .bundler()
        .user_operation_receipt(hash)
        .await
        .unwrap()
        .unwrap();
    assert!(receipt.success);
    let totals = store.totals(31337).unwrap();
    assert_eq!(U256::from(totals.settled_wei), receipt.actual_gas_cost);
    assert_eq!(
        totals.reserved, 1,
        "the unused sponsorship is still reserved"
    );

    // Once its validity has passed on-chain it is released.
    chain.raw("evm_increaseTime", json!([600])).await.unwrap();
    chain.raw("evm_mine", json!([])).await.unwrap();
    wait_for(&store, |t| t.reserved == 0 && t.released == 1).await;
    let window = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 86_400
        * 86_400;
    assert_eq!(
        store.usage("wallet", 31337, None, window).unwrap(),
        (1, totals.settled_wei)
    );
    relay.kill();
    // The bundle's refund covered the relayer's transaction, across the kill.
    assert!(node(&devnet).balance(relayer).await.unwrap() >= relayer_before);
}
