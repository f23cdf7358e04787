//! Several relay processes on one PostgreSQL database (a real server from Debian's packages,
//! started for the test): one budget held exactly across them, one instance at a time reading
//! the chain and submitting from the relayer key, and another taking over when it is killed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::time::Duration;

use alloy_primitives::{Address, Bytes, U256};
use harbor_core::aa::{AccountCall, AccountClient, HarborAccount, SendOptions};
use harbor_core::keys::{LocalSigner, Signer};
use harbor_core::rpc::PaymasterClient;
use harbor_devnet::Devnet;
use harbor_devnet::postgres::TempPostgres;
use harbor_paymaster::store::Store;
use serde_json::Value;

use common::*;

/// A relay instance: its process and base URL.
struct Instance {
    process: RelayProcess,
    base: String,
}

/// Starts `count` relay processes on `database` for the dev chain, with `policy` (TOML lines).
async fn instances(
    devnet: &Devnet,
    database: &str,
    count: usize,
    policy: &str,
    dir: &Path,
) -> Vec<Instance> {
    let m = devnet.manifest();
    let mut out = Vec::new();
    for i in 0..count {
        let port = harbor_devnet::free_port().unwrap();
        let config = dir.join(format!("relay-{i}.toml"));
        std::fs::write(
            &config,
            format!(
                r#"
listen = "127.0.0.1:{port}"
database = "{database}"
lease_seconds = 2
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
validity_seconds = 300
{policy}
"#,
                rpc = m.rpc_url,
                paymaster = m.paymaster,
            ),
        )
        .unwrap();
        let process = spawn_relay(&config);
        let base = format!("http://127.0.0.1:{port}");
        wait_healthy(&base).await;
        out.push(Instance { process, base });
    }
    out
}

fn rpc_url(instance: &Instance) -> String {
    format!("{}/rpc/31337/{APP_KEY}", instance.base)
}

fn postgres() -> (TempPostgres, String) {
    let server =
        TempPostgres::start(false).expect("a PostgreSQL server (Debian package postgresql)");
    let url = server.database("relay").unwrap();
    (server, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_grant_exactly_the_budget_to_200_concurrent_requests() {
    let devnet = devnet(31337).await;
    let (_server, url) = postgres();
    let dir = tempfile::tempdir().unwrap();
    let relays = instances(&devnet, &url, 3, "max_ops_total = 17", dir.path()).await;
    let mut ops = Vec::new();
    for owner in 1..=200u8 {
        ops.push(
            harbor_op(
                &devnet,
                owner,
                0,
                &[AccountCall {
                    to: Address::repeat_byte(7),
                    value: U256::ZERO,
                    data: Bytes::new(),
                }],
            )
            .await,
        );
    }
    let tasks: Vec<_> = ops
        .into_iter()
        .enumerate()
        .map(|(i, op)| {
            let url = rpc_url(&relays[i % relays.len()]);
            tokio::spawn(async move {
                let pm = PaymasterClient::new(&url).unwrap();
                pm.data(&op, harbor_core::aa::ENTRY_POINT_V07, 31337, &Value::Null)
                    .await
            })
        })
        .collect();
    let mut granted = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => granted += 1,
            Err(error) => {
                let (rule, _) = policy_refusal(error);
                assert_eq!(rule, "max_ops_total");
            }
        }
    }
    assert_eq!(granted, 17);
    let store = Store::open_postgres(&url).unwrap();
    let totals = store.totals(31337).unwrap();
    assert_eq!(totals.reserved, 17);
}

/// Waits for the receipt of `hash` (queued operations wait for the leading instance).
async fn receipt(
    client: &AccountClient,
    hash: alloy_primitives::B256,
) -> harbor_core::rpc::UserOperationReceipt {
    for _ in 0..300 {
        if let Ok(Some(receipt)) = client.bundler().user_operation_receipt(hash).await {
            return receipt;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no receipt for {hash}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_leader_is_replaced_and_the_accounts_still_equal_the_chain() {
    let devnet = devnet(31337).await;
    let m = devnet.manifest().clone();
    let (_server, url) = postgres();
    let dir = tempfile::tempdir().unwrap();
    let mut relays = instances(&devnet, &url, 3, "", dir.path()).await;
    let store = Store::open_postgres(&url).unwrap();
    let relayer = LocalSigner::from_hex(harbor_devnet::DEV_RELAYER_KEY)
        .unwrap()
        .address();
    let lease = format!("chain:31337:{relayer:#x}");
    // Wait until one of them leads the chain.
    let leader_pid = loop {
        if let Some((holder, _, _)) = store.lease_holder(&lease).unwrap() {
            break holder.split(':').nth(1).unwrap().parse::<u32>().unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let leader = relays
        .iter()
        .position(|r| r.process.pid() == leader_pid)
        .unwrap();
    let calls = [AccountCall {
        to: Address::repeat_byte(7),
        value: U256::ZERO,
        data: Bytes::new(),
    }];
    let send = |instance: &Instance, owner: &LocalSigner| {
        let url = rpc_url(instance);
        let rpc = m.rpc_url.clone();
        let owner = owner.clone();
        let calls = calls.clone();
        async move {
            let client = AccountClient::new(31337, &rpc, &url)
                .unwrap()
                .with_paymaster(&url)
                .unwrap();
            let account = HarborAccount::new(owner.address(), U256::ZERO);
            let mut op = client
                .prepare(&account, &calls, &SendOptions::default(), &|_| {})
                .await
                .unwrap();
            client.sign(&mut op, &owner).unwrap();
            client.submit(&op).await.unwrap()
        }
    };
    // Sent through every instance: the leader submits, the others hand over to it.
    let owners: Vec<LocalSigner> = (0..6).map(|_| LocalSigner::random().unwrap()).collect();
    let mut sent = Vec::new();
    for (i, owner) in owners[..3].iter().enumerate() {
        sent.push(send(&relays[i], owner).await);
    }
    // The leader dies mid-run (SIGKILL); the survivors go on accepting operations.
    relays[leader].process.kill();
    let survivors: Vec<usize> = (0..3).filter(|&i| i != leader).collect();
    for (n, owner) in owners[3..].iter().enumerate() {
        sent.push(send(&relays[survivors[n % 2]], owner).await);
    }
    // Every operation is included and executed — the queued ones by the new leader (asked
    // through a survivor: any instance answers for all).
    let survivor = rpc_url(&relays[survivors[0]]);
    let client = AccountClient::new(31337, &m.rpc_url, &survivor).unwrap();
    let mut paid = U256::ZERO;
    let mut bundles = std::collections::BTreeSet::new();
    for hash in &sent {
        let receipt = receipt(&client, *hash).await;
        assert!(receipt.success, "{hash}");
        paid += receipt.actual_gas_cost;
        bundles.insert(receipt.transaction_hash().unwrap());
    }
    let (holder, token, _) = store.lease_holder(&lease).unwrap().unwrap();
    assert_ne!(holder.split(':').nth(1).unwrap(), leader_pid.to_string());
    assert!(token >= 2, "the lease changed hands");
    // No nonce was used twice: six bundles, six relayer transactions.
    assert_eq!(bundles.len(), 6);
    assert_eq!(node(&devnet).transaction_count(relayer).await.unwrap(), 6);
    // The accounts equal the chain: each operation settled once, at what it cost.
    for _ in 0..100 {
        let totals = store.totals(31337).unwrap();
        if totals.settled == 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let totals = store.totals(31337).unwrap();
    assert_eq!((totals.settled, totals.reserved), (6, 0), "{totals:?}");
    assert_eq!(U256::from(totals.settled_wei), paid);
}
