//! The operator's admin API, on a listener of its own (never the public port) behind bearer
//! tokens (one per operator, named in the audit log): what each app spent per chain and day (and
//! by which accounts), the sponsorships reserved and not used yet, the apps with their keys (ids
//! only) and policies — and changes at run time: new apps, API keys made (shown once) and
//! revoked, policies set, disabled and enabled, each recorded in the audit log.
//!
//! `GET /admin/spend?app=&chain=&days=7&by=sender` · `GET /admin/reservations?app=&chain=&limit=`
//! · `GET /admin/apps` · `POST /admin/apps {"name"}` · `POST /admin/apps/{app}/keys` ·
//! `DELETE /admin/apps/{app}/keys/{id}` · `PUT /admin/apps/{app}/policies/{chain}` (a policy's
//! fields as JSON) · `POST /admin/apps/{app}/policies/{chain}/disable|enable` ·
//! `GET /admin/audit?limit=`. `harbor-paymaster admin …` calls the same API.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::config::Policy;
use crate::registry::AdminError;
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
        .route("/admin/apps", get(apps).post(create_app))
        .route("/admin/apps/{app}/keys", post(create_key))
        .route("/admin/apps/{app}/keys/{id}", delete(revoke_key))
        .route("/admin/apps/{app}/policies/{chain}", put(put_policy))
        .route(
            "/admin/apps/{app}/policies/{chain}/{state}",
            post(policy_state),
        )
        .route("/admin/audit", get(audit))
        .layer(middleware::from_fn_with_state(relay.clone(), authorized))
        .with_state(relay)
}

/// Who is calling: the matching token's operator, and what the caller says of itself
/// (`X-Admin-Actor`, e.g. the CLI's user).
#[derive(Debug, Clone)]
struct Actor(String);

async fn authorized(State(relay): State<Arc<Relay>>, mut request: Request, next: Next) -> Response {
    if relay.admin_tokens.is_empty() {
        return (StatusCode::NOT_FOUND, "the admin API is not configured").into_response();
    }
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Every token is compared (in constant time), so timing tells nothing of which matched.
    let mut operator = None;
    for (name, token) in &relay.admin_tokens {
        if crate::relay::constant_time_eq(given.as_bytes(), token.as_bytes()) {
            operator = Some(name.clone());
        }
    }
    let Some(operator) = operator else {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "a valid admin token is required (Authorization: Bearer …)",
        )
            .into_response();
    };
    let said: String = request
        .headers()
        .get("x-admin-actor")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect();
    let actor = if said.is_empty() {
        operator
    } else {
        format!("{operator} ({said})")
    };
    request.extensions_mut().insert(Actor(actor));
    next.run(request).await
}

/// An admin change's answer: its status and JSON, or the refusal's.
fn answer(result: Result<Value, AdminError>, created: bool) -> Response {
    match result {
        Ok(value) if created => (StatusCode::CREATED, Json(value)).into_response(),
        Ok(value) => Json(value).into_response(),
        Err(error) => {
            let status = match &error {
                AdminError::NoSuchApp(_)
                | AdminError::NoSuchKey { .. }
                | AdminError::NoSuchPolicy { .. } => StatusCode::NOT_FOUND,
                AdminError::AppExists(_) => StatusCode::CONFLICT,
                AdminError::BadName | AdminError::BadPolicy(_) => StatusCode::BAD_REQUEST,
                AdminError::Random | AdminError::Store(_) => {
                    tracing::error!(%error, "admin change failed");
                    return (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        Json(json!({"error": "the change could not be stored"})),
                    )
                        .into_response();
                }
            };
            (status, Json(json!({"error": error.to_string()}))).into_response()
        }
    }
}

/// Runs an admin change off the async workers, then reloads this instance's apps (the others
/// reload within seconds); the change is logged with its actor.
async fn change(
    relay: Arc<Relay>,
    f: impl FnOnce(&Relay) -> Result<Value, AdminError> + Send + 'static,
) -> Result<Value, AdminError> {
    tokio::task::spawn_blocking(move || {
        let value = f(&relay)?;
        relay.reload_registry(true)?;
        Ok(value)
    })
    .await
    .unwrap_or_else(|_| Err(AdminError::Random))
}

#[derive(Debug, Deserialize)]
struct NewApp {
    name: String,
}

async fn create_app(
    State(relay): State<Arc<Relay>>,
    Extension(Actor(actor)): Extension<Actor>,
    Json(body): Json<NewApp>,
) -> Response {
    let result = change(relay, move |relay| {
        let key = relay
            .store
            .create_app(&relay.registry(), &body.name, &actor)?;
        tracing::info!(app = %key.app, key_id = %key.key_id, %actor, "app created");
        Ok(json!(key))
    })
    .await;
    answer(result, true)
}

async fn create_key(
    State(relay): State<Arc<Relay>>,
    Extension(Actor(actor)): Extension<Actor>,
    Path(app): Path<String>,
) -> Response {
    let result = change(relay, move |relay| {
        let key = relay.store.create_key(&relay.registry(), &app, &actor)?;
        tracing::info!(app = %key.app, key_id = %key.key_id, %actor, "API key created");
        Ok(json!(key))
    })
    .await;
    answer(result, true)
}

async fn revoke_key(
    State(relay): State<Arc<Relay>>,
    Extension(Actor(actor)): Extension<Actor>,
    Path((app, id)): Path<(String, String)>,
) -> Response {
    let result = change(relay, move |relay| {
        relay.store.revoke_key(&app, &id, &actor)?;
        tracing::info!(%app, key_id = %id, %actor, "API key revoked");
        Ok(json!({"app": app, "keyId": id, "revoked": true}))
    })
    .await;
    answer(result, false)
}

async fn put_policy(
    State(relay): State<Arc<Relay>>,
    Extension(Actor(actor)): Extension<Actor>,
    Path((app, chain)): Path<(String, u64)>,
    Json(mut body): Json<Value>,
) -> Response {
    let result = change(relay, move |relay| {
        if relay.chain(chain).is_none() {
            return Err(AdminError::BadPolicy(format!(
                "this relay does not serve chain {chain}"
            )));
        }
        // The path names the chain; the body holds the rest (every field has a default).
        if let Some(fields) = body.as_object_mut() {
            fields.insert("chain_id".into(), json!(chain));
        }
        let policy: Policy =
            serde_json::from_value(body).map_err(|e| AdminError::BadPolicy(e.to_string()))?;
        policy.check().map_err(AdminError::BadPolicy)?;
        relay
            .store
            .put_policy(&relay.registry(), &app, &policy, &actor)?;
        tracing::info!(%app, chain, %actor, "policy set");
        Ok(json!({"app": app, "policy": policy}))
    })
    .await;
    answer(result, false)
}

async fn policy_state(
    State(relay): State<Arc<Relay>>,
    Extension(Actor(actor)): Extension<Actor>,
    Path((app, chain, state)): Path<(String, u64, String)>,
) -> Response {
    let enabled = match state.as_str() {
        "enable" => true,
        "disable" => false,
        _ => return (StatusCode::NOT_FOUND, "use …/enable or …/disable").into_response(),
    };
    let result = change(relay, move |relay| {
        relay
            .store
            .set_policy_enabled(&relay.registry(), &app, chain, enabled, &actor)?;
        tracing::info!(%app, chain, enabled, %actor, "policy switched");
        Ok(json!({"app": app, "chainId": chain, "enabled": enabled}))
    })
    .await;
    answer(result, false)
}

async fn audit(State(relay): State<Arc<Relay>>, Query(filter): Query<Filter>) -> Response {
    let limit = filter.limit.unwrap_or(100).clamp(1, 1000);
    let store = relay.store.clone();
    match tokio::task::spawn_blocking(move || store.audit_log(limit)).await {
        Ok(Ok(entries)) => Json(json!({"entries": entries})).into_response(),
        Ok(Err(error)) => failed(error),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
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

pub use crate::registry::key_fingerprint;

async fn apps(State(relay): State<Arc<Relay>>) -> Response {
    let registry = relay.registry();
    let apps: Vec<Value> = registry
        .apps()
        .iter()
        .map(|app| {
            let mut policies = serde_json::to_value(&app.policies).unwrap_or(Value::Null);
            // An approval webhook's secret source stays private too.
            if let Some(list) = policies.as_array_mut() {
                for policy in list {
                    if let Some(approval) = policy.get_mut("approval").and_then(Value::as_object_mut) {
                        approval.remove("secret");
                    }
                    let chain = policy["chain_id"].as_u64();
                    let runtime = registry
                        .runtime_policies
                        .iter()
                        .any(|p| p.app == app.name && Some(p.policy.chain_id) == chain);
                    policy["source"] = json!(if runtime { "runtime" } else { "file" });
                }
            }
            let disabled: Vec<u64> = registry
                .runtime_policies
                .iter()
                .filter(|p| p.app == app.name && !p.enabled)
                .map(|p| p.policy.chain_id)
                .collect();
            let keys: Vec<&crate::registry::KeyInfo> = registry
                .key_list
                .iter()
                .filter(|k| k.app == app.name)
                .collect();
            json!({
                "name": app.name,
                "source": if app.api_key.is_empty() { "runtime" } else { "file" },
                "keyFingerprint": (!app.api_key.is_empty()).then(|| key_fingerprint(&app.api_key)),
                "keys": keys,
                "webhook": app.webhook.as_ref().map(|w| json!({"url": w.url, "sponsorshipEvents": w.sponsorship_events})),
                "policies": policies,
                "disabledChains": disabled,
            })
        })
        .collect();
    Json(json!({"apps": apps, "version": registry.version})).into_response()
}

/// Asks the admin API the configuration names (`GET path?query` with its token).
pub async fn ask(
    config: &crate::config::Config,
    path: &str,
    query: &[(&str, String)],
) -> Result<Value, String> {
    call(config, reqwest::Method::GET, path, query, None).await
}

/// Calls the admin API the configuration names with its first token; `X-Admin-Actor` says
/// which user of this machine asked (for the audit log).
pub async fn call(
    config: &crate::config::Config,
    method: reqwest::Method,
    path: &str,
    query: &[(&str, String)],
    body: Option<Value>,
) -> Result<Value, String> {
    let admin = config
        .admin
        .as_ref()
        .ok_or("the configuration has no [admin] section (listen, token)")?;
    let token = crate::keys::load_secret(&admin.token).map_err(|e| e.to_string())?;
    let url = reqwest::Url::parse_with_params(&format!("http://{}{path}", admin.listen), query)
        .map_err(|e| e.to_string())?;
    harbor_core::rpc::install_tls_provider();
    let mut request = reqwest::Client::new()
        .request(method, url.clone())
        .bearer_auth(token.as_str());
    if let Ok(user) = std::env::var("USER") {
        request = request.header("x-admin-actor", user);
    }
    if let Some(body) = body {
        request = request
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("cannot reach the admin API at {url}: {}", e.without_url()))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        let reason = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_owned))
            .unwrap_or(text);
        return Err(format!("the admin API answered {status}: {reason}"));
    }
    serde_json::from_str(&text).map_err(|e| format!("the admin API's answer is not JSON: {e}"))
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
