//! A policy's approval webhook: the relay asks the operator's service, signed, before each
//! sponsorship; a yes signs, a no passes the operator's reason on, and silence, an error or a
//! dead service decline (fail closed) without using the budget.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use alloy_primitives::{Address, Bytes, U256};
use axum::http::HeaderMap;
use harbor_core::aa::{AccountCall, ENTRY_POINT_V07, UserOperation};
use harbor_core::rpc::{PaymasterClient, RpcError};
use harbor_paymaster::config::{ApprovalConfig, KeySource, Policy};
use serde_json::{Value, json};

use common::*;

const SECRET: &str = "operator-approval-secret";

/// The operator's service: sponsors `yes`, stalls on `slow`, declines everyone else; records
/// every question whose signature it verified.
async fn operator(
    yes: Address,
    slow: Address,
) -> (String, Arc<Mutex<Vec<Value>>>, tokio::task::JoinHandle<()>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let app = axum::Router::new().route(
        "/approve",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let record = record.clone();
            async move {
                let header = headers["x-harbor-signature"].to_str().unwrap().to_owned();
                let time: u64 = header
                    .strip_prefix("t=")
                    .and_then(|rest| rest.split(',').next())
                    .unwrap()
                    .parse()
                    .unwrap();
                assert_eq!(
                    header,
                    harbor_paymaster::alerts::signature(SECRET.as_bytes(), time, &body),
                    "the question is signed with the policy's secret"
                );
                let question: Value = serde_json::from_str(&body).unwrap();
                record.lock().unwrap().push(question.clone());
                let sender: Address = question["userOperation"]["sender"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                if sender == slow {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                }
                let answer = if sender == yes {
                    json!({"sponsor": true})
                } else {
                    json!({"sponsor": false, "reason": "this account is not a customer of ours"})
                };
                axum::Json(answer)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/approve", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, seen, task)
}

fn declined(error: RpcError) -> String {
    let (rule, message) = policy_refusal(error);
    assert_eq!(rule, "approval_webhook");
    message
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_decides_and_silence_declines() {
    let devnet = devnet(31337).await;
    let ops: Vec<UserOperation> = {
        let mut ops = Vec::new();
        for owner in 1..=4u8 {
            let call = AccountCall {
                to: Address::repeat_byte(0xbe),
                value: U256::ZERO,
                data: Bytes::new(),
            };
            ops.push(harbor_op(&devnet, owner, 0, &[call]).await);
        }
        ops
    };
    let (customer, stranger, staller, late) = (&ops[0], &ops[1], &ops[2], &ops[3]);
    let (url, seen, service) = operator(customer.sender, staller.sender).await;
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("approval-secret");
    std::fs::write(&secret_file, SECRET).unwrap();
    let policy = Policy {
        // One operation in all: the declined ones must not use it up.
        max_ops_total: 1,
        approval: Some(ApprovalConfig {
            url: url.clone(),
            secret: KeySource::File(secret_file),
            timeout_ms: 500,
        }),
        ..Policy::defaults(31337)
    };
    let harness = start_relay(&[&devnet], vec![app("gated", "gated-key", vec![policy])]).await;
    let pm = PaymasterClient::new(&format!("{}/rpc/31337/gated-key", harness.base)).unwrap();
    let pm = &pm;
    let sign = |op: &UserOperation| {
        let op = op.clone();
        async move {
            pm.data(&op, ENTRY_POINT_V07, 31337, &Value::Null)
                .await
                .map(|_| ())
        }
    };

    // A no passes the operator's reason on.
    let no = declined(sign(stranger).await.unwrap_err());
    assert!(no.contains("not a customer of ours"), "{no}");
    // Silence past the timeout declines.
    let started = std::time::Instant::now();
    let slow = declined(sign(staller).await.unwrap_err());
    assert!(slow.contains("did not answer within 500 ms"), "{slow}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the relay waited {:?}",
        started.elapsed()
    );
    // A yes signs, and the budget of one was still there.
    sign(customer).await.unwrap();
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3);
        let asked = &seen[2];
        assert_eq!(asked["type"], "sponsorship.requested");
        assert_eq!(asked["app"], "gated");
        assert_eq!(asked["chainId"], 31337);
        assert_eq!(
            asked["userOperation"]["sender"]
                .as_str()
                .unwrap()
                .parse::<Address>()
                .unwrap(),
            customer.sender
        );
        assert!(
            asked["maxCostWei"]
                .as_str()
                .unwrap()
                .parse::<u128>()
                .unwrap()
                > 0
        );
    }
    // The service gone: declined, not sponsored.
    service.abort();
    let _ = service.await;
    let gone = declined(sign(late).await.unwrap_err());
    assert!(gone.contains("unreachable"), "{gone}");
}
