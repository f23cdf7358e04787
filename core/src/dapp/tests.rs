//! Request parsing: every method's shape, and the code each malformed request gets.

use alloy_primitives::{Address, Bytes, U256};
use serde_json::{Value, json};

use super::*;
use crate::codes;

const ME: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

fn code(method: &str, params: Value) -> i64 {
    DappRequest::parse(method, &params).unwrap_err().rpc_code()
}

#[test]
fn refused_methods_say_why() {
    let e = DappRequest::parse("eth_sign", &json!([ME, "0x".to_owned() + &"11".repeat(32)]))
        .unwrap_err();
    assert!(matches!(e, DappError::EthSignRefused));
    assert_eq!(e.rpc_code(), codes::UNSUPPORTED_METHOD);
    let e = DappRequest::parse("eth_signTransaction", &json!([{"to": ME}])).unwrap_err();
    assert_eq!(e.rpc_code(), 4200);
    assert!(e.to_string().contains("smart account"));
    assert_eq!(code("wallet_drainEverything", json!([])), 4200);
    assert_eq!(code("eth_sendRawTransaction", json!(["0x00"])), 4200);
    assert_eq!(code("debug_traceCall", json!([])), 4200);
}

#[test]
fn personal_sign_reads_hex_and_text() {
    let r = DappRequest::parse("personal_sign", &json!(["0x68656c6c6f", ME])).unwrap();
    assert_eq!(
        r,
        DappRequest::PersonalSign {
            message: Bytes::from_static(b"hello"),
            address: ME.parse().unwrap()
        }
    );
    let DappRequest::PersonalSign { message, .. } =
        DappRequest::parse("personal_sign", &json!(["hi there", ME])).unwrap()
    else {
        panic!("not a personal_sign");
    };
    assert_eq!(&message[..], b"hi there");
    assert_eq!(
        personal_message_bytes("0xabc"),
        Bytes::from(vec![0x0a, 0xbc])
    );
}

#[test]
fn send_calls_follows_eip_5792() {
    let r = DappRequest::parse(
        "wallet_sendCalls",
        &json!([{
            "version": "2.0.0", "chainId": "0x7a69", "from": ME, "atomicRequired": true, "id": "batch-1",
            "calls": [{"to": ME, "value": "0x10"}, {"to": ME, "data": "0xabcdef"}],
            "capabilities": {"paymasterService": {"url": "https://pm.example/rpc", "context": {"policy": 1}}}
        }]),
    )
    .unwrap();
    let DappRequest::SendCalls(batch) = r else {
        panic!("not sendCalls")
    };
    assert_eq!(batch.chain_id, 31337);
    assert_eq!(batch.id.as_deref(), Some("batch-1"));
    assert!(batch.atomic_required);
    assert_eq!(batch.calls[0].value, U256::from(16));
    assert_eq!(&batch.calls[1].data[..], &[0xab, 0xcd, 0xef]);
    assert_eq!(
        batch.paymaster_service,
        Some(PaymasterService {
            url: "https://pm.example/rpc".into(),
            context: json!({"policy": 1})
        })
    );
    // An unknown capability: refused unless optional.
    let base = |caps: Value| json!([{"version": "2.0.0", "chainId": "0x1", "atomicRequired": false, "calls": [{"to": ME}], "capabilities": caps}]);
    assert_eq!(
        code("wallet_sendCalls", base(json!({"auxiliaryFunds": {}}))),
        5700
    );
    assert!(
        DappRequest::parse(
            "wallet_sendCalls",
            &base(json!({"auxiliaryFunds": {"optional": true}}))
        )
        .is_ok()
    );
    let many: Vec<Value> = (0..=MAX_BATCH_CALLS).map(|_| json!({"to": ME})).collect();
    assert_eq!(
        code(
            "wallet_sendCalls",
            json!([{"version": "2.0.0", "chainId": "0x1", "atomicRequired": true, "calls": many}])
        ),
        5740
    );
    for bad in [
        json!([{"chainId": "0x1", "atomicRequired": true, "calls": [{"to": ME}]}]),
        json!([{"version": "2.0.0", "chainId": "0x1", "atomicRequired": true, "calls": []}]),
        json!([{"version": "2.0.0", "chainId": "1", "atomicRequired": true, "calls": [{"to": ME}]}]),
        json!([{"version": "2.0.0", "chainId": "0x1", "calls": [{"to": ME}]}]),
        json!([{"version": "2.0.0", "chainId": "0x1", "atomicRequired": true, "calls": [{"data": "0x00"}]}]),
        json!([{"version": "2.0.0", "chainId": "0x1", "atomicRequired": true, "calls": [{"to": ME, "value": "ten"}]}]),
        json!([{"version": "2.0.0", "chainId": "0x1", "atomicRequired": true, "calls": [{"to": ME, "data": "0xzz"}]}]),
        json!("not an array"),
    ] {
        assert_eq!(
            code("wallet_sendCalls", bad.clone()),
            codes::INVALID_PARAMS,
            "{bad}"
        );
    }
}

#[test]
fn chains_permissions_assets_and_reads() {
    assert_eq!(
        DappRequest::parse("wallet_switchEthereumChain", &json!([{"chainId": "0xa"}])).unwrap(),
        DappRequest::SwitchChain(10)
    );
    assert_eq!(
        code("wallet_switchEthereumChain", json!([{"chainId": "ten"}])),
        codes::INVALID_PARAMS
    );
    let add = DappRequest::parse(
        "wallet_addEthereumChain",
        &json!([{"chainId": "0x2105", "chainName": "Base", "rpcUrls": ["https://mainnet.base.org"],
                 "nativeCurrency": {"name": "Ether", "symbol": "ETH", "decimals": 18}}]),
    )
    .unwrap();
    assert!(
        matches!(add, DappRequest::AddChain(ref a) if a.chain_id == 8453 && a.rpc_urls.len() == 1)
    );
    assert_eq!(
        code(
            "wallet_addEthereumChain",
            json!([{"chainId": "0x2105", "chainName": "Base", "rpcUrls": [],
            "nativeCurrency": {"name": "Ether", "symbol": "ETH", "decimals": 18}}])
        ),
        codes::INVALID_PARAMS
    );
    assert_eq!(
        DappRequest::parse("wallet_requestPermissions", &json!([{"eth_accounts": {}}])).unwrap(),
        DappRequest::RequestPermissions
    );
    assert_eq!(
        code("wallet_requestPermissions", json!([{"snap_dialog": {}}])),
        codes::INVALID_PARAMS
    );
    let watch = DappRequest::parse(
        "wallet_watchAsset",
        &json!({"type": "ERC20", "options": {"address": ME, "symbol": "HDD", "decimals": 6}}),
    )
    .unwrap();
    assert!(matches!(watch, DappRequest::WatchAsset(ref w) if w.decimals == Some(6)));
    assert_eq!(
        code(
            "wallet_watchAsset",
            json!({"type": "ERC721", "options": {"address": ME}})
        ),
        codes::INVALID_PARAMS
    );
    assert_eq!(
        DappRequest::parse("eth_getBalance", &json!([ME, "latest"])).unwrap(),
        DappRequest::Read {
            method: "eth_getBalance".into(),
            params: json!([ME, "latest"])
        }
    );
    assert!(matches!(
        DappRequest::parse("wallet_getCapabilities", &json!([ME, ["0x1", "0x7a69"]])).unwrap(),
        DappRequest::GetCapabilities { chain_ids: Some(ref ids), .. } if ids == &vec![1, 31337]
    ));
    assert_eq!(
        code("wallet_getCallsStatus", json!([])),
        codes::INVALID_PARAMS
    );
    assert_eq!(
        code("eth_sendTransaction", json!([{"from": ME}])),
        codes::INVALID_PARAMS
    );
    let tx = DappRequest::parse(
        "eth_sendTransaction",
        &json!([{"from": ME, "to": ME, "value": "0x1", "input": "0x1234", "gas": "0x5208"}]),
    )
    .unwrap();
    assert!(
        matches!(tx, DappRequest::SendTransaction { ref call, .. } if call.data.len() == 2 && call.value == U256::from(1))
    );
}

#[test]
fn malformed_params_never_panic() {
    let methods = [
        "eth_requestAccounts",
        "eth_accounts",
        "eth_chainId",
        "net_version",
        "wallet_switchEthereumChain",
        "wallet_addEthereumChain",
        "wallet_getPermissions",
        "wallet_requestPermissions",
        "wallet_revokePermissions",
        "wallet_watchAsset",
        "personal_sign",
        "eth_signTypedData_v4",
        "eth_sendTransaction",
        "wallet_sendCalls",
        "wallet_getCallsStatus",
        "wallet_showCallsStatus",
        "wallet_getCapabilities",
        "eth_call",
    ];
    let shapes = [
        json!(null),
        json!(1),
        json!("x"),
        json!({}),
        json!([]),
        json!([null]),
        json!([1, 2, 3]),
        json!([{}]),
        json!([{"chainId": {}}]),
        json!([[]]),
        json!([ME]),
        json!([ME, {}]),
        json!([{"version": 2, "calls": "no"}]),
        json!([{"to": 5}]),
    ];
    for method in methods {
        for shape in &shapes {
            if let Err(e) = DappRequest::parse(method, shape) {
                let code = e.rpc_code();
                assert!(
                    [codes::INVALID_PARAMS, 4200, 5700, 5740].contains(&code),
                    "{method} {shape}: {code}"
                );
                assert!(!e.to_string().is_empty());
            }
        }
    }
    let _ = Address::ZERO;
}
