//! `harbor-paymaster deploy` on a fresh anvil that has only the deterministic deployer: it
//! deploys everything at the addresses every chain shares, a second run changes nothing, and a
//! relay configured with what it printed sponsors a 0-ETH account's first operation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Output};

use alloy_primitives::{Address, Bytes, U256};
use harbor_core::aa::{
    AccountCall, AccountClient, ENTRY_POINT_V07, GasPayer, HARBOR_ACCOUNT_FACTORY,
    HARBOR_ACCOUNT_IMPLEMENTATION, HARBOR_PAYMASTER, HarborAccount, SendOptions,
};
use harbor_core::keys::{LocalSigner, Signer};
use harbor_core::rpc::NodeClient;
use harbor_devnet::{DEV_DEPLOYER_ADDRESS, DEV_DEPLOYER_KEY, DEV_SPONSOR_ADDRESS, Devnet};
use harbor_paymaster::config::{ChainConfig, Policy};
use serde_json::{Value, json};

use common::*;

/// Runs `harbor-paymaster deploy` against `rpc` with `extra` arguments.
fn deploy(rpc: &str, extra: &[&str], key: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_harbor-paymaster"));
    command
        .args([
            "--config",
            "/nonexistent/harbor-paymaster.toml",
            "deploy",
            "--rpc",
            rpc,
        ])
        .args(extra)
        .env_remove("HARBOR_DEPLOYER_KEY")
        .env_remove("HARBOR_PAYMASTER_CONFIG");
    if let Some(key) = key {
        command.env("HARBOR_DEPLOYER_KEY", key);
    }
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_readies_a_fresh_chain_once_and_a_zero_eth_account_is_sponsored() {
    let chain = tokio::task::spawn_blocking(|| Devnet::bare(31337, 0).unwrap())
        .await
        .unwrap();
    let rpc = chain.manifest().rpc_url.clone();
    let node = NodeClient::new(&rpc).unwrap();
    assert!(
        node.code(ENTRY_POINT_V07).await.unwrap().is_empty(),
        "a fresh chain"
    );
    let args = [
        "--signer",
        DEV_SPONSOR_ADDRESS,
        "--deposit",
        "2",
        "--stake",
        "0.5",
    ];

    // Bad input: clear sentences, exit code 2, nothing sent.
    let out = deploy(&rpc, &args, None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("HARBOR_DEPLOYER_KEY is not set"),
        "{}",
        text(&out.stderr)
    );
    let out = deploy(
        &rpc,
        &["--signer", DEV_SPONSOR_ADDRESS, "--deposit", "lots"],
        Some(DEV_DEPLOYER_KEY),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--deposit \"lots\" is not an amount of ETH"));
    let out = deploy(&rpc, &["--deposit", "1"], Some(DEV_DEPLOYER_KEY));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no --signer given"),
        "{}",
        text(&out.stderr)
    );
    let deployer: Address = DEV_DEPLOYER_ADDRESS.parse().unwrap();
    assert_eq!(node.transaction_count(deployer).await.unwrap(), 0);

    // A chain without the deterministic deployer is refused with what to do.
    let proxy = node
        .code(harbor_paymaster::deploy::DETERMINISTIC_DEPLOYER)
        .await
        .unwrap();
    let set_code = async |code: Bytes| {
        node.raw(
            "anvil_setCode",
            json!([harbor_paymaster::deploy::DETERMINISTIC_DEPLOYER, code]),
        )
        .await
        .unwrap();
    };
    set_code(Bytes::new()).await;
    let out = deploy(&rpc, &args, Some(DEV_DEPLOYER_KEY));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no deterministic deployment proxy"));
    set_code(proxy).await;

    // First run: everything deployed, funded and staked.
    let out = deploy(&rpc, &args, Some(DEV_DEPLOYER_KEY));
    let log = text(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert_eq!(log.matches("deployed at").count(), 4, "{log}");
    assert!(log.contains("paymaster deposit: added 2 ETH"), "{log}");
    assert!(log.contains("paymaster stake: added 0.5 ETH"), "{log}");
    assert!(log.contains("[[chains]]"), "{log}");
    let manifest: Value = serde_json::from_slice(&out.stdout).unwrap();
    let address = |key: &str| manifest[key].as_str().unwrap().parse::<Address>().unwrap();
    assert_eq!(address("entryPoint"), ENTRY_POINT_V07);
    assert_eq!(
        address("accountImplementation"),
        HARBOR_ACCOUNT_IMPLEMENTATION
    );
    assert_eq!(address("accountFactory"), HARBOR_ACCOUNT_FACTORY);
    // The dev chains' paymaster: same owner and signer, same address.
    assert_eq!(address("paymaster"), HARBOR_PAYMASTER);
    assert_eq!(address("paymasterOwner"), deployer);
    assert_eq!(manifest["deposit"], json!("0x1bc16d674ec80000"));
    assert_eq!(manifest["stake"], json!("0x6f05b59d3b20000"));
    assert_eq!(manifest["unstakeDelay"], json!(86_400));
    let sent = node.transaction_count(deployer).await.unwrap();

    // Second run: nothing to do, nothing sent, the same manifest.
    let again = deploy(&rpc, &args, Some(DEV_DEPLOYER_KEY));
    let log = text(&again.stderr);
    assert!(again.status.success(), "{log}");
    assert_eq!(log.matches("already at").count(), 4, "{log}");
    assert!(!log.contains("added"), "{log}");
    assert_eq!(
        serde_json::from_slice::<Value>(&again.stdout).unwrap(),
        manifest
    );
    assert_eq!(node.transaction_count(deployer).await.unwrap(), sent);

    // A relay with the printed chain block sponsors a new account's first operation.
    let dir = tempfile::tempdir().unwrap();
    let chain_config = ChainConfig {
        poll_interval_ms: 200,
        ..ChainConfig::new(31337, &rpc, HARBOR_PAYMASTER)
    };
    let apps = vec![app("wallet", APP_KEY, vec![Policy::defaults(31337)])];
    let harness = start_with(config(vec![chain_config], apps, &dir), dir).await;
    let owner = LocalSigner::random().unwrap();
    let account = HarborAccount::new(owner.address(), U256::ZERO);
    let client = AccountClient::new(31337, &rpc, &harness.url(31337))
        .unwrap()
        .with_paymaster(&harness.url(31337))
        .unwrap();
    let calls = [AccountCall {
        to: Address::repeat_byte(0xf1),
        value: U256::ZERO,
        data: Bytes::new(),
    }];
    let options = SendOptions {
        poll_interval: std::time::Duration::from_millis(100),
        ..SendOptions::default()
    };
    let outcome = client
        .send_calls(&account, &owner, &calls, &options, &|_| {})
        .await
        .unwrap();
    assert!(
        matches!(outcome.paid_by, GasPayer::Sponsor { paymaster, .. } if paymaster == HARBOR_PAYMASTER)
    );
    assert!(!node.code(account.address()).await.unwrap().is_empty());
    assert_eq!(node.balance(account.address()).await.unwrap(), U256::ZERO);
    harness.assert_relayer_covered().await;
}
