//! Relay throughput for `pm_getPaymasterData` on loopback with a bounded load generator, next to
//! the raw "userOpHash + sign" rate of this machine measured in the same run.
//!
//! Prints sponsorships per second, p50/p99 latency at saturation and at half of it, and the
//! ratio to the raw signing rate, beside the load generator's own rate against a fixed answer
//! (it shares the cores). No chain is needed: the operations are new accounts' first ones, with
//! their estimates, fees and chain time filed as a watcher and a client would have.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    missing_docs
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, Bytes, U256};
use harbor_core::aa::{
    AccountCall, ENTRY_POINT_V07, EntryPointVersion, HarborAccount, UserOperation, encode_calls,
    user_operation_hash,
};
use harbor_core::keys::{LocalSigner, Signer};
use harbor_paymaster::config::{AppConfig, ChainConfig, Config, Policy};
use harbor_paymaster::pricing::{GasEstimate, NetworkFees, required_pre_verification_gas};
use harbor_paymaster::{Relay, server};
use serde_json::json;

const KEY: &str = "bench-app-key-123";
const SATURATION_REQUESTS: usize = 6_000;
const CONCURRENCY: usize = 16;
const HALF_LOAD_SECONDS: u64 = 3;

/// A new Harbor account's first operation (the relay checks those without the node).
fn op(i: u64) -> UserOperation {
    let mut owner = [0u8; 20];
    owner[12..].copy_from_slice(&i.to_be_bytes());
    let account = HarborAccount::new(Address::from(owner), U256::ZERO);
    let mut op = UserOperation {
        sender: account.address(),
        factory: Some(account.factory),
        factory_data: Some(account.factory_data()),
        call_data: encode_calls(&[AccountCall {
            to: Address::repeat_byte(7),
            value: U256::from(1),
            data: Bytes::new(),
        }]),
        call_gas_limit: U256::from(100_000),
        verification_gas_limit: U256::from(300_000),
        max_fee_per_gas: U256::from(2_000_000_000u64),
        max_priority_fee_per_gas: U256::from(1_000_000u64),
        ..UserOperation::default()
    };
    op.pre_verification_gas = U256::from(required_pre_verification_gas(&op));
    op
}

/// What the relay's own estimate would say (a benchmark has no node to estimate with).
const ESTIMATE: GasEstimate = GasEstimate {
    verification: 300_000,
    call: 100_000,
    paymaster_verification: 20_000,
};

fn body(i: u64) -> String {
    json!({"jsonrpc": "2.0", "id": i, "method": "pm_getPaymasterData",
           "params": [op(i), ENTRY_POINT_V07, "0x7a69", null]})
    .to_string()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn raw_sign_rate() -> f64 {
    let signer = LocalSigner::random().unwrap();
    // The operations are built before the clock starts: building one (its account's address)
    // is the client's work, not part of hashing and signing.
    let ops: Vec<UserOperation> = (0..4_096).map(op).collect();
    let started = Instant::now();
    let mut n = 0usize;
    while started.elapsed() < Duration::from_secs(2) {
        let hash = user_operation_hash(
            &ops[n % ops.len()],
            EntryPointVersion::V07,
            ENTRY_POINT_V07,
            31337,
        );
        std::hint::black_box(signer.sign_hash(&hash).unwrap());
        n += 1;
    }
    n as f64 / started.elapsed().as_secs_f64()
}

async fn start(database: Option<String>) -> (String, tempfile::TempDir, Arc<Relay>) {
    harbor_core::rpc::install_tls_provider();
    let dir = tempfile::tempdir().unwrap();
    let policy = Policy {
        max_ops_per_sender: u64::MAX,
        max_ops_total: u64::MAX,
        max_spend_total_wei: U256::MAX,
        ..Policy::defaults(31337)
    };
    let chain = ChainConfig {
        poll_interval_ms: 3_600_000,
        ..ChainConfig::new(31337, "http://127.0.0.1:9", Address::repeat_byte(0x99))
    };
    let app = AppConfig {
        name: "bench".into(),
        api_key: KEY.into(),
        policies: vec![policy],
        webhook: None,
    };
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        sponsor_name: "bench".into(),
        ..Config::new(vec![chain], vec![app], dir.path().join("bench.sqlite"))
    };
    if let Some(url) = database {
        config.database = harbor_paymaster::config::Database::Postgres(url);
    }
    let relay = Arc::new(
        Relay::with_keys(
            config,
            LocalSigner::random().unwrap(),
            LocalSigner::random().unwrap(),
        )
        .unwrap(),
    );
    let chain = relay.chain(31337).unwrap();
    chain.set_chain_time(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    );
    chain.set_network_fees(NetworkFees {
        base_fee: 1_000_000_000,
        priority_fee: 1_000_000,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/rpc/31337/{KEY}", listener.local_addr().unwrap());
    // The router alone: no chain watcher in a benchmark.
    let router = server::router(Arc::clone(&relay));
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, dir, relay)
}

/// A real client estimates before asking for the final data: files the estimates of the
/// operations `offset..offset + count` (per phase: the relay keeps 20 000 at most).
fn file_estimates(relay: &Relay, offset: u64, count: u64) {
    let chain = relay.chain(31337).unwrap();
    for i in offset..offset + count {
        let mut sponsored = op(i);
        harbor_paymaster::sponsor::attach_paymaster(&mut sponsored, Address::repeat_byte(0x99));
        chain.remember_estimate(&sponsored, ESTIMATE);
    }
}

/// The load generator and HTTP stack alone: the same requests against an endpoint that answers
/// a fixed body of the relay's size at once (what the two cores spend besides the relay).
async fn null_server() -> String {
    let answer = json!({"jsonrpc": "2.0", "id": 1, "result": {"paymaster": Address::repeat_byte(0x99), "paymasterData": format!("0x{}", "ab".repeat(77))}}).to_string();
    let router = axum::Router::new().route(
        "/rpc/31337/{key}",
        axum::routing::post(move || {
            let answer = answer.clone();
            async move { answer }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/rpc/31337/{KEY}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

async fn saturate(url: &str, offset: u64) -> (f64, Vec<Duration>) {
    harbor_core::rpc::install_tls_provider();
    let client = reqwest::Client::new();
    let next = Arc::new(std::sync::atomic::AtomicU64::new(offset));
    let started = Instant::now();
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (client, url, next) = (client.clone(), url.to_owned(), next.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= offset + SATURATION_REQUESTS as u64 {
                        return latencies;
                    }
                    let t = Instant::now();
                    let text = client
                        .post(&url)
                        .body(body(i))
                        .send()
                        .await
                        .unwrap()
                        .text()
                        .await
                        .unwrap();
                    latencies.push(t.elapsed());
                    assert!(text.contains("paymasterData"), "{text}");
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let rate = all.len() as f64 / started.elapsed().as_secs_f64();
    all.sort();
    (rate, all)
}

async fn paced(url: &str, rate: f64, offset: u64) -> Vec<Duration> {
    let client = reqwest::Client::new();
    let interval = Duration::from_secs_f64(1.0 / rate);
    let total = (rate * HALF_LOAD_SECONDS as f64) as u64;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for n in 0..total {
        let due = started + interval * n as u32;
        tokio::time::sleep_until(due.into()).await;
        let (client, url) = (client.clone(), url.to_owned());
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let text = client
                .post(&url)
                .body(body(offset + n))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(text.contains("paymasterData"), "{text}");
            t.elapsed()
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.push(task.await.unwrap());
    }
    all.sort();
    all
}

/// One store's figures: saturation rate and latencies, and latencies at half of it.
struct Figures {
    rate: f64,
    saturated: Vec<Duration>,
    half: Vec<Duration>,
}

/// Saturation, then half of it, against a relay on `database` (SQLite when `None`).
async fn measure(database: Option<String>) -> Figures {
    let (url, _dir, relay) = start(database).await;
    // Warm-up (connections, database pages).
    file_estimates(&relay, 1_000_000, SATURATION_REQUESTS as u64);
    let _ = saturate(&url, 1_000_000).await;
    file_estimates(&relay, 0, SATURATION_REQUESTS as u64);
    let (rate, saturated) = saturate(&url, 0).await;
    file_estimates(
        &relay,
        2_000_000,
        (rate / 2.0 * HALF_LOAD_SECONDS as f64) as u64 + 1,
    );
    let half = paced(&url, rate / 2.0, 2_000_000).await;
    Figures {
        rate,
        saturated,
        half,
    }
}

fn main() {
    let raw = raw_sign_rate();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    // PostgreSQL as an operator runs it: on this machine, durable (fsync, synchronous commit).
    let server = harbor_devnet::postgres::TempPostgres::start(true)
        .expect("a PostgreSQL server (Debian package postgresql)");
    let postgres_url = server.database("bench").unwrap();
    harbor_core::rpc::install_tls_provider();
    runtime.block_on(async {
        let null_url = null_server().await;
        let (null_rate, _) = saturate(&null_url, 0).await;
        let sqlite = measure(None).await;
        let postgres = measure(Some(postgres_url)).await;
        println!("relay pm_getPaymasterData on loopback ({CONCURRENCY} concurrent clients, {SATURATION_REQUESTS} requests):");
        println!("  raw userOpHash + sign (one core)  {raw:>10.0} /s");
        println!("  load generator + HTTP alone       {null_rate:>10.0} /s  (a fixed answer, same clients)");
        for (name, f) in [("SQLite", &sqlite), ("PostgreSQL", &postgres)] {
            // The relay's own time per request: what it adds to the generator's and HTTP's.
            let own = 1.0 / f.rate - 1.0 / null_rate;
            println!("  {name}:");
            println!("    at saturation                   {:>10.0} /s  p50 {:?}  p99 {:?}", f.rate, percentile(&f.saturated, 0.5), percentile(&f.saturated, 0.99));
            println!("    at half of saturation           {:>10.0} /s  p50 {:?}  p99 {:?}", f.rate / 2.0, percentile(&f.half, 0.5), percentile(&f.half, 0.99));
            println!("    ratio relay / raw signing       {:>10.2}", f.rate / raw);
            println!("    ratio relay's own rate / raw    {:>10.2}  (1 / (1/relay - 1/null) over raw)", 1.0 / own / raw);
        }
    });
    drop(server);
}
