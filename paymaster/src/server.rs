//! HTTP: `/rpc/{chainId}` (API key in `x-api-key` or a bearer token) and
//! `/rpc/{chainId}/{apiKey}`, plus `/healthz` and `/metrics`.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::relay::{Relay, StartError};
use crate::rpc::{RpcFailure, UNAUTHORIZED};

/// The router of the relay.
pub fn router(relay: Arc<Relay>) -> Router {
    let limit = relay.config.max_body_bytes;
    Router::new()
        .route("/rpc/{chain_id}", post(rpc_with_header))
        .route("/rpc/{chain_id}/{api_key}", post(rpc_with_path))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(relay)
}

/// Binds `relay.config.listen` and serves until the process ends; starts the chain watchers.
pub async fn serve(relay: Arc<Relay>) -> Result<(), StartError> {
    let address = relay.config.listen;
    let listener =
        tokio::net::TcpListener::bind(address)
            .await
            .map_err(|e| StartError::Listen {
                address: address.to_string(),
                message: e.to_string(),
            })?;
    serve_on(listener, relay).await
}

/// Serves on an already bound listener (tests bind port 0); starts the chain watchers.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    relay: Arc<Relay>,
) -> Result<(), StartError> {
    let bound = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let _watchers = relay.spawn_watchers();
    tracing::info!(address = %bound, "harbor-paymaster listening");
    axum::serve(listener, router(relay))
        .await
        .map_err(|e| StartError::Listen {
            address: bound,
            message: e.to_string(),
        })
}

fn header_key(headers: &HeaderMap) -> Option<String> {
    if let Some(key) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(key.to_owned());
    }
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned)
}

async fn rpc_with_header(
    State(relay): State<Arc<Relay>>,
    Path(chain_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(relay, &chain_id, header_key(&headers), body).await
}

async fn rpc_with_path(
    State(relay): State<Arc<Relay>>,
    Path((chain_id, api_key)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    handle(relay, &chain_id, Some(api_key), body).await
}

fn reply(id: Value, result: Result<Value, RpcFailure>) -> Value {
    match result {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err(error) => json!({"jsonrpc": "2.0", "id": id, "error": error.to_json()}),
    }
}

async fn handle(
    relay: Arc<Relay>,
    chain_id: &str,
    api_key: Option<String>,
    body: Bytes,
) -> Response {
    let parsed: Result<Value, _> = serde_json::from_slice(&body);
    let Ok(request) = parsed else {
        let error = RpcFailure::new(-32700, "the request body is not valid JSON");
        return (StatusCode::OK, axum::Json(reply(Value::Null, Err(error)))).into_response();
    };
    let app = api_key.as_deref().and_then(|key| relay.app(key));
    let Some(app) = app else {
        relay.metrics.inc(
            "harbor_paymaster_requests_total",
            &[("method", "-"), ("outcome", "unauthorized")],
        );
        let error = RpcFailure::new(
            UNAUTHORIZED,
            "unauthorized: send a valid API key in the x-api-key header or as /rpc/{chainId}/{apiKey}",
        );
        let id = request.get("id").cloned().unwrap_or(Value::Null);
        return (StatusCode::UNAUTHORIZED, axum::Json(reply(id, Err(error)))).into_response();
    };
    let chain_id = chain_id
        .strip_prefix("0x")
        .map(|hex| u64::from_str_radix(hex, 16).ok())
        .unwrap_or_else(|| chain_id.parse().ok());
    let answer = match request {
        Value::Array(batch) if batch.is_empty() => {
            reply(Value::Null, Err(RpcFailure::new(-32600, "empty batch")))
        }
        Value::Array(batch) if batch.len() > 50 => reply(
            Value::Null,
            Err(RpcFailure::new(-32600, "batches are limited to 50 calls")),
        ),
        Value::Array(batch) => {
            let mut out = Vec::with_capacity(batch.len());
            for call in batch {
                out.push(one(&relay, chain_id, app, call).await);
            }
            Value::Array(out)
        }
        call => one(&relay, chain_id, app, call).await,
    };
    (StatusCode::OK, axum::Json(answer)).into_response()
}

async fn one(
    relay: &Relay,
    chain_id: Option<u64>,
    app: &crate::config::AppConfig,
    call: Value,
) -> Value {
    let id = call.get("id").cloned().unwrap_or(Value::Null);
    let Some(method) = call.get("method").and_then(Value::as_str) else {
        return reply(
            id,
            Err(RpcFailure::new(-32600, "a JSON-RPC request needs a method")),
        );
    };
    let Some(chain_id) = chain_id else {
        return reply(
            id,
            Err(RpcFailure::new(
                crate::rpc::UNSUPPORTED_CHAIN,
                "the chain id in the URL is not a number",
            )),
        );
    };
    let params = call.get("params").cloned().unwrap_or(json!([]));
    let started = std::time::Instant::now();
    let result = relay.dispatch(chain_id, app, method, &params).await;
    let outcome = match &result {
        Ok(_) => "ok".to_owned(),
        Err(e) => e.code.to_string(),
    };
    relay.metrics.inc(
        "harbor_paymaster_requests_total",
        &[("method", method), ("outcome", &outcome)],
    );
    tracing::debug!(method, chain_id, app = %app.name, outcome, micros = started.elapsed().as_micros() as u64, "rpc");
    reply(id, result)
}

async fn healthz(State(relay): State<Arc<Relay>>) -> Response {
    let chains: serde_json::Map<String, Value> = relay
        .chains
        .iter()
        .map(|(id, chain)| (id.to_string(), json!({"latestBlock": chain.latest_block()})))
        .collect();
    axum::Json(json!({"status": "ok", "chains": chains})).into_response()
}

async fn metrics(State(relay): State<Arc<Relay>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        relay.metrics.render(),
    )
        .into_response()
}
