//! Interop with software nobody at Harbor wrote: viem's account-abstraction client drives the
//! relay as paymaster and bundler; Harbor's core client uses Pimlico's Alto bundler with the
//! relay as its ERC-7677 paymaster.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use alloy_primitives::{Address, U256};
use harbor_core::aa::{AccountCall, AccountClient, GasPayer, HarborAccount, SendOptions};
use harbor_core::keys::{LocalSigner, Signer};
use harbor_core::tokens::{parse_amount, transfer_call_data};
use harbor_devnet::{DEV_BUNDLER_KEY, DEV_BUNDLER_UTILITY_KEY};
use serde_json::Value;

use common::*;

fn tools() -> PathBuf {
    harbor_devnet::repo_root()
        .expect("inside the Harbor checkout")
        .join("tools")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viem_uses_the_relay_as_paymaster_and_bundler() {
    let devnet = devnet(31337).await;
    let harness = start_relay(&[&devnet], vec![]).await;
    let m = devnet.manifest().clone();
    let owner_key = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
    let owner = LocalSigner::from_hex(owner_key).unwrap();
    let sender = HarborAccount::new(owner.address(), U256::ZERO).address();
    mint(&devnet, sender, parse_amount("5", 6).unwrap()).await;
    set_balance(&devnet, sender, U256::from(1000)).await; // value to send, nothing for gas
    let recipient = Address::repeat_byte(0xbe);

    let url = harness.url(31337);
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(tools().join("interop/viem-relay.mjs"))
            .env("RPC_URL", &m.rpc_url)
            .env("RELAY_URL", url)
            .env("FACTORY", &m.account_factory)
            .env("TOKEN", &m.dev_token)
            .env("RECIPIENT", recipient.to_string())
            .env("OWNER_KEY", owner_key)
            .env("CHAIN_ID", "31337")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "viem failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["success"], true);
    assert_eq!(
        result["sender"]
            .as_str()
            .unwrap()
            .parse::<Address>()
            .unwrap(),
        sender
    );
    assert_eq!(
        result["paymaster"].as_str().unwrap().to_lowercase(),
        devnet.manifest().paymaster.to_lowercase()
    );
    let node = node(&devnet);
    let token: Address = devnet.manifest().dev_token.parse().unwrap();
    assert_eq!(
        node.erc20_balance(token, recipient).await.unwrap(),
        U256::from(1_500_000)
    );
    assert_eq!(node.balance(recipient).await.unwrap(), U256::from(1000));
    assert_eq!(
        node.balance(sender).await.unwrap(),
        U256::ZERO,
        "gas was sponsored"
    );
    // Every bundle the relayer sent was paid back by its refund.
    harness.assert_relayer_covered().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harbor_client_with_alto_bundler_and_harbor_paymaster() {
    let devnet = devnet(31337).await;
    let harness = start_relay(&[&devnet], vec![]).await;
    let m = devnet.manifest().clone();
    let port = harbor_devnet::free_port().unwrap();
    let mut alto = Command::new(tools().join("node_modules/.bin/alto"))
        .args(["--rpc-url", &m.rpc_url])
        .args(["--entrypoints", &m.entry_point])
        .args(["--executor-private-keys", DEV_BUNDLER_KEY])
        .args(["--utility-private-key", DEV_BUNDLER_UTILITY_KEY])
        .args(["--safe-mode", "false"])
        .args(["--port", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Keep draining Alto's output for its whole life (a closed pipe would kill it).
    let stdout = alto.stdout.take().unwrap();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("Server listening") {
                let _ = ready_tx.send(());
            }
        }
    });
    let stderr = alto.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("alto: {line}");
        }
    });
    let ready = tokio::task::spawn_blocking(move || ready_rx.recv_timeout(Duration::from_secs(90)))
        .await
        .unwrap();
    if ready.is_err() {
        let _ = alto.kill();
        let _ = alto.wait();
        panic!("alto did not start within 90 s");
    }

    let owner = LocalSigner::random().unwrap();
    let account = HarborAccount::new(owner.address(), U256::ZERO);
    let token: Address = m.dev_token.parse().unwrap();
    mint(&devnet, account.address(), parse_amount("3", 6).unwrap()).await;
    let client = AccountClient::new(31337, &m.rpc_url, &format!("http://127.0.0.1:{port}"))
        .unwrap()
        .with_paymaster(&harness.url(31337))
        .unwrap();
    let friend = Address::repeat_byte(0xab);
    let calls = [AccountCall {
        to: token,
        value: U256::ZERO,
        data: transfer_call_data(friend, parse_amount("0.75", 6).unwrap()),
    }];
    let options = SendOptions {
        poll_interval: Duration::from_millis(200),
        timeout: Duration::from_secs(60),
        ..SendOptions::default()
    };
    let result = client
        .send_calls(&account, &owner, &calls, &options, &|_| {})
        .await;
    let _ = alto.kill();
    let _ = alto.wait();
    let outcome = result.unwrap();
    assert!(matches!(outcome.paid_by, GasPayer::Sponsor { .. }));
    let node = node(&devnet);
    assert_eq!(
        node.erc20_balance(token, friend).await.unwrap(),
        U256::from(750_000)
    );
    assert_eq!(node.balance(account.address()).await.unwrap(), U256::ZERO);
    // The relay settles the spend from the EntryPoint log although Alto submitted it.
    let store = harness.relay.store.clone();
    for _ in 0..50 {
        if store.totals(31337).unwrap().settled == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        U256::from(store.totals(31337).unwrap().settled_wei),
        outcome.actual_gas_cost
    );
    // Every bundle the relayer sent was paid back by its refund.
    harness.assert_relayer_covered().await;
}
