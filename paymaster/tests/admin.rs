//! The operator's admin API: its own listener, bearer tokens, spend per app and day (and per
//! account), the open reservations, the apps without their keys; apps, keys and policies changed
//! at run time on every instance, with an audit log; the CLI calls the same API.
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
        operators: Vec::new(),
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

/// Sends `method` to the admin API with `token` (as operator's laptop) and a JSON body.
async fn admin_call(
    method: reqwest::Method,
    url: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method, url)
        .bearer_auth(token)
        .header("x-admin-actor", "laptop");
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Asks `base` (an instance) to sponsor `op` with `key` until `done` says the answer is the one
/// awaited (the other instance reloads its apps within seconds).
async fn until_sponsorship(
    base: &str,
    key: &str,
    op: &harbor_core::aa::UserOperation,
    done: impl Fn(&Result<Value, harbor_core::rpc::RpcError>) -> bool,
) -> Result<Value, harbor_core::rpc::RpcError> {
    let pm = PaymasterClient::new(&format!("{base}/rpc/31337/{key}")).unwrap();
    let mut last = None;
    for _ in 0..60 {
        let answer = pm
            .data(op, ENTRY_POINT_V07, 31337, &Value::Null)
            .await
            .map(|data| serde_json::to_value(data).unwrap());
        if done(&answer) {
            return answer;
        }
        last = Some(answer);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("never the awaited answer; last {last:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apps_keys_and_policies_change_at_run_time_on_every_instance_with_an_audit_log() {
    let devnet = devnet(31337).await;
    let server = harbor_devnet::postgres::TempPostgres::start(false).unwrap();
    let database = server.database("relay").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("admin-token");
    std::fs::write(&token_file, TOKEN).unwrap();
    let alice_file = dir.path().join("alice-token");
    std::fs::write(&alice_file, "alice's own admin token").unwrap();
    let mut config = config(
        vec![chain_config(&devnet)],
        vec![app(
            "wallet",
            APP_KEY,
            vec![harbor_paymaster::config::Policy::defaults(31337)],
        )],
        &dir,
    );
    config.database = harbor_paymaster::config::Database::parse(&database);
    config.admin = Some(AdminConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        token: KeySource::File(token_file),
        operators: vec![harbor_paymaster::config::AdminOperator {
            name: "alice".into(),
            token: KeySource::File(alice_file),
        }],
    });
    // Two instances on one database; the admin API of the first.
    let first = start_with(config.clone(), tempfile::tempdir().unwrap()).await;
    let second = start_with(config, tempfile::tempdir().unwrap()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let admin = format!("http://{}/admin", listener.local_addr().unwrap());
    tokio::spawn(harbor_paymaster::admin::serve_on(
        listener,
        Arc::clone(&first.relay),
    ));
    let alice = "alice's own admin token";
    use reqwest::Method;

    // A new app: its key shown once, stored only as a hash.
    let (status, made) = admin_call(
        Method::POST,
        &format!("{admin}/apps"),
        alice,
        Some(serde_json::json!({"name": "shop"})),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let key = made["apiKey"].as_str().unwrap().to_owned();
    assert!(key.starts_with("hpk_") && key.len() == 68, "{key}");
    let stored = harbor_paymaster::store::Store::open_postgres(&database)
        .unwrap()
        .runtime_config()
        .unwrap();
    assert_eq!(stored.keys.len(), 1);
    assert_eq!(stored.keys[0].1, harbor_paymaster::registry::key_hash(&key));
    assert_eq!(stored.keys[0].0.id, made["keyId"].as_str().unwrap());
    let (_, listing) = admin_call(Method::GET, &format!("{admin}/apps"), TOKEN, None).await;
    assert!(!listing.to_string().contains(&key), "{listing}");

    // Bad requests, with their reasons.
    for (method, path, body, expected) in [
        (
            Method::POST,
            "apps".to_string(),
            Some(serde_json::json!({"name": "wallet"})),
            409,
        ),
        (
            Method::POST,
            "apps".to_string(),
            Some(serde_json::json!({"name": "a b"})),
            400,
        ),
        (Method::POST, "apps/nobody/keys".to_string(), None, 404),
        (Method::DELETE, "apps/shop/keys/0000".to_string(), None, 404),
        (
            Method::PUT,
            "apps/shop/policies/31337".to_string(),
            Some(serde_json::json!({"max_ops_totl": 1})),
            400,
        ),
        (
            Method::PUT,
            "apps/shop/policies/5".to_string(),
            Some(serde_json::json!({})),
            400,
        ),
        (
            Method::POST,
            "apps/shop/policies/31337/disable".to_string(),
            None,
            404,
        ),
    ] {
        let (status, answer) = admin_call(method, &format!("{admin}/{path}"), alice, body).await;
        assert_eq!(status, expected, "{path}: {answer}");
        assert!(
            answer["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{answer}"
        );
    }

    // Without a policy the new app gets nothing; with one set at run time, the other instance
    // sponsors it within its limits.
    let call = AccountCall {
        to: Address::repeat_byte(0xbe),
        value: U256::ZERO,
        data: Bytes::new(),
    };
    let op = |owner: u8| harbor_op(&devnet, owner, 0, std::slice::from_ref(&call));
    let (first_op, second_op) = (op(21).await, op(22).await);
    let _ = until_sponsorship(&second.base, &key, &first_op, Result::is_err).await;
    let (status, set) = admin_call(
        Method::PUT,
        &format!("{admin}/apps/shop/policies/31337"),
        alice,
        Some(serde_json::json!({"max_ops_total": 1})),
    )
    .await;
    assert_eq!(status, 200, "{set}");
    let _ = until_sponsorship(&second.base, &key, &first_op, Result::is_ok).await;
    let refused = until_sponsorship(&second.base, &key, &second_op, Result::is_err).await;
    assert_eq!(policy_refusal(refused.unwrap_err()).0, "max_ops_total");

    // Disabled: refused everywhere; enabled again: sponsored (the same nonce replaces its own).
    let (status, _) = admin_call(
        Method::POST,
        &format!("{admin}/apps/shop/policies/31337/disable"),
        alice,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let _ = until_sponsorship(&second.base, &key, &first_op, Result::is_err).await;
    admin_call(
        Method::POST,
        &format!("{admin}/apps/shop/policies/31337/enable"),
        alice,
        None,
    )
    .await;
    let _ = until_sponsorship(&second.base, &key, &first_op, Result::is_ok).await;

    // Rotation: a second key works, the first one revoked stops working on both instances.
    let (status, rotated) = admin_call(
        Method::POST,
        &format!("{admin}/apps/shop/keys"),
        alice,
        None,
    )
    .await;
    assert_eq!(status, 201);
    let new_key = rotated["apiKey"].as_str().unwrap().to_owned();
    let old_id = made["keyId"].as_str().unwrap();
    let (status, _) = admin_call(
        Method::DELETE,
        &format!("{admin}/apps/shop/keys/{old_id}"),
        TOKEN,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let _ = until_sponsorship(&second.base, &key, &first_op, |a| {
        matches!(a, Err(harbor_core::rpc::RpcError::Server { code, .. }) if *code == harbor_core::codes::UNAUTHORIZED)
    })
    .await;
    let _ = until_sponsorship(&first.base, &new_key, &first_op, Result::is_ok).await;
    // The file's app is untouched.
    assert!(
        PaymasterClient::new(&second.url(31337))
            .unwrap()
            .data(&op(23).await, ENTRY_POINT_V07, 31337, &Value::Null)
            .await
            .is_ok()
    );

    // The audit log: who changed what, newest first; never a key.
    let (_, audit) = admin_call(Method::GET, &format!("{admin}/audit"), TOKEN, None).await;
    let entries: Vec<(String, String, String)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_owned(),
                e["action"].as_str().unwrap().to_owned(),
                e["target"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let alice_did = |action: &str, target: &str| {
        (
            "alice (laptop)".to_string(),
            action.to_string(),
            target.to_string(),
        )
    };
    let new_id = rotated["keyId"].as_str().unwrap();
    assert_eq!(
        entries,
        vec![
            (
                "admin (laptop)".into(),
                "key.revoke".into(),
                format!("shop/{old_id}")
            ),
            alice_did("key.create", &format!("shop/{new_id}")),
            alice_did("policy.enable", "shop/31337"),
            alice_did("policy.disable", "shop/31337"),
            alice_did("policy.put", "shop/31337"),
            alice_did("key.create", &format!("shop/{old_id}")),
            alice_did("app.create", "shop"),
        ]
    );
    assert!(!audit.to_string().contains(&key) && !audit.to_string().contains(&new_key));
    drop(server);
}
