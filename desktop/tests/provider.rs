//! The local provider as programs and attackers see it: pairing through the person's approval,
//! requests and events over WebSocket and HTTP, and everything a web page could try refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use harbor_core::chains::{Chain, NativeCurrency};
use harbor_core::dapp::{DappEngine, PendingRequest};
use harbor_core::vault::{KdfParams, Vault};
use harbor_core::wallet::{SharedVault, Wallet};
use harbor_desktop::provider::{Pairing, Provider, ProviderHost};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

struct Host {
    vault: SharedVault,
    engine: Arc<DappEngine>,
    waiting: Mutex<Vec<PendingRequest>>,
    pairings: Mutex<Vec<Pairing>>,
    unlock_wanted: AtomicUsize,
}

impl ProviderHost for Host {
    fn engine(&self) -> Option<Arc<DappEngine>> {
        Some(self.engine.clone())
    }
    fn vault(&self) -> Option<SharedVault> {
        Some(self.vault.clone())
    }
    fn request_waiting(&self, request: &PendingRequest) {
        self.waiting.lock().unwrap().push(request.clone());
    }
    fn pairing_waiting(&self, pairing: &Pairing) {
        self.pairings.lock().unwrap().push(pairing.clone());
    }
    fn unlock_wanted(&self) {
        self.unlock_wanted.fetch_add(1, Ordering::SeqCst);
    }
}

async fn start() -> (tempfile::TempDir, Arc<Host>, Arc<Provider>) {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = Vault::create(
        &dir.path().join("w.harbor"),
        "a long password",
        KdfParams::LIGHT,
    )
    .unwrap();
    vault
        .save_chain(&Chain {
            chain_id: 31337,
            name: "Harbor dev chain".into(),
            native_currency: NativeCurrency {
                name: "Ether".into(),
                symbol: "ETH".into(),
                decimals: 18,
            },
            // Never reached by these tests.
            rpc_urls: vec!["http://127.0.0.1:9".into()],
            explorer_url: None,
            bundler_url: Some("http://127.0.0.1:9".into()),
            paymaster_url: None,
            testnet: true,
            sponsor: None,
        })
        .unwrap();
    let vault: SharedVault = Arc::new(Mutex::new(vault));
    let wallet = Arc::new(Wallet::new(vault.clone()));
    wallet.create_wallet("Main").unwrap();
    let host = Arc::new(Host {
        vault,
        engine: Arc::new(DappEngine::new(wallet)),
        waiting: Mutex::new(Vec::new()),
        pairings: Mutex::new(Vec::new()),
        unlock_wanted: AtomicUsize::new(0),
    });
    // Port 0 would pick the default; tests take any free port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let provider = Provider::start(host.clone(), port).await.unwrap();
    (dir, host, provider)
}

/// One HTTP/1.1 exchange, written by hand so a test can send any `Host` and `Origin`.
async fn http(address: SocketAddr, head: &str, body: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "{head}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn post(address: SocketAddr, path: &str, extra: &str) -> String {
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nhost: 127.0.0.1:{}\r\ncontent-type: application/json",
        address.port()
    );
    if !extra.is_empty() {
        head.push_str("\r\n");
        head.push_str(extra);
    }
    head
}

/// Pairs a program of `kind` the way the extension does, the person approving; its token.
async fn pair(host: &Host, provider: &Provider, kind: &str, origin: &str) -> String {
    let a = provider.address();
    let (status, body) = http(
        a,
        &post(a, "/pair", origin),
        &json!({"name": "Test program", "kind": kind}).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let asked: Value = serde_json::from_str(&body).unwrap();
    let shown = host.pairings.lock().unwrap().last().cloned().unwrap();
    assert_eq!(shown.code, asked["code"].as_str().unwrap());
    assert_eq!(shown.kind, kind);
    let status_path = format!(
        "GET /pair/{} HTTP/1.1\r\nhost: 127.0.0.1:{}",
        asked["id"].as_str().unwrap(),
        a.port()
    );
    let (_, waiting) = http(a, &status_path, "").await;
    assert_eq!(
        serde_json::from_str::<Value>(&waiting).unwrap()["status"],
        "waiting"
    );
    provider.decide_pairing(&shown.id, true).unwrap();
    let (_, approved) = http(a, &status_path, "").await;
    let approved: Value = serde_json::from_str(&approved).unwrap();
    assert_eq!(approved["status"], "approved");
    // Handed over once.
    assert_eq!(http(a, &status_path, "").await.0, 404);
    approved["token"].as_str().unwrap().to_owned()
}

type Socket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

async fn socket(
    address: SocketAddr,
    token: &str,
    origin: Option<&str>,
) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://127.0.0.1:{}/ws?token={token}", address.port())
        .into_client_request()
        .unwrap();
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("origin", origin.parse().unwrap());
    }
    let stream = tokio::net::TcpStream::connect(address).await.unwrap();
    Ok(tokio_tungstenite::client_async(request, stream).await?.0)
}

async fn next(socket: &mut Socket) -> Value {
    let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let Message::Text(text) = message else {
        panic!("{message:?}")
    };
    serde_json::from_str(text.as_str()).unwrap()
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

async fn waiting(host: &Host) -> PendingRequest {
    for _ in 0..200 {
        if let Some(p) = host.waiting.lock().unwrap().pop() {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("nothing waits for the person");
}

const EXTENSION: &str = "chrome-extension://abcdefghijklmnopabcdefghijklmnop";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_extension_pairs_connects_a_site_and_gets_its_events() {
    let (_dir, host, provider) = start().await;
    let token = pair(
        &host,
        &provider,
        "extension",
        &format!("origin: {EXTENSION}"),
    )
    .await;
    let mut ws = socket(provider.address(), &token, Some(EXTENSION))
        .await
        .unwrap();
    let site = "https://app.example";

    send(
        &mut ws,
        json!({"id": 1, "origin": site, "method": "eth_chainId"}),
    )
    .await;
    assert_eq!(
        next(&mut ws).await,
        json!({"jsonrpc": "2.0", "id": 1, "result": "0x7a69"})
    );

    // Connecting waits for the person; a read meanwhile is answered at once.
    send(
        &mut ws,
        json!({"id": 2, "origin": site, "method": "eth_requestAccounts"}),
    )
    .await;
    let pending = waiting(&host).await;
    assert_eq!(pending.origin, site);
    send(
        &mut ws,
        json!({"id": 3, "origin": site, "method": "eth_accounts"}),
    )
    .await;
    assert_eq!(next(&mut ws).await["result"], json!([]));
    provider.decide(pending.id, true, None).await.unwrap();
    let mut got = [
        next(&mut ws).await,
        next(&mut ws).await,
        next(&mut ws).await,
    ];
    got.sort_by_key(|m| m.get("id").is_none());
    let account = got[0]["result"][0].as_str().unwrap().to_owned();
    assert_eq!(got[0]["id"], 2);
    assert_eq!(
        got[1],
        json!({"type": "event", "origin": site, "name": "connect", "data": {"chainId": "0x7a69"}})
    );
    assert_eq!(got[2]["name"], "accountsChanged");

    // A rejected request: 4001.
    send(&mut ws, json!({"id": 4, "origin": site, "method": "personal_sign", "params": ["0x68656c6c6f", account]})).await;
    let pending = waiting(&host).await;
    provider.decide(pending.id, false, None).await.unwrap_err();
    assert_eq!(next(&mut ws).await["error"]["code"], 4001);

    // A site may not change the account itself.
    let config = "0x".to_owned()
        + &hex_selector("applyConfig((address[],uint256,uint256,uint256),bytes)")
        + &"00".repeat(64);
    send(&mut ws, json!({"id": 5, "origin": site, "method": "eth_sendTransaction", "params": [{"to": account, "data": config}]})).await;
    let refused = next(&mut ws).await;
    assert_eq!(refused["error"]["code"], 4100, "{refused}");

    // The extension must say which page asks.
    send(&mut ws, json!({"id": 6, "method": "eth_chainId"})).await;
    assert_eq!(next(&mut ws).await["error"]["code"], -32600);

    // Revoked in the app: the page sees no account.
    host.engine.disconnect(site).unwrap();
    provider.flush_events();
    assert_eq!(
        next(&mut ws).await,
        json!({"type": "event", "origin": site, "name": "accountsChanged", "data": []})
    );

    // Unpaired: the connection closes and the token no longer opens one.
    let [client] = host
        .vault
        .lock()
        .unwrap()
        .paired_clients()
        .unwrap()
        .try_into()
        .unwrap();
    assert!(provider.unpair(&client.id).unwrap());
    send(
        &mut ws,
        json!({"id": 7, "origin": site, "method": "eth_chainId"}),
    )
    .await;
    assert!(
        socket(provider.address(), &token, Some(EXTENSION))
            .await
            .is_err()
    );
}

fn hex_selector(signature: &str) -> String {
    alloy_primitives::hex::encode(&alloy_primitives::keccak256(signature)[..4])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_pairs_and_uses_http_as_itself() {
    let (_dir, host, provider) = start().await;
    let a = provider.address();
    let token = pair(&host, &provider, "script", "").await;
    let auth = format!("authorization: Bearer {token}");
    let (status, body) = http(
        a,
        &post(a, "/", &auth),
        &json!({"jsonrpc": "2.0", "id": 1, "method": "net_version"}).to_string(),
    )
    .await;
    assert_eq!(
        (
            status,
            serde_json::from_str::<Value>(&body).unwrap()["result"].clone()
        ),
        (200, json!("31337"))
    );
    // A script cannot speak for a site: its `origin` is ignored, it is answered as itself.
    let request = json!({"jsonrpc": "2.0", "id": 2, "origin": "https://app.example", "method": "eth_requestAccounts"});
    let call =
        tokio::spawn(async move { http(a, &post(a, "/", &auth), &request.to_string()).await });
    let pending = waiting(&host).await;
    assert!(
        pending.origin.starts_with("harbor-script://"),
        "{}",
        pending.origin
    );
    provider.decide(pending.id, true, None).await.unwrap();
    let (_, body) = call.await.unwrap();
    assert!(serde_json::from_str::<Value>(&body).unwrap()["result"][0].is_string());
    // Locked: 4900, and the app is asked to come up for the password.
    host.vault.lock().unwrap().lock();
    let auth = format!("authorization: Bearer {token}");
    let (_, body) = http(
        a,
        &post(a, "/", &auth),
        &json!({"jsonrpc": "2.0", "id": 3, "method": "eth_chainId"}).to_string(),
    )
    .await;
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"]["code"],
        4900
    );
    assert_eq!(host.unlock_wanted.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_pages_and_strangers_are_refused() {
    let (_dir, host, provider) = start().await;
    let a = provider.address();
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}).to_string();
    // No token, a wrong token.
    assert_eq!(http(a, &post(a, "/", ""), &body).await.0, 401);
    assert_eq!(
        http(a, &post(a, "/", "authorization: Bearer 00ff"), &body)
            .await
            .0,
        401
    );
    assert!(socket(a, "00ff", None).await.is_err());
    // A web page (any web origin) cannot even ask to pair, nor open a socket.
    let pairing = json!({"name": "evil", "kind": "extension"}).to_string();
    assert_eq!(
        http(
            a,
            &post(a, "/pair", "origin: https://evil.example"),
            &pairing
        )
        .await
        .0,
        403
    );
    assert_eq!(
        http(a, &post(a, "/pair", "origin: null"), &pairing).await.0,
        403
    );
    assert!(host.pairings.lock().unwrap().is_empty());
    let token = pair(&host, &provider, "extension", "").await;
    assert!(
        socket(a, &token, Some("https://evil.example"))
            .await
            .is_err()
    );
    // A page that learnt the token still cannot use it from a web origin.
    let auth = format!("authorization: Bearer {token}\r\norigin: http://localhost:3000");
    assert_eq!(http(a, &post(a, "/", &auth), &body).await.0, 403);
    // DNS rebinding: a foreign Host header.
    let rebound = format!(
        "POST / HTTP/1.1\r\nhost: attacker.example:{}\r\nauthorization: Bearer {token}",
        a.port()
    );
    assert_eq!(http(a, &rebound, &body).await.0, 403);
    // Too big.
    let huge =
        json!({"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": ["x".repeat(300_000)]})
            .to_string();
    let auth = format!("authorization: Bearer {token}");
    assert_eq!(http(a, &post(a, "/", &auth), &huge).await.0, 413);
    // Too fast: a burst gets -32005 after the limit.
    let mut ws = socket(a, &token, None).await.unwrap();
    for id in 0..80 {
        send(
            &mut ws,
            json!({"id": id, "origin": "https://app.example", "method": "eth_chainId"}),
        )
        .await;
    }
    let mut limited = 0;
    for _ in 0..80 {
        if next(&mut ws).await["error"]["code"] == -32005 {
            limited += 1;
        }
    }
    assert!(limited >= 20, "{limited} requests were limited");
    // Too many pairings waiting.
    for _ in 0..4 {
        assert_eq!(http(a, &post(a, "/pair", ""), &pairing).await.0, 200);
    }
    assert_eq!(http(a, &post(a, "/pair", ""), &pairing).await.0, 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viem_script_with_the_token_uses_the_wallet() {
    let (_dir, host, provider) = start().await;
    let token = pair(&host, &provider, "script", "").await;
    let root = std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap()).join("..");
    let script = root.join("tools/interop/viem-script.mjs");
    let url = format!("http://127.0.0.1:{}/", provider.address().port());
    let run = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(script)
            .env("HARBOR_URL", url)
            .env("HARBOR_TOKEN", token)
            .output()
            .unwrap()
    });
    // The person approves the connection when it shows up.
    let pending = waiting(&host).await;
    assert!(pending.origin.starts_with("harbor-script://"));
    provider.decide(pending.id, true, None).await.unwrap();
    let output = run.await.unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(seen["chainId"], 31337);
    assert_eq!(seen["before"], json!([]));
    assert!(seen["account"].as_str().unwrap().starts_with("0x"));
    assert_eq!(seen["refused"], 4200);
}
