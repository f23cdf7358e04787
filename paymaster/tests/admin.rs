//! The operator's admin API: its own listener, a bearer token, spend per app and day (and per
//! account), the open reservations, the apps without their keys; the CLI reads the same API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use alloy_primitives::{Address, Bytes, U256};
use harbor_core::aa::{AccountCall, AccountClient, ENTRY_POINT_V07, HarborAccount, SendOptions};
use harbor_core::keys::{LocalSigner, Signer};
use harbor_core::rpc::PaymasterClient;
use harbor_paymaster::config::{AdminConfig, KeySource};
use serde_json::Value;

use common::*;

const TOKEN: &str = "an admin token of some length";

async fn get(url: &str, token: Option<&str>) -> (u16, String) {
    let mut request = reqwest::Client::new().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spend_reservations_and_apps_behind_a_token() {
    let devnet = devnet(31337).await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("admin-token");
    std::fs::write(&token_file, TOKEN).unwrap();
    let chains = vec![chain_config(&devnet)];
    let mut config = config(
        chains,
        vec![app(
            "wallet",
            APP_KEY,
            vec![harbor_paymaster::config::Policy::defaults(31337)],
        )],
        &dir,
    );
    config.admin = Some(AdminConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        token: KeySource::File(token_file),
    });
    let mut cli = config.clone();
    let harness = start_with(config, tempfile::tempdir().unwrap()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let admin = format!("http://{}", listener.local_addr().unwrap());
    if let Some(a) = cli.admin.as_mut() {
        a.listen = listener.local_addr().unwrap();
    }
    tokio::spawn(harbor_paymaster::admin::serve_on(
        listener,
        Arc::clone(&harness.relay),
    ));

    // No token, a wrong one: refused; the public port has no admin routes at all.
    assert_eq!(get(&format!("{admin}/admin/spend"), None).await.0, 401);
    assert_eq!(
        get(&format!("{admin}/admin/spend"), Some("guess")).await.0,
        401
    );
    assert_eq!(
        get(&format!("{}/admin/spend", harness.base), Some(TOKEN))
            .await
            .0,
        404
    );

    // One sponsored send (settled) and two signed sponsorships not used (reserved).
    let url = harness.url(31337);
    let owner = LocalSigner::random().unwrap();
    let account = HarborAccount::new(owner.address(), U256::ZERO);
    let call = AccountCall {
        to: Address::repeat_byte(0xbe),
        value: U256::ZERO,
        data: Bytes::new(),
    };
    let sent = AccountClient::new(31337, &devnet.manifest().rpc_url, &url)
        .unwrap()
        .with_paymaster(&url)
        .unwrap()
        .send_calls(
            &account,
            &owner,
            std::slice::from_ref(&call),
            &SendOptions {
                poll_interval: std::time::Duration::from_millis(100),
                ..SendOptions::default()
            },
            &|_| {},
        )
        .await
        .unwrap();
    let pm = PaymasterClient::new(&url).unwrap();
    let mut open = Vec::new();
    for owner in [7u8, 8] {
        let op = harbor_op(&devnet, owner, 0, std::slice::from_ref(&call)).await;
        pm.data(&op, ENTRY_POINT_V07, 31337, &Value::Null)
            .await
            .unwrap();
        open.push(op.sender);
    }
    // Wait until the watcher settled the send.
    let mut spend = Value::Null;
    for _ in 0..100 {
        let (status, body) = get(&format!("{admin}/admin/spend?days=1"), Some(TOKEN)).await;
        assert_eq!(status, 200, "{body}");
        spend = serde_json::from_str(&body).unwrap();
        if spend["lines"][0]["settled"] == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let line = &spend["lines"][0];
    assert_eq!(spend["lines"].as_array().unwrap().len(), 1, "{spend}");
    assert_eq!(
        (line["app"].as_str(), line["chainId"].as_u64()),
        (Some("wallet"), Some(31337))
    );
    assert_eq!(
        (line["settled"].as_u64(), line["reserved"].as_u64()),
        (Some(1), Some(2)),
        "{spend}"
    );
    assert_eq!(line["settledWei"], sent.actual_gas_cost.to_string());
    assert!(
        line["reservedWei"]
            .as_str()
            .unwrap()
            .parse::<u128>()
            .unwrap()
            > 0
    );

    // By account: three lines, the sender of the send settled.
    let (_, body) = get(
        &format!("{admin}/admin/spend?by=sender&app=wallet&chain=31337"),
        Some(TOKEN),
    )
    .await;
    let by_sender: Value = serde_json::from_str(&body).unwrap();
    let lines = by_sender["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 3, "{by_sender}");
    let mine = lines
        .iter()
        .find(|l| l["sender"].as_str().unwrap().parse::<Address>().unwrap() == account.address())
        .unwrap();
    assert_eq!(mine["settled"], 1);
    // Another app's filter: nothing.
    let (_, body) = get(&format!("{admin}/admin/spend?app=other"), Some(TOKEN)).await;
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["lines"],
        serde_json::json!([])
    );

    // The open reservations are the two signed and unused, newest first.
    let (_, body) = get(&format!("{admin}/admin/reservations"), Some(TOKEN)).await;
    let reservations: Value = serde_json::from_str(&body).unwrap();
    let senders: Vec<Address> = reservations["reservations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["sender"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(senders, vec![open[1], open[0]]);

    // The apps: policies shown, the API key only as a fingerprint.
    let (_, body) = get(&format!("{admin}/admin/apps"), Some(TOKEN)).await;
    assert!(!body.contains(APP_KEY), "{body}");
    let apps: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(apps["apps"][0]["name"], "wallet");
    assert_eq!(
        apps["apps"][0]["keyFingerprint"],
        harbor_paymaster::admin::key_fingerprint(APP_KEY)
    );
    assert_eq!(apps["apps"][0]["policies"][0]["chain_id"], 31337);

    // What `harbor-paymaster admin reservations --limit 1` asks, and with a wrong token.
    let asked = harbor_paymaster::admin::ask(&cli, "/admin/reservations", &[("limit", "1".into())])
        .await
        .unwrap();
    assert_eq!(asked["reservations"].as_array().unwrap().len(), 1);
    let wrong = dir.path().join("wrong-token");
    std::fs::write(&wrong, "not the token").unwrap();
    cli.admin.as_mut().unwrap().token = KeySource::File(wrong);
    let refused = harbor_paymaster::admin::ask(&cli, "/admin/apps", &[])
        .await
        .unwrap_err();
    assert!(refused.contains("401"), "{refused}");
}
