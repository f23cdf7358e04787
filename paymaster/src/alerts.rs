//! Recovery alerts while the owner's app is closed.
//!
//! Wallets register their accounts under their app's API key (`POST /alerts/{apiKey}/accounts`).
//! Each chain's watcher reads the accounts' `RecoveryStarted`, `RecoveryCancelled` and
//! `RecoveryExecuted` events; each event is stored once per app (the log's transaction and index
//! are unique, and the block read is saved in the same transaction, so a restart neither loses
//! nor repeats one). Events go to the app's webhook from a persisted outbox — signed with
//! HMAC-SHA256, retried with back-off until the receiver answers 2xx — and wallets read them with
//! `GET /alerts/{apiKey}/events?after=ID&wait=SECONDS` (polled, or held open up to 30 s).
//!
//! Signature: `x-harbor-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
//! with the event id in `x-harbor-event-id` (receivers drop ids they have seen).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use crate::store::sql::{Sql, args};
use alloy_primitives::{Address, B256};
use alloy_sol_types::SolEvent;
use harbor_core::aa::IHarborAccount;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::chain::{ChainRuntime, unix_now};
use crate::relay::Relay;
use crate::store::{Store, StoreError};

/// Accounts one registration may name, at most.
pub const MAX_REGISTER: usize = 100;
/// Events one read returns, at most.
pub const MAX_EVENTS: usize = 100;
/// Blocks read per `eth_getLogs`.
const LOG_RANGE: u64 = 2_000;
/// Longest pause between two delivery attempts of one event.
const MAX_BACKOFF_SECONDS: u64 = 600;

/// An app's webhook with its secret loaded.
pub struct Webhook {
    /// The receiver.
    pub url: String,
    /// The HMAC key.
    pub secret: Zeroizing<String>,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// HMAC-SHA256 of `message` under `secret`, in hex.
fn mac_hex(secret: &[u8], message: &[u8]) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret) else {
        // HMAC takes keys of any length; this cannot happen.
        return String::new();
    };
    mac.update(message);
    alloy_primitives::hex::encode(mac.finalize().into_bytes())
}

/// The signature header of `body` sent at `time`.
pub fn signature(secret: &[u8], time: u64, body: &str) -> String {
    format!(
        "t={time},v1={}",
        mac_hex(secret, format!("{time}.{body}").as_bytes())
    )
}

/// One event found on chain for one app.
struct Found {
    app: String,
    account: Address,
    tx_hash: B256,
    log_index: u64,
    body: Value,
}

/// An event waiting for delivery.
#[derive(Debug, Clone)]
pub struct Due {
    /// Event id.
    pub id: i64,
    /// The app.
    pub app: String,
    /// The event as delivered (id included).
    pub body: String,
    /// Attempts so far.
    pub attempts: u32,
}

fn with_id(id: i64, body: &str) -> String {
    let mut value: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    value["id"] = json!(id);
    value.to_string()
}

/// Records an event for the operator's webhook once per `key` (another with the same key is
/// ignored) and queues its delivery.
fn operator_event(
    tx: &dyn Sql,
    app: &str,
    chain_id: u64,
    account: &str,
    key: &str,
    body: &Value,
) -> Result<(), StoreError> {
    let inserted = tx.query_opt(
        "INSERT INTO alert_events
           (app, chain_id, account, tx_hash, log_index, body, created_at, operator)
         VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, 1) ON CONFLICT DO NOTHING RETURNING id",
        args![app, chain_id, account, key, body.to_string(), unix_now()],
    )?;
    if let Some(row) = inserted {
        tx.execute(
            "INSERT INTO alert_outbox (event_id, next_at) VALUES (?1, ?2)",
            args![row.int(0)?, unix_now()],
        )?;
    }
    Ok(())
}

/// The events of a reservation just made: `sponsorship.sponsored`, and `budget.threshold` once
/// per window when the app's operations or spend (`total`, this reservation included) reach 80 %
/// of its limit on the chain.
pub(crate) fn sponsorship_events(
    tx: &dyn Sql,
    r: &crate::store::Reservation,
    id: i64,
    limits: &crate::store::Limits,
    total: (u64, u128),
) -> Result<(), StoreError> {
    operator_event(
        tx,
        &r.app,
        r.chain_id,
        &r.sender,
        &format!("sponsored:{id}"),
        &json!({
            "type": "sponsorship.sponsored", "app": r.app, "chainId": r.chain_id,
            "account": r.sender, "nonce": r.nonce, "maxCostWei": r.max_cost.to_string(),
            "validUntil": r.valid_until,
        }),
    )?;
    let (ops, spend) = total;
    let reached = |used: u128, limit: u128| used.saturating_mul(5) >= limit.saturating_mul(4);
    for (what, used, limit) in [
        ("ops", u128::from(ops), u128::from(limits.ops_total)),
        ("spend", spend, limits.spend_total),
    ] {
        if reached(used, limit) {
            operator_event(
                tx,
                &r.app,
                r.chain_id,
                "",
                &format!("budget:{}:{what}:80", r.window_start),
                &json!({
                    "type": "budget.threshold", "app": r.app, "chainId": r.chain_id,
                    "limit": what, "percent": 80, "used": used.to_string(),
                    "max": limit.to_string(), "windowStart": r.window_start,
                }),
            )?;
        }
    }
    Ok(())
}

/// The event of a sponsored operation found on chain: `sponsorship.included` or
/// `sponsorship.failed` (its calls reverted; the gas was still paid).
pub(crate) fn settled_event(
    tx: &dyn Sql,
    app: &str,
    chain_id: u64,
    event: &crate::store::SettledEvent,
) -> Result<(), StoreError> {
    let kind = if event.success {
        "sponsorship.included"
    } else {
        "sponsorship.failed"
    };
    operator_event(
        tx,
        app,
        chain_id,
        &event.sender,
        &format!("settled:{}", event.hash),
        &json!({
            "type": kind, "app": app, "chainId": chain_id, "account": event.sender,
            "nonce": event.nonce, "userOpHash": event.hash,
            "actualCostWei": event.actual_cost.to_string(), "block": event.block,
        }),
    )
}

impl Store {
    /// Registers `accounts` of `app` on `chain_id` for alerts; returns how many were new.
    pub fn register_alerts(
        &self,
        app: &str,
        chain_id: u64,
        accounts: &[Address],
    ) -> Result<usize, StoreError> {
        self.with(|tx| {
            let mut added = 0;
            for account in accounts {
                added += tx.execute(
                    "INSERT INTO alert_accounts (app, chain_id, account, registered_at)
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                    args![app, chain_id, account.to_string(), unix_now()],
                )? as usize;
            }
            Ok(added)
        })
    }

    /// The registered (app, account) pairs of `chain_id`.
    pub fn alert_accounts(&self, chain_id: u64) -> Result<Vec<(String, Address)>, StoreError> {
        self.read(|tx| {
            tx.query(
                "SELECT app, account FROM alert_accounts WHERE chain_id = ?1",
                args![chain_id],
            )?
            .iter()
            .map(|row| {
                let account = row.text(1)?;
                let parsed = account
                    .parse()
                    .map_err(|_| StoreError::Corrupt(account.clone()))?;
                Ok((row.text(0)?, parsed))
            })
            .collect()
        })
    }

    /// The last block of `chain_id` read for alerts.
    pub fn alert_cursor(&self, chain_id: u64) -> Result<Option<u64>, StoreError> {
        self.read(|tx| {
            tx.query_opt(
                "SELECT last_block FROM alert_state WHERE chain_id = ?1",
                args![chain_id],
            )?
            .map(|row| row.uint(0))
            .transpose()
        })
    }

    /// Stores `found` (each once) with an outbox entry for apps in `webhooks`, and marks blocks
    /// up to `through` as read — in one transaction (fenced by the chain's lease, when given).
    fn record_alerts(
        &self,
        chain_id: u64,
        found: &[Found],
        through: u64,
        webhooks: &BTreeSet<String>,
        fence: Option<&crate::store::lease::Fence>,
    ) -> Result<usize, StoreError> {
        self.with(|tx| {
            crate::store::lease::check(tx, fence)?;
            let mut added = 0;
            for event in found {
                let inserted = tx.query_opt(
                    "INSERT INTO alert_events
                       (app, chain_id, account, tx_hash, log_index, body, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING RETURNING id",
                    args![
                        &event.app,
                        chain_id,
                        event.account.to_string(),
                        event.tx_hash.to_string(),
                        event.log_index,
                        event.body.to_string(),
                        unix_now()
                    ],
                )?;
                if let Some(row) = inserted {
                    if webhooks.contains(&event.app) {
                        tx.execute(
                            "INSERT INTO alert_outbox (event_id, next_at) VALUES (?1, ?2)",
                            args![row.int(0)?, unix_now()],
                        )?;
                    }
                    added += 1;
                }
            }
            tx.execute(
                "INSERT INTO alert_state (chain_id, last_block) VALUES (?1, ?2)
                 ON CONFLICT (chain_id) DO UPDATE SET last_block = excluded.last_block",
                args![chain_id, through],
            )?;
            Ok(added)
        })
    }

    /// Undelivered events whose next attempt is due at `now`, oldest first.
    pub fn due_alerts(&self, now: u64, limit: usize) -> Result<Vec<Due>, StoreError> {
        self.read(|tx| {
            tx.query(
                "SELECT e.id, e.app, e.body, o.attempts FROM alert_outbox o
                 JOIN alert_events e ON e.id = o.event_id
                 WHERE o.delivered_at IS NULL AND o.next_at <= ?1 ORDER BY e.id LIMIT ?2",
                args![now, limit],
            )?
            .iter()
            .map(|row| {
                Ok(Due {
                    id: row.int(0)?,
                    app: row.text(1)?,
                    body: with_id(row.int(0)?, &row.text(2)?),
                    attempts: u32::try_from(row.uint(3)?).unwrap_or(u32::MAX),
                })
            })
            .collect()
        })
    }

    /// Records the outcome of a delivery attempt (`Ok`: delivered; `Err`: retry at `next_at`).
    pub fn alert_attempted(
        &self,
        id: i64,
        outcome: Result<(), (String, u64)>,
    ) -> Result<(), StoreError> {
        self.with(|tx| {
            match outcome {
                Ok(()) => tx.execute(
                    "UPDATE alert_outbox SET attempts = attempts + 1, delivered_at = ?2,
                       last_error = NULL WHERE event_id = ?1",
                    args![id, unix_now()],
                )?,
                Err((error, next_at)) => tx.execute(
                    "UPDATE alert_outbox SET attempts = attempts + 1, next_at = ?2,
                       last_error = ?3 WHERE event_id = ?1",
                    args![id, next_at, error],
                )?,
            };
            Ok(())
        })
    }

    /// Events of `app` after id `after` (oldest first), with their ids.
    pub fn alert_events(
        &self,
        app: &str,
        after: i64,
        accounts: &[Address],
        limit: usize,
    ) -> Result<Vec<Value>, StoreError> {
        let wanted: BTreeSet<String> = accounts.iter().map(ToString::to_string).collect();
        self.read(|tx| {
            let mut out = Vec::new();
            for row in tx.query(
                "SELECT id, account, body FROM alert_events WHERE app = ?1 AND id > ?2
                 AND operator = 0 ORDER BY id LIMIT ?3",
                args![app, after, limit],
            )? {
                let account = row.text(1)?;
                if wanted.is_empty() || wanted.contains(&account) {
                    out.push(
                        serde_json::from_str(&with_id(row.int(0)?, &row.text(2)?))
                            .unwrap_or(Value::Null),
                    );
                }
            }
            Ok(out)
        })
    }
}

/// The event's JSON (without its id) from a log of `account`, or `None` for another event.
fn describe(
    chain_id: u64,
    account: Address,
    log: &harbor_core::rpc::Log,
    block_time: u64,
) -> Option<Value> {
    let topics = log.topics.iter().copied();
    let mut body =
        if let Ok(e) = IHarborAccount::RecoveryStarted::decode_raw_log(topics.clone(), &log.data) {
            json!({
                "type": "recovery.started",
                "newOwner": e.newOwner.to_string(),
                "executeAfter": e.executeAfter.saturating_to::<u64>(),
                "nonce": e.nonce.saturating_to::<u64>(),
                "approvals": e.approvals.saturating_to::<u64>(),
                "guardians": e.guardians.iter().map(ToString::to_string).collect::<Vec<_>>(),
            })
        } else if let Ok(e) =
            IHarborAccount::RecoveryCancelled::decode_raw_log(topics.clone(), &log.data)
        {
            json!({
                "type": "recovery.cancelled",
                "newOwner": e.newOwner.to_string(),
                "nonce": e.nonce.saturating_to::<u64>(),
            })
        } else if let Ok(e) = IHarborAccount::RecoveryExecuted::decode_raw_log(topics, &log.data) {
            json!({
                "type": "recovery.executed",
                "previousOwner": e.previousOwner.to_string(),
                "newOwner": e.newOwner.to_string(),
                "nonce": e.nonce.saturating_to::<u64>(),
            })
        } else {
            return None;
        };
    body["chainId"] = json!(chain_id);
    body["account"] = json!(account.to_string());
    body["blockNumber"] = json!(log.block_number.map(|b| b.to::<u64>()));
    body["blockTimestamp"] = json!(block_time);
    body["transactionHash"] = json!(log.transaction_hash);
    body["logIndex"] = json!(log.log_index.map(|i| i.to::<u64>()));
    body["detectedAt"] = json!(unix_now());
    Some(body)
}

impl ChainRuntime {
    /// Reads the registered accounts' recovery events up to `head` and stores them.
    pub(crate) async fn watch_alerts(
        &self,
        store: &Store,
        head: u64,
        webhooks: &BTreeSet<String>,
        fence: Option<&crate::store::lease::Fence>,
    ) -> Result<(), String> {
        let chain_id = self.chain_id();
        let registered = store.alert_accounts(chain_id).map_err(|e| e.to_string())?;
        let cursor = store.alert_cursor(chain_id).map_err(|e| e.to_string())?;
        // Nothing to watch, or the first round: start from here (alerts are about what happens
        // after registration).
        let Some(cursor) = cursor.filter(|_| !registered.is_empty()) else {
            return store
                .record_alerts(chain_id, &[], head, webhooks, fence)
                .map(|_| ())
                .map_err(|e| e.to_string());
        };
        let mut by_account: HashMap<Address, Vec<String>> = HashMap::new();
        for (app, account) in registered {
            by_account.entry(account).or_default().push(app);
        }
        let addresses: Vec<Address> = by_account.keys().copied().collect();
        let topics = [
            IHarborAccount::RecoveryStarted::SIGNATURE_HASH,
            IHarborAccount::RecoveryCancelled::SIGNATURE_HASH,
            IHarborAccount::RecoveryExecuted::SIGNATURE_HASH,
        ];
        let mut start = cursor + 1;
        while start <= head {
            let end = head.min(start + LOG_RANGE - 1);
            let logs: Vec<harbor_core::rpc::Log> = serde_json::from_value(
                self.node
                    .raw(
                        "eth_getLogs",
                        json!([{
                            "fromBlock": format!("{start:#x}"),
                            "toBlock": format!("{end:#x}"),
                            "address": addresses,
                            "topics": [topics],
                        }]),
                    )
                    .await
                    .map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?;
            let mut found = Vec::new();
            let mut times = HashMap::new();
            for log in &logs {
                let (Some(apps), Some(tx_hash)) =
                    (by_account.get(&log.address), log.transaction_hash)
                else {
                    continue;
                };
                let block = log.block_number.map_or(end, |b| b.to::<u64>());
                let time = match times.get(&block) {
                    Some(&t) => t,
                    None => {
                        let t = self
                            .node
                            .block_header(Some(block))
                            .await
                            .map_err(|e| e.to_string())?
                            .timestamp;
                        times.insert(block, t);
                        t
                    }
                };
                let Some(body) = describe(chain_id, log.address, log, time) else {
                    continue;
                };
                for app in apps {
                    found.push(Found {
                        app: app.clone(),
                        account: log.address,
                        tx_hash,
                        log_index: log.log_index.map_or(0, |i| i.to::<u64>()),
                        body: body.clone(),
                    });
                }
            }
            let added = store
                .record_alerts(chain_id, &found, end, webhooks, fence)
                .map_err(|e| e.to_string())?;
            if added > 0 {
                tracing::info!(chain = chain_id, events = added, "recovery alerts recorded");
            }
            start = end + 1;
        }
        Ok(())
    }
}

/// Delivers due events to the apps' webhooks until the process ends.
pub async fn deliver(relay: Arc<Relay>) {
    harbor_core::rpc::install_tls_provider();
    let Ok(http) = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("harbor-paymaster/", env!("CARGO_PKG_VERSION")))
        .build()
    else {
        tracing::error!("cannot build the webhook client; alerts are not delivered");
        return;
    };
    loop {
        let due = match relay.store.due_alerts(unix_now(), 20) {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "alerts outbox not read");
                Vec::new()
            }
        };
        for event in due {
            let Some(webhook) = relay.webhooks.get(&event.app) else {
                continue;
            };
            let now = unix_now();
            let sent = http
                .post(&webhook.url)
                .header("content-type", "application/json")
                .header("x-harbor-event-id", event.id.to_string())
                .header(
                    "x-harbor-signature",
                    signature(webhook.secret.as_bytes(), now, &event.body),
                )
                .body(event.body.clone())
                .send()
                .await;
            let outcome = match sent {
                Ok(r) if r.status().is_success() => Ok(()),
                Ok(r) => Err(format!("HTTP {}", r.status().as_u16())),
                Err(e) => Err(e.without_url().to_string()),
            };
            let attempts = event.attempts + 1;
            match &outcome {
                Ok(()) => {
                    relay.metrics.inc(
                        "harbor_paymaster_alerts_delivered_total",
                        &[("app", &event.app)],
                    );
                    tracing::info!(app = %event.app, event = event.id, attempts, "alert delivered");
                }
                Err(error) => {
                    relay.metrics.inc(
                        "harbor_paymaster_alert_attempts_failed_total",
                        &[("app", &event.app)],
                    );
                    tracing::warn!(app = %event.app, event = event.id, attempts, %error, "alert not delivered; will retry");
                }
            }
            let backoff = 1u64
                .checked_shl(attempts.saturating_sub(1))
                .unwrap_or(MAX_BACKOFF_SECONDS)
                .min(MAX_BACKOFF_SECONDS);
            let outcome = outcome.map_err(|e| (e, now + backoff));
            if let Err(e) = relay.store.alert_attempted(event.id, outcome) {
                tracing::warn!(error = %e, "alert delivery not recorded");
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_over_time_and_body() {
        // RFC 4231, test case 2.
        assert_eq!(
            mac_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            signature(b"Jefe", 1_796_000_000, "{}"),
            format!("t=1796000000,v1={}", mac_hex(b"Jefe", b"1796000000.{}"))
        );
    }
}
