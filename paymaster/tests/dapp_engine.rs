//! The dApp engine on a real dev chain: a dApp written with viem connects through an EIP-1193
//! transport, signs in (verified by viem on the chain) and sends a sponsored EIP-5792 batch; the
//! simulation names what calls do before the person approves; calls that would change the
//! account itself are refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;
use std::sync::{Arc, Mutex};

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{SolCall, sol};
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use harbor_core::aa::IHarborAccount;
use harbor_core::dapp::assets::AssetKind;
use harbor_core::dapp::{Answer, DappEngine, DappError, PendingRequest, RequestKind, SiweFlag};
use harbor_devnet::Devnet;
use serde_json::{Value, json};

use common::*;

const ORIGIN: &str = "http://dapp.test";

sol! {
    interface IDev {
        function transfer(address to, uint256 amount) external returns (bool);
        function approve(address spender, uint256 amount) external returns (bool);
        function mint(address to, uint256 id) external;
        function transferFrom(address from, address to, uint256 id) external;
        function safeTransferFrom(address from, address to, uint256 id, uint256 amount, bytes data) external;
        function balanceOf(address who) external view returns (uint256);
    }
    interface IItems {
        function mint(address to, uint256 id, uint256 amount) external;
    }
}

async fn ask(engine: &DappEngine, method: &str, params: Value) -> Result<Answer, DappError> {
    engine.request(ORIGIN, method, &params).await
}

async fn pending(engine: &DappEngine, method: &str, params: Value) -> PendingRequest {
    match ask(engine, method, params).await.unwrap() {
        Answer::Pending(p) => *p,
        Answer::Result(r) => panic!("{method} answered {r} without asking"),
    }
}

async fn connect(engine: &DappEngine) -> Address {
    let p = pending(engine, "eth_requestAccounts", json!([])).await;
    assert_eq!(p.summary.kind, RequestKind::Connect);
    let accounts = engine.approve(p.id, None).await.unwrap();
    accounts[0].as_str().unwrap().parse().unwrap()
}

/// Sends `data` from the dev chain's first (unlocked) account; returns the created contract
/// when `to` is `None`.
async fn dev_send(devnet: &Devnet, to: Option<Address>, data: Bytes) -> Option<Address> {
    let n = node(devnet);
    let from = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
    let mut tx = json!({"from": from, "data": data, "gas": "0x1000000"});
    if let Some(to) = to {
        tx["to"] = json!(to);
    }
    let hash = n.raw("eth_sendTransaction", json!([tx])).await.unwrap();
    let mut receipt = Value::Null;
    for _ in 0..100 {
        receipt = n
            .raw("eth_getTransactionReceipt", json!([hash]))
            .await
            .unwrap();
        if !receipt.is_null() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    receipt["contractAddress"]
        .as_str()
        .and_then(|a| a.parse().ok())
}

fn artifact_code(name: &str) -> Bytes {
    let path = harbor_devnet::repo_root()
        .unwrap()
        .join(format!("contracts/artifacts/{name}.json"));
    let json: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    json["bytecode"].as_str().unwrap().parse().unwrap()
}

fn tx(to: Address, data: Vec<u8>) -> Value {
    json!([{"to": to, "data": Bytes::from(data)}])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulation_names_what_calls_do_and_own_account_changes_are_refused() {
    let devnet = devnet(31337).await;
    let m = devnet.manifest().clone();
    let dir = tempfile::tempdir().unwrap();
    let wallet = dev_wallet(&dir, &dev_chain(&m.rpc_url, None));
    wallet.create_wallet("Main").unwrap();
    let engine = DappEngine::new(wallet.clone());

    // Not connected yet: reads work, signing does not, the site sees no account.
    assert_eq!(
        ask(&engine, "eth_accounts", json!([])).await.unwrap(),
        Answer::Result(json!([]))
    );
    assert_eq!(
        ask(&engine, "eth_chainId", json!([])).await.unwrap(),
        Answer::Result(json!("0x7a69"))
    );
    let Answer::Result(block) = ask(&engine, "eth_blockNumber", json!([])).await.unwrap() else {
        panic!()
    };
    assert!(block.as_str().unwrap().starts_with("0x"));
    let e = ask(&engine, "personal_sign", json!(["0x00", Address::ZERO]))
        .await
        .unwrap_err();
    assert_eq!(e.rpc_code(), 4100);

    let account = connect(&engine).await;
    let events = engine.take_events();
    assert_eq!(
        events.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
        ["connect", "accountsChanged"]
    );
    assert_eq!(events[1].data, json!([account]));

    // Assets for the account: ETH, dev tokens, an NFT, ERC-1155 items.
    set_balance(&devnet, account, eth("1")).await;
    let token: Address = m.dev_token.parse().unwrap();
    mint(&devnet, account, U256::from(5_000_000u64)).await;
    let nft = dev_send(&devnet, None, artifact_code("DevCollectible"))
        .await
        .unwrap();
    let items = dev_send(&devnet, None, artifact_code("DevItems"))
        .await
        .unwrap();
    dev_send(
        &devnet,
        Some(nft),
        IDev::mintCall {
            to: account,
            id: U256::from(7),
        }
        .abi_encode()
        .into(),
    )
    .await;
    dev_send(
        &devnet,
        Some(items),
        IItems::mintCall {
            to: account,
            id: U256::from(3),
            amount: U256::from(10),
        }
        .abi_encode()
        .into(),
    )
    .await;
    let friend = Address::repeat_byte(0xf1);

    // A token transfer.
    let p = pending(
        &engine,
        "eth_sendTransaction",
        tx(
            token,
            IDev::transferCall {
                to: friend,
                amount: U256::from(1_500_000u64),
            }
            .abi_encode(),
        ),
    )
    .await;
    let s = &p.summary;
    assert_eq!((s.kind, s.reverted.as_deref()), (RequestKind::Calls, None));
    assert_eq!(s.asset_changes.len(), 1, "{s:?}");
    let c = &s.asset_changes[0];
    assert_eq!(
        (
            c.kind,
            c.incoming,
            c.counterparty,
            c.symbol.as_deref(),
            c.formatted.as_deref()
        ),
        (AssetKind::Erc20, false, friend, Some("HDD"), Some("1.5"))
    );
    assert!(
        s.lines.iter().any(|l| l.contains("You send 1.5 HDD")),
        "{:?}",
        s.lines
    );
    assert!(s.warnings.is_empty());
    assert_eq!(
        s.payer.as_deref(),
        Some("Your account pays the gas in ETH.")
    );
    engine.reject(p.id).unwrap();

    // ETH with the call.
    let p = pending(
        &engine,
        "eth_sendTransaction",
        json!([{"to": friend, "value": "0x16345785d8a0000"}]),
    )
    .await;
    let c = &p.summary.asset_changes[0];
    assert_eq!(
        (c.kind, c.formatted.as_deref(), c.incoming),
        (AssetKind::Native, Some("0.1"), false)
    );
    engine.reject(p.id).unwrap();

    // An unlimited approval: a grant, flagged.
    let p = pending(
        &engine,
        "eth_sendTransaction",
        tx(
            token,
            IDev::approveCall {
                spender: friend,
                amount: U256::MAX,
            }
            .abi_encode(),
        ),
    )
    .await;
    let g = &p.summary.grants[0];
    assert!(g.unlimited && g.spender == friend && g.token == token);
    assert!(
        p.summary.warnings[0].starts_with("Unlimited"),
        "{:?}",
        p.summary.warnings
    );
    assert!(p.summary.asset_changes.is_empty());
    engine.reject(p.id).unwrap();

    // An NFT and ERC-1155 items, in one EIP-5792 batch.
    let p = pending(
        &engine,
        "wallet_sendCalls",
        json!([{"version": "2.0.0", "chainId": "0x7a69", "atomicRequired": true, "calls": [
            {"to": nft, "data": Bytes::from(IDev::transferFromCall { from: account, to: friend, id: U256::from(7) }.abi_encode())},
            {"to": items, "data": Bytes::from(IDev::safeTransferFromCall { from: account, to: friend, id: U256::from(3), amount: U256::from(4), data: Bytes::new() }.abi_encode())},
        ]}]),
    )
    .await;
    let kinds: Vec<_> = p
        .summary
        .asset_changes
        .iter()
        .map(|c| (c.kind, c.token_id, c.amount))
        .collect();
    assert_eq!(
        kinds,
        [
            (AssetKind::Erc721, Some(U256::from(7)), U256::from(1)),
            (AssetKind::Erc1155, Some(U256::from(3)), U256::from(4)),
        ]
    );
    assert_eq!(p.summary.asset_changes[0].symbol.as_deref(), Some("HDC"));
    engine.reject(p.id).unwrap();

    // A call that reverts: shown before signing.
    let p = pending(
        &engine,
        "eth_sendTransaction",
        tx(
            token,
            IDev::transferCall {
                to: friend,
                amount: U256::from(9_000_000u64),
            }
            .abi_encode(),
        ),
    )
    .await;
    assert!(p.summary.reverted.is_some(), "{:?}", p.summary);
    assert!(p.summary.warnings[0].starts_with("This will fail"));
    engine.reject(p.id).unwrap();

    // A call into the account itself (a guardian change) is refused outright.
    let config = IHarborAccount::applyConfigCall {
        config: harbor_core::aa::AccountConfig {
            guardians: vec![Address::repeat_byte(0x66)],
            threshold: U256::from(1),
            securityDelay: U256::from(86_400),
            version: U256::from(1),
        },
        signature: Bytes::new(),
    }
    .abi_encode();
    let e = ask(&engine, "eth_sendTransaction", tx(account, config.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.rpc_code(), 4100);
    assert!(e.to_string().contains("guardians"), "{e}");
    let e = ask(
        &engine,
        "wallet_sendCalls",
        json!([{"version": "2.0.0", "chainId": "0x7a69", "atomicRequired": true,
                "calls": [{"to": friend}, {"to": account, "data": Bytes::from(config)}]}]),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, DappError::OwnAccountCall { .. }));

    // A sign-in for another site on another chain, expired: flagged as phishing.
    let siwe = format!(
        "app.example.org wants you to sign in with your Ethereum account:\n{account}\n\nSign in.\n\nURI: https://app.example.org\nVersion: 1\nChain ID: 1\nNonce: 12345678\nIssued At: 2020-01-01T00:00:00Z\nExpiration Time: 2020-01-01T00:10:00Z"
    );
    let p = pending(&engine, "personal_sign", json!([siwe, account])).await;
    assert_eq!(p.summary.kind, RequestKind::SignIn);
    assert!(matches!(
        p.summary.siwe_flags[0],
        SiweFlag::DomainMismatch { .. }
    ));
    assert!(p.summary.siwe_flags.contains(&SiweFlag::Expired));
    assert!(p.summary.warnings[0].starts_with("Likely phishing"));
    assert_eq!(engine.reject(p.id).unwrap().rpc_code(), 4001);
    assert_eq!(
        engine.approve(p.id, None).await.unwrap_err().rpc_code(),
        -32600
    );

    // A permit is a grant too.
    let permit = json!({
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}],
            "Permit": [{"name": "owner", "type": "address"}, {"name": "spender", "type": "address"}, {"name": "value", "type": "uint256"}, {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}]
        },
        "primaryType": "Permit",
        "domain": {"name": "Harbor Dev Dollar", "chainId": 31337, "verifyingContract": token},
        "message": {"owner": account, "spender": friend, "value": "2000000", "nonce": 0, "deadline": 4102444800u64}
    });
    let p = pending(
        &engine,
        "eth_signTypedData_v4",
        json!([account, permit.to_string()]),
    )
    .await;
    assert_eq!(p.summary.grants[0].formatted.as_deref(), Some("2"));
    assert!(
        p.summary
            .lines
            .iter()
            .any(|l| l.contains("may spend up to 2 of your HDD until 2100-01-01")),
        "{:?}",
        p.summary.lines
    );
    engine.reject(p.id).unwrap();

    // Chains, batches, capabilities.
    let p = pending(
        &engine,
        "wallet_switchEthereumChain",
        json!([{"chainId": "0x1"}]),
    )
    .await;
    assert_eq!(p.summary.kind, RequestKind::SwitchChain);
    engine.approve(p.id, None).await.unwrap();
    assert_eq!(engine.take_events()[0].data, json!("0x1"));
    assert_eq!(
        ask(&engine, "eth_chainId", json!([])).await.unwrap(),
        Answer::Result(json!("0x1"))
    );
    let p = pending(
        &engine,
        "wallet_switchEthereumChain",
        json!([{"chainId": "0x7a69"}]),
    )
    .await;
    engine.approve(p.id, None).await.unwrap();
    let e = ask(
        &engine,
        "wallet_switchEthereumChain",
        json!([{"chainId": "0x99999"}]),
    )
    .await
    .unwrap_err();
    assert_eq!(e.rpc_code(), 4902);
    let e = ask(&engine, "wallet_getCallsStatus", json!(["0x1234"]))
        .await
        .unwrap_err();
    assert_eq!(e.rpc_code(), 5730);
    let e = ask(
        &engine,
        "wallet_sendCalls",
        json!([{"version": "2.0.0", "chainId": "0x1", "atomicRequired": true, "calls": [{"to": friend}]}]),
    )
    .await
    .unwrap_err();
    assert_eq!(e.rpc_code(), 5710);

    // A token the site suggests: named from the contract, shown in the balances once approved.
    let p = pending(
        &engine,
        "wallet_watchAsset",
        json!({"type": "ERC20", "options": {"address": token, "symbol": "FAKE", "decimals": 6}}),
    )
    .await;
    assert_eq!(p.summary.kind, RequestKind::WatchAsset);
    assert!(
        p.summary.title.ends_with("the token HDD"),
        "{}",
        p.summary.title
    );
    assert!(p.summary.warnings[0].contains("FAKE"));
    assert_eq!(engine.approve(p.id, None).await.unwrap(), json!(true));
    let balances = wallet.balances(account, &[]).await.unwrap();
    assert!(
        balances[0]
            .amounts
            .iter()
            .any(|a| a.symbol == "HDD" && a.formatted == "5"),
        "{balances:?}"
    );
    let e = ask(
        &engine,
        "wallet_watchAsset",
        json!({"type": "ERC20", "options": {"address": friend}}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.rpc_code(), -32602);

    // Adding a network: one Harbor has becomes a switch (its settings untouched); a node that
    // answers for another chain is refused.
    let add = |id: &str, rpc: &str| {
        json!([{"chainId": id, "chainName": "Somewhere", "rpcUrls": [rpc],
                "nativeCurrency": {"name": "Ether", "symbol": "ETH", "decimals": 18}}])
    };
    let p = pending(
        &engine,
        "wallet_addEthereumChain",
        add("0x1", "https://evil.example/rpc"),
    )
    .await;
    assert_eq!(p.summary.kind, RequestKind::SwitchChain);
    engine.reject(p.id).unwrap();
    assert!(
        !wallet
            .chain(1)
            .unwrap()
            .rpc_urls
            .contains(&"https://evil.example/rpc".to_owned())
    );
    let e = ask(&engine, "wallet_addEthereumChain", add("0x3e7", &m.rpc_url))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("answers for chain 31337"), "{e}");

    // Locked: nothing but an empty account list; the session survives.
    wallet
        .with_vault(|v| {
            v.lock();
            Ok(())
        })
        .unwrap();
    assert_eq!(
        ask(&engine, "eth_accounts", json!([])).await.unwrap(),
        Answer::Result(json!([]))
    );
    assert_eq!(
        ask(&engine, "eth_chainId", json!([]))
            .await
            .unwrap_err()
            .rpc_code(),
        4900
    );
    wallet
        .with_vault(|v| Ok(v.unlock("a long password")?))
        .unwrap();
    let again = DappEngine::new(wallet.clone());
    assert_eq!(
        again
            .request(ORIGIN, "eth_accounts", &json!([]))
            .await
            .unwrap(),
        Answer::Result(json!([account]))
    );
    assert!(again.disconnect(ORIGIN).unwrap());
    assert_eq!(again.take_events()[0].data, json!([]));
}

/// The engine over loopback HTTP, approving every request as the person would (and keeping
/// what each approval screen said).
type Seen = Arc<Mutex<Vec<PendingRequest>>>;

async fn serve(engine: Arc<DappEngine>, seen: Seen) -> String {
    async fn handle(
        State((engine, seen)): State<(Arc<DappEngine>, Seen)>,
        Json(request): Json<Value>,
    ) -> Json<Value> {
        let id = request.get("id").cloned().unwrap_or(Value::Null);
        let answer = match engine.request_json(ORIGIN, &request).await {
            Ok(Answer::Result(r)) => Ok(r),
            Ok(Answer::Pending(p)) => {
                seen.lock().unwrap().push((*p).clone());
                engine.approve(p.id, None).await
            }
            Err(e) => Err(e),
        };
        Json(match answer {
            Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
            Err(e) => json!({"jsonrpc": "2.0", "id": id, "error": e.to_rpc_error()}),
        })
    }
    let app = Router::new()
        .route("/", post(handle))
        .with_state((engine, seen));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viem_dapp_signs_in_and_sends_a_sponsored_batch() {
    let devnet = devnet(31337).await;
    let harness = start_relay(&[&devnet], vec![]).await;
    let m = devnet.manifest().clone();
    let dir = tempfile::tempdir().unwrap();
    let wallet = dev_wallet(&dir, &dev_chain(&m.rpc_url, Some(harness.url(31337))));
    let account = wallet.create_wallet("Main").unwrap().account.address;
    mint(&devnet, account, U256::from(10_000_000u64)).await;
    let engine = Arc::new(DappEngine::new(wallet.clone()));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let url = serve(engine.clone(), seen.clone()).await;
    let (first, second) = (Address::repeat_byte(0xa1), Address::repeat_byte(0xa2));

    let script = harbor_devnet::repo_root()
        .unwrap()
        .join("tools/interop/viem-dapp.mjs");
    let env = [
        ("RPC_URL", m.rpc_url.clone()),
        ("CHAIN_ID", "31337".to_owned()),
        ("WALLET_URL", url),
        ("TOKEN", m.dev_token.clone()),
        ("FIRST", first.to_string()),
        ("SECOND", second.to_string()),
    ];
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node").arg(script).envs(env).output().unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "the dApp failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen_by_dapp: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        seen_by_dapp["account"]
            .as_str()
            .unwrap()
            .parse::<Address>()
            .unwrap(),
        account
    );
    assert_eq!(seen_by_dapp["chainId"], 31337);
    assert_eq!(
        seen_by_dapp["capabilities"],
        json!({"31337": {"atomic": {"status": "supported"}, "paymasterService": {"supported": true}}})
    );
    assert_eq!(seen_by_dapp["siweValid"], true, "{seen_by_dapp}");
    assert_eq!(
        seen_by_dapp["status"]["status"], "success",
        "{seen_by_dapp}"
    );
    assert_eq!(seen_by_dapp["status"]["statusCode"], 200);
    assert_eq!(
        seen_by_dapp["status"]["receipts"].as_array().unwrap().len(),
        1
    );
    assert_eq!(seen_by_dapp["unknownBatchCode"], 5730);
    assert_eq!(seen_by_dapp["siweValidAfter"], true);
    assert_eq!(seen_by_dapp["signatureBytes"], 65);

    // On the chain: both transfers happened, paid by the sponsor (the account has no ETH).
    let n = node(&devnet);
    let token: Address = m.dev_token.parse().unwrap();
    for (who, amount) in [(first, 1_000_000u64), (second, 2_500_000u64)] {
        let balance = n.erc20_balance(token, who).await.unwrap();
        assert_eq!(balance, U256::from(amount));
    }
    assert_eq!(n.balance(account).await.unwrap(), U256::ZERO);

    // What the person was shown: connect, a sign-in without warnings, the batch in words, the
    // second sign-in.
    let seen = seen.lock().unwrap().clone();
    let kinds: Vec<_> = seen.iter().map(|p| p.summary.kind).collect();
    assert_eq!(
        kinds,
        [
            RequestKind::Connect,
            RequestKind::SignIn,
            RequestKind::Calls,
            RequestKind::SignIn
        ]
    );
    assert!(seen[1].summary.warnings.is_empty(), "{:?}", seen[1].summary);
    let batch = &seen[2].summary;
    assert_eq!(batch.asset_changes.len(), 2);
    assert!(
        batch.lines.iter().any(|l| l.contains("You send 2.5 HDD")),
        "{:?}",
        batch.lines
    );
    assert!(
        batch
            .payer
            .as_deref()
            .unwrap()
            .starts_with("Gas is paid by")
    );
    let activity = wallet
        .with_vault(|v| Ok(v.activity(Some(account), 10)?))
        .unwrap();
    assert_eq!(activity.len(), 1);
    assert_eq!(activity[0].description, "Calls from dapp.test");
    harness.assert_relayer_covered().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_that_names_its_own_paymaster_service_is_honoured() {
    let devnet = devnet(31337).await;
    let harness = start_relay(&[&devnet], vec![]).await;
    let m = devnet.manifest().clone();
    let dir = tempfile::tempdir().unwrap();
    // The network has a bundler but no sponsor of its own: the account would pay.
    let mut dev = dev_chain(&m.rpc_url, Some(harness.url(31337)));
    dev.paymaster_url = None;
    let wallet = dev_wallet(&dir, &dev);
    wallet.create_wallet("Main").unwrap();
    let engine = DappEngine::new(wallet.clone());
    let account = connect(&engine).await;
    let friend = Address::repeat_byte(0xf2);
    let calls = json!([{"to": friend, "data": "0x"}]);

    let p = pending(
        &engine,
        "wallet_sendCalls",
        json!([{"version": "2.0.0", "chainId": "0x7a69", "atomicRequired": true, "calls": calls}]),
    )
    .await;
    assert_eq!(
        p.summary.payer.as_deref(),
        Some("Your account pays the gas in ETH.")
    );
    // With 0 ETH the account cannot pay: the send fails, and the batch id is free again.
    let e = engine.approve(p.id, None).await.unwrap_err();
    assert_eq!(e.rpc_code(), -32003, "{e}");

    let p = pending(
        &engine,
        "wallet_sendCalls",
        json!([{"version": "2.0.0", "chainId": "0x7a69", "atomicRequired": true, "id": "mine", "calls": calls,
                "capabilities": {"paymasterService": {"url": harness.url(31337)}}}]),
    )
    .await;
    let payer = p.summary.payer.clone().unwrap();
    assert!(
        payer.starts_with("Gas is paid by the site's sponsor (127.0.0.1:"),
        "{payer}"
    );
    assert_eq!(
        engine.approve(p.id, None).await.unwrap(),
        json!({"id": "mine"})
    );
    let status = loop {
        let Answer::Result(status) = ask(&engine, "wallet_getCallsStatus", json!(["mine"]))
            .await
            .unwrap()
        else {
            panic!()
        };
        if status["status"] != 100 {
            break status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(status["status"], 200, "{status}");
    assert_eq!(node(&devnet).balance(account).await.unwrap(), U256::ZERO);
    let e = ask(
        &engine,
        "wallet_sendCalls",
        json!([{"version": "2.0.0", "chainId": "0x7a69", "atomicRequired": true, "id": "mine", "calls": calls}]),
    )
    .await
    .unwrap_err();
    assert_eq!(e.rpc_code(), 5720);
    harness.assert_relayer_covered().await;
}
