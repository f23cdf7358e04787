//! The operator's read-only admin API, on a listener of its own (never the public port) behind a
//! bearer token: what each app spent per chain and day (and by which accounts), the sponsorships
//! reserved and not used yet, and the apps with their policies (API keys only as fingerprints).
//!
//! `GET /admin/spend?app=&chain=&days=7&by=sender` · `GET /admin/reservations?app=&chain=&limit=`
//! · `GET /admin/apps`. `harbor-paymaster admin spend|reservations|apps` calls the same API.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::relay::{Relay, StartError};
use crate::store::sql::args;
use crate::store::{Store, StoreError};

/// One line of the spend report: an app on a chain on a day (and an account, when asked).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpendLine {
    /// The app.
    pub app: String,
    /// The chain.
    pub chain_id: u64,
    /// The day (UTC, `YYYY-MM-DD`).
    pub day: String,
    /// The account, when the report is by sender.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    /// Operations paid for (settled from the chain).
    pub settled: u64,
    /// Wei paid for them.
    pub settled_wei: String,
    /// Sponsorships signed and not used yet.
    pub reserved: u64,
    /// Wei they hold.
    pub reserved_wei: String,
    /// Sponsorships released unused (expired or replaced).
    pub released: u64,
}

/// A sponsorship reserved and not used yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenReservation {
    /// The app.
    pub app: String,
    /// The chain.
    pub chain_id: u64,
    /// The account.
    pub sender: String,
    /// Its nonce (hex).
    pub nonce: String,
    /// Wei held.
    pub max_cost_wei: String,
    /// Until when the signature is valid (unix seconds).
    pub valid_until: u64,
    /// When it was signed (unix seconds).
    pub created_at: u64,
}

/// A spend line's app, chain, day and sender (empty unless by sender).
type LineKey = (String, i64, i64, String);

/// The civil date of unix `day`.
fn date_of(day: u64) -> String {
    harbor_core::recovery::format_utc(day * 86_400)
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_string()
}

impl Store {
    /// Spend per app, chain and day since `since` (unix seconds), optionally per sender.
    pub fn spend_report(
        &self,
        app: Option<&str>,
        chain_id: Option<u64>,
        since: u64,
        by_sender: bool,
    ) -> Result<Vec<SpendLine>, StoreError> {
        self.read(|tx| {
            let rows = tx.query(
                "SELECT app, chain_id, created_at / 86400, sender, status, max_cost, actual_cost
                 FROM sponsorships WHERE created_at >= ?1
                 AND (CAST(?2 AS TEXT) IS NULL OR app = ?2)
                 AND (CAST(?3 AS BIGINT) IS NULL OR chain_id = ?3)",
                args![since, app, chain_id],
            )?;
            // Amounts are u128 text: summed here, not in SQL (which would round past 2^63).
            let mut lines: BTreeMap<LineKey, (SpendLine, u128, u128)> = BTreeMap::new();
            for row in rows {
                let (app, chain, day, sender, status, max_cost, actual) = (
                    row.text(0)?,
                    row.int(1)?,
                    row.int(2)?,
                    row.text(3)?,
                    row.text(4)?,
                    row.text(5)?,
                    row.opt_text(6)?,
                );
                let key = (
                    app.clone(),
                    chain,
                    day,
                    if by_sender {
                        sender.clone()
                    } else {
                        String::new()
                    },
                );
                let entry = lines.entry(key).or_insert_with(|| {
                    (
                        SpendLine {
                            app,
                            chain_id: chain as u64,
                            day: date_of(day as u64),
                            sender: by_sender.then_some(sender),
                            ..SpendLine::default()
                        },
                        0,
                        0,
                    )
                });
                match status.as_str() {
                    "settled" => {
                        entry.0.settled += 1;
                        entry.1 += actual.and_then(|a| a.parse::<u128>().ok()).unwrap_or(0);
                    }
                    "reserved" => {
                        entry.0.reserved += 1;
                        entry.2 += max_cost.parse::<u128>().unwrap_or(0);
                    }
                    _ => entry.0.released += 1,
                }
            }
            Ok(lines
                .into_values()
                .map(|(mut line, settled, reserved)| {
                    line.settled_wei = settled.to_string();
                    line.reserved_wei = reserved.to_string();
                    line
                })
                .collect())
        })
    }

    /// Sponsorships reserved and not used yet, newest first, at most `limit`.
    pub fn open_reservations(
        &self,
        app: Option<&str>,
        chain_id: Option<u64>,
        limit: usize,
    ) -> Result<Vec<OpenReservation>, StoreError> {
        self.read(|tx| {
            tx.query(
                "SELECT app, chain_id, sender, nonce, max_cost, valid_until, created_at
                 FROM sponsorships WHERE status = 'reserved'
                 AND (CAST(?1 AS TEXT) IS NULL OR app = ?1)
                 AND (CAST(?2 AS BIGINT) IS NULL OR chain_id = ?2)
                 ORDER BY id DESC LIMIT ?3",
                args![app, chain_id, limit],
            )?
            .iter()
            .map(|r| {
                Ok(OpenReservation {
                    app: r.text(0)?,
                    chain_id: r.uint(1)?,
                    sender: r.text(2)?,
                    nonce: r.text(3)?,
                    max_cost_wei: r.text(4)?,
                    valid_until: r.uint(5)?,
                    created_at: r.uint(6)?,
                })
            })
            .collect()
        })
    }
}

/// What the admin routes take.
#[derive(Debug, Default, Deserialize)]
struct Filter {
    app: Option<String>,
    chain: Option<u64>,
    days: Option<u64>,
    by: Option<String>,
    limit: Option<usize>,
}

/// The admin router (bearer token required on every route).
pub fn router(relay: Arc<Relay>) -> Router {
    Router::new()
        .route("/admin/spend", get(spend))
        .route("/admin/reservations", get(reservations))
        .route("/admin/apps", get(apps))
        .layer(middleware::from_fn_with_state(relay.clone(), authorized))
        .with_state(relay)
}

async fn authorized(State(relay): State<Arc<Relay>>, request: Request, next: Next) -> Response {
    let Some(token) = relay.admin_token.as_ref() else {
        return (StatusCode::NOT_FOUND, "the admin API is not configured").into_response();
    };
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !crate::relay::constant_time_eq(given.as_bytes(), token.as_bytes()) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "a valid admin token is required (Authorization: Bearer …)",
        )
            .into_response();
    }
    next.run(request).await
}

fn failed(error: StoreError) -> Response {
    tracing::error!(%error, "admin query failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "the database could not be read",
    )
        .into_response()
}

async fn spend(State(relay): State<Arc<Relay>>, Query(filter): Query<Filter>) -> Response {
    let days = filter.days.unwrap_or(7).clamp(1, 366);
    let today = crate::chain::unix_now() / 86_400;
    let since = (today + 1 - days) * 86_400;
    let by_sender = filter.by.as_deref() == Some("sender");
    let store = relay.store.clone();
    let report = tokio::task::spawn_blocking(move || {
        store.spend_report(filter.app.as_deref(), filter.chain, since, by_sender)
    })
    .await;
    match report {
        Ok(Ok(lines)) => {
            Json(json!({"since": date_of(since / 86_400), "lines": lines})).into_response()
        }
        Ok(Err(error)) => failed(error),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn reservations(State(relay): State<Arc<Relay>>, Query(filter): Query<Filter>) -> Response {
    let limit = filter.limit.unwrap_or(100).clamp(1, 1000);
    let store = relay.store.clone();
    let open = tokio::task::spawn_blocking(move || {
        store.open_reservations(filter.app.as_deref(), filter.chain, limit)
    })
    .await;
    match open {
        Ok(Ok(open)) => Json(json!({"reservations": open})).into_response(),
        Ok(Err(error)) => failed(error),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// The first 8 bytes of SHA-256 of an API key: tells keys apart without showing them.
pub fn key_fingerprint(api_key: &str) -> String {
    alloy_primitives::hex::encode(&Sha256::digest(api_key.as_bytes())[..8])
}

async fn apps(State(relay): State<Arc<Relay>>) -> Response {
    let apps: Vec<Value> = relay
        .config
        .apps
        .iter()
        .map(|app| {
            let mut policies = serde_json::to_value(&app.policies).unwrap_or(Value::Null);
            // An approval webhook's secret source stays private too.
            if let Some(list) = policies.as_array_mut() {
                for policy in list {
                    if let Some(approval) = policy.get_mut("approval").and_then(Value::as_object_mut) {
                        approval.remove("secret");
                    }
                }
            }
            json!({
                "name": app.name,
                "keyFingerprint": key_fingerprint(&app.api_key),
                "webhook": app.webhook.as_ref().map(|w| json!({"url": w.url, "sponsorshipEvents": w.sponsorship_events})),
                "policies": policies,
            })
        })
        .collect();
    Json(json!({"apps": apps})).into_response()
}

/// Asks the admin API the configuration names (`GET path?query` with its token).
pub async fn ask(
    config: &crate::config::Config,
    path: &str,
    query: &[(&str, String)],
) -> Result<Value, String> {
    let admin = config
        .admin
        .as_ref()
        .ok_or("the configuration has no [admin] section (listen, token)")?;
    let token = crate::keys::load_secret(&admin.token).map_err(|e| e.to_string())?;
    let url = reqwest::Url::parse_with_params(&format!("http://{}{path}", admin.listen), query)
        .map_err(|e| e.to_string())?;
    let response = reqwest::Client::new()
        .get(url.clone())
        .bearer_auth(token.as_str())
        .send()
        .await
        .map_err(|e| format!("cannot reach the admin API at {url}: {}", e.without_url()))?;
    let status = response.status();
    let body = response.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("the admin API answered {status}: {body}"));
    }
    serde_json::from_str(&body).map_err(|e| format!("the admin API's answer is not JSON: {e}"))
}

/// Serves the admin API on `listener` until the process ends.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    relay: Arc<Relay>,
) -> Result<(), StartError> {
    let address = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tracing::info!(address = %address, "admin API listening");
    axum::serve(listener, router(relay))
        .await
        .map_err(|e| StartError::Listen {
            address,
            message: e.to_string(),
        })
}
