//! Recovery alerts while the owner's app is closed: the owner registers the account with the
//! relay; a new device starts a recovery with two guardians; the relay's webhook delivery fails
//! at first, the relay is killed (-9) and restarted, and the webhook gets the signed event exactly
//! once; the owner cancels (sponsored) and that arrives too; wallets read both from the events
//! endpoint. Prints the time from the block to the webhook. The operator's sponsorship events
//! (sponsored, included, budget threshold) go through the same signed outbox.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy_primitives::U256;
use axum::http::{HeaderMap, StatusCode};
use harbor_core::aa::{AccountClient, HarborAccount, SendOptions};
use harbor_core::keys::{LocalSigner, Signer};
use harbor_core::recovery::{ApprovalBundle, GuardianSigner, Payload, RecoveryClient, approve};
use serde_json::{Value, json};

use common::*;

const SECRET: &str = "a webhook secret only the receiver knows";

/// One request the receiver got: headers, body, when, whether it was accepted.
type Request = (HeaderMap, String, Instant, bool);

/// A webhook receiver on 127.0.0.1: records every request, answers 503 to the first `fail`.
#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<Vec<Request>>>,
    fail: Arc<Mutex<usize>>,
}

impl Receiver {
    async fn start(fail: usize) -> (Self, String) {
        let receiver = Receiver {
            fail: Arc::new(Mutex::new(fail)),
            ..Receiver::default()
        };
        let state = receiver.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let state = state.clone();
                async move {
                    let mut fail = state.fail.lock().unwrap();
                    let ok = *fail == 0;
                    *fail = fail.saturating_sub(1);
                    state
                        .seen
                        .lock()
                        .unwrap()
                        .push((headers, body, Instant::now(), ok));
                    if ok {
                        StatusCode::OK
                    } else {
                        StatusCode::SERVICE_UNAVAILABLE
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (receiver, url)
    }

    /// The accepted deliveries: (headers, body as JSON, when).
    fn delivered(&self) -> Vec<(HeaderMap, Value, Instant)> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|d| d.3)
            .map(|(h, b, t, _)| (h.clone(), serde_json::from_str(b).unwrap(), *t))
            .collect()
    }

    fn attempts(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    async fn wait(&self, what: &str, done: impl Fn(&Self) -> bool) {
        for _ in 0..300 {
            if done(self) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("webhook: never saw {what}");
    }
}

/// Checks the `x-harbor-signature` header of a delivery the way a receiver would.
fn signed_by_relay(headers: &HeaderMap, body: &Value) -> bool {
    let header = headers["x-harbor-signature"].to_str().unwrap();
    let time: u64 = header
        .strip_prefix("t=")
        .and_then(|rest| rest.split(',').next())
        .and_then(|t| t.parse().ok())
        .unwrap();
    // The body as sent: re-serialised JSON has the same text (serde_json keeps key order).
    header == harbor_paymaster::alerts::signature(SECRET.as_bytes(), time, &body.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_alerts_reach_the_webhook_once_across_a_relay_restart() {
    let devnet = devnet(31337).await;
    let m = devnet.manifest().clone();
    let (receiver, hook) = Receiver::start(2).await;
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("webhook-secret");
    std::fs::write(&secret, SECRET).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let config = dir.path().join("relay.toml");
    std::fs::write(
        &config,
        format!(
            r#"listen = "127.0.0.1:{port}"
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
webhook = {{ url = "{hook}", secret = {{ file = "{secret}" }} }}

[[apps.policies]]
chain_id = 31337
"#,
            db = dir.path().join("relay.sqlite").display(),
            rpc = m.rpc_url,
            paymaster = m.paymaster,
            secret = secret.display(),
        ),
    )
    .unwrap();
    let mut relay = spawn_relay(&config);
    wait_healthy(&base).await;
    let url = format!("{base}/rpc/31337/{APP_KEY}");
    let options = SendOptions {
        poll_interval: Duration::from_millis(100),
        ..SendOptions::default()
    };
    let recovery = || {
        RecoveryClient::new()
            .with_chain(
                AccountClient::new(31337, &m.rpc_url, &url)
                    .unwrap()
                    .with_paymaster(&url)
                    .unwrap(),
            )
            .with_send_options(options.clone())
    };

    // The owner protects the account with two guardians and registers it for alerts.
    let owner = LocalSigner::random().unwrap();
    let account = HarborAccount::new(owner.address(), U256::ZERO);
    let (friend, tablet) = (
        LocalSigner::random().unwrap(),
        LocalSigner::random().unwrap(),
    );
    recovery()
        .set_guardians(
            &account,
            &owner,
            &[friend.address(), tablet.address()],
            2,
            &|_, _| {},
        )
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let register = |key: &str, chain_id: u64| {
        http.post(format!("{base}/alerts/{key}/accounts"))
            .body(json!({"chainId": chain_id, "accounts": [account.address()]}).to_string())
            .send()
    };
    assert_eq!(register("wrong-key", 31337).await.unwrap().status(), 401);
    assert_eq!(register(APP_KEY, 5).await.unwrap().status(), 403);
    let registered: Value = serde_json::from_str(
        &register(APP_KEY, 31337)
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(registered["registered"], 1);
    // Let the watcher pass the registration before anything happens.
    tokio::time::sleep(Duration::from_millis(600)).await;

    // The owner's app is closed. A new device starts a recovery with both guardians.
    let new_key = LocalSigner::random().unwrap();
    let device = recovery();
    let mut session = device
        .create_session(
            account.address(),
            new_key.address(),
            Duration::from_secs(86_400),
            "new phone",
        )
        .await
        .unwrap();
    for guardian in [&friend, &tablet] {
        let approval = approve(&session.request, GuardianSigner::Key(guardian))
            .unwrap()
            .to_link();
        device
            .add_approvals(&mut session, &ApprovalBundle::from_link(&approval).unwrap())
            .await
            .unwrap();
    }
    device
        .advance(&mut session, &new_key, &|_, _| {})
        .await
        .unwrap();

    // The receiver refuses the first attempt; the relay dies before it succeeds and comes back.
    receiver
        .wait("a first attempt", |r| r.attempts() >= 1)
        .await;
    assert!(receiver.delivered().is_empty());
    drop(relay);
    relay = spawn_relay(&config);
    wait_healthy(&base).await;
    receiver
        .wait("the started event delivered", |r| r.delivered().len() == 1)
        .await;
    let (headers, started, _) = receiver.delivered().remove(0);
    assert_eq!(started["type"], "recovery.started");
    assert_eq!(started["account"], account.address().to_string());
    assert_eq!(started["newOwner"], new_key.address().to_string());
    assert_eq!(started["chainId"], 31337);
    assert_eq!(started["approvals"], 2);
    assert_eq!(
        headers["x-harbor-event-id"],
        started["id"].to_string().as_str()
    );
    assert!(
        signed_by_relay(&headers, &started),
        "signature does not verify"
    );
    assert!(receiver.attempts() >= 3, "two refusals, then the delivery");

    // The owner opens the app and cancels, sponsored; the alert of that arrives at once.
    let cancelled_at = Instant::now();
    let outcome = recovery()
        .cancel(31337, &account, &owner, &|_| {})
        .await
        .unwrap();
    receiver
        .wait("the cancelled event delivered", |r| {
            r.delivered().len() == 2
        })
        .await;
    let (headers, cancelled, arrived) = receiver.delivered().remove(1);
    assert_eq!(cancelled["type"], "recovery.cancelled");
    assert!(signed_by_relay(&headers, &cancelled));
    let head = node(&devnet).block_number().await.unwrap();
    let event_block = cancelled["blockNumber"].as_u64().unwrap();
    assert_eq!(Some(event_block), outcome.block_number);
    println!(
        "alert latency: {} ms from sending the cancel to the webhook (send, inclusion, detection, delivery), {} block(s) after the event's block",
        arrived.duration_since(cancelled_at).as_millis(),
        head - event_block
    );

    // Wallets read the same events, in order, from the events endpoint.
    let events = |after: i64, wait: u64| {
        let http = http.clone();
        let url = format!(
            "{base}/alerts/{APP_KEY}/events?after={after}&wait={wait}&accounts={}",
            account.address()
        );
        async move {
            let text = http.get(url).send().await.unwrap().text().await.unwrap();
            serde_json::from_str::<Value>(&text).unwrap()
        }
    };
    let all = events(0, 0).await;
    let ids: Vec<i64> = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            started["id"].as_i64().unwrap(),
            cancelled["id"].as_i64().unwrap()
        ]
    );
    assert_eq!(all["next"], cancelled["id"]);
    let waited = Instant::now();
    let none = events(all["next"].as_i64().unwrap(), 1).await;
    assert_eq!(none["events"], json!([]));
    assert!(waited.elapsed() >= Duration::from_millis(900), "held open");

    // Exactly once: nothing more arrives.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(receiver.delivered().len(), 2);
    drop(relay);
    // The devnet's account keeps 0 ETH: everything was sponsored.
    assert_eq!(
        node(&devnet).balance(account.address()).await.unwrap(),
        U256::ZERO
    );
}

/// The wallet side: a wallet that added the sponsor registers its account, and reads each
/// recovery event of it once, with a long poll.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wallet_registers_with_its_sponsor_and_reads_each_notice_once() {
    use harbor_core::recovery::{Guardian, GuardianKind};
    use harbor_core::wallet::{NoticeKind, Wallet};

    let devnet = devnet(31338).await;
    let m = devnet.manifest().clone();
    let dir = tempfile::tempdir().unwrap();
    let mut chain = chain_config(&devnet);
    chain.public_rpc_url = Some(m.rpc_url.clone());
    let apps = vec![app(
        "wallet",
        APP_KEY,
        vec![harbor_paymaster::config::Policy::defaults(31338)],
    )];
    let harness = start_with(config(vec![chain], apps, &dir), dir).await;

    let wallet_dir = tempfile::tempdir().unwrap();
    let vault = harbor_core::vault::Vault::create(
        &wallet_dir.path().join("w.harbor"),
        "a long password",
        harbor_core::vault::KdfParams::LIGHT,
    )
    .unwrap();
    let wallet = Arc::new(Wallet::new(Arc::new(Mutex::new(vault))));
    let account = wallet.create_wallet("Main").unwrap().account.address;
    assert_eq!(
        wallet.register_for_alerts().await.unwrap(),
        0,
        "no sponsor yet"
    );
    wallet
        .add_sponsor(&format!(
            "{}/.well-known/harbor-sponsor/{APP_KEY}",
            harness.base
        ))
        .await
        .unwrap();
    assert_eq!(wallet.register_for_alerts().await.unwrap(), 1);
    assert!(
        wallet
            .recovery_notices(Duration::ZERO)
            .await
            .unwrap()
            .is_empty()
    );

    // Guardians through the wallet (sponsored), then a recovery from a new device.
    let (friend, tablet) = (
        LocalSigner::random().unwrap(),
        LocalSigner::random().unwrap(),
    );
    let guardians: Vec<Guardian> = [&friend, &tablet]
        .iter()
        .map(|k| Guardian {
            address: k.address(),
            name: "friend".into(),
            kind: GuardianKind::Person,
        })
        .collect();
    wallet
        .set_guardians(account, &guardians, 2, &|_, _| {})
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let url = harness.url(31338);
    let device = RecoveryClient::new()
        .with_chain(
            AccountClient::new(31338, &m.rpc_url, &url)
                .unwrap()
                .with_paymaster(&url)
                .unwrap(),
        )
        .with_send_options(SendOptions {
            poll_interval: Duration::from_millis(100),
            ..SendOptions::default()
        });
    let new_key = LocalSigner::random().unwrap();
    let mut session = device
        .create_session(
            account,
            new_key.address(),
            Duration::from_secs(86_400),
            "phone",
        )
        .await
        .unwrap();
    for guardian in [&friend, &tablet] {
        let approval = approve(&session.request, GuardianSigner::Key(guardian))
            .unwrap()
            .to_link();
        device
            .add_approvals(&mut session, &ApprovalBundle::from_link(&approval).unwrap())
            .await
            .unwrap();
    }
    device
        .advance(&mut session, &new_key, &|_, _| {})
        .await
        .unwrap();

    // The long poll returns as soon as the relay has it.
    let notices = wallet
        .recovery_notices(Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(notices.len(), 1, "{notices:?}");
    let started = &notices[0];
    assert_eq!(started.kind, NoticeKind::Started);
    assert_eq!((started.account, started.chain_id), (account, 31338));
    assert_eq!(started.new_owner, new_key.address());
    assert_eq!(started.sponsor, "Harbor test sponsor");
    assert!(started.execute_after.is_some());
    assert!(
        started.message.contains("cancel it now"),
        "{}",
        started.message
    );
    // Read once.
    assert!(
        wallet
            .recovery_notices(Duration::ZERO)
            .await
            .unwrap()
            .is_empty()
    );
    // The owner cancels from the wallet (sponsored); that is reported too.
    wallet
        .cancel_recovery(account, 31338, &|_| {})
        .await
        .unwrap();
    let notices = wallet
        .recovery_notices(Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(
        notices.iter().map(|n| n.kind).collect::<Vec<_>>(),
        [NoticeKind::Cancelled]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_hears_of_sponsorships_included_and_the_budget_threshold() {
    use harbor_core::aa::{AccountCall, ENTRY_POINT_V07};
    use harbor_core::rpc::PaymasterClient;
    use harbor_paymaster::config::{KeySource, Policy, WebhookConfig};

    let devnet = devnet(31337).await;
    let (receiver, hook) = Receiver::start(0).await;
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("webhook-secret");
    std::fs::write(&secret, SECRET).unwrap();
    let mut ops = app(
        "ops",
        "ops-key",
        vec![Policy {
            max_ops_total: 5,
            ..Policy::defaults(31337)
        }],
    );
    ops.webhook = Some(WebhookConfig {
        url: hook,
        secret: KeySource::File(secret),
        sponsorship_events: true,
    });
    let harness = start_relay(&[&devnet], vec![ops]).await;
    let url = format!("{}/rpc/31337/ops-key", harness.base);
    let of_type = |r: &Receiver, kind: &str| -> Vec<Value> {
        r.delivered()
            .into_iter()
            .filter(|(headers, body, _)| {
                assert!(signed_by_relay(headers, body), "unsigned delivery {body}");
                body["type"] == kind
            })
            .map(|(_, body, _)| body)
            .collect()
    };

    // One sponsored send: sponsored, then included once the watcher reads its log.
    let owner = LocalSigner::random().unwrap();
    let account = HarborAccount::new(owner.address(), U256::ZERO);
    let client = AccountClient::new(31337, &devnet.manifest().rpc_url, &url)
        .unwrap()
        .with_paymaster(&url)
        .unwrap();
    let call = AccountCall {
        to: alloy_primitives::Address::repeat_byte(0xbe),
        value: U256::ZERO,
        data: alloy_primitives::Bytes::new(),
    };
    let options = SendOptions {
        poll_interval: Duration::from_millis(100),
        ..SendOptions::default()
    };
    let sent = client
        .send_calls(
            &account,
            &owner,
            std::slice::from_ref(&call),
            &options,
            &|_| {},
        )
        .await
        .unwrap();
    receiver
        .wait("sponsored and included", |r| {
            !of_type(r, "sponsorship.sponsored").is_empty()
                && !of_type(r, "sponsorship.included").is_empty()
        })
        .await;
    let included = of_type(&receiver, "sponsorship.included").remove(0);
    assert_eq!(included["app"], "ops");
    assert_eq!(included["userOpHash"], sent.user_op_hash.to_string());
    assert_eq!(included["actualCostWei"], sent.actual_gas_cost.to_string());
    let sponsored = of_type(&receiver, "sponsorship.sponsored");
    assert_eq!(
        sponsored[0]["account"]
            .as_str()
            .unwrap()
            .parse::<alloy_primitives::Address>()
            .unwrap(),
        account.address()
    );

    // Four operations of the five reach 80 %: told once, not again at the fifth.
    let pm = PaymasterClient::new(&url).unwrap();
    for owner in 1..=4u8 {
        let op = harbor_op(&devnet, owner, 0, std::slice::from_ref(&call)).await;
        pm.data(&op, ENTRY_POINT_V07, 31337, &Value::Null)
            .await
            .unwrap();
    }
    receiver
        .wait("the budget threshold", |r| {
            !of_type(r, "budget.threshold").is_empty()
        })
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let threshold = of_type(&receiver, "budget.threshold");
    assert_eq!(threshold.len(), 1, "{threshold:?}");
    assert_eq!(
        (
            threshold[0]["limit"].as_str(),
            threshold[0]["percent"].as_u64()
        ),
        (Some("ops"), Some(80))
    );
    assert_eq!(threshold[0]["max"], "5");
    assert_eq!(of_type(&receiver, "sponsorship.sponsored").len(), 5);

    // Wallets reading alerts do not see the operator's events.
    let seen: Value = reqwest::get(format!(
        "{}/alerts/ops-key/events?after=0&wait=0&accounts={}",
        harness.base,
        account.address()
    ))
    .await
    .unwrap()
    .text()
    .await
    .map(|text| serde_json::from_str(&text).unwrap())
    .unwrap();
    assert_eq!(seen["events"], json!([]), "{seen}");
}
