#![no_main]
//! Any request a site might send (`{"method": …, "params": …}` or a method and params on two
//! lines): parsing never panics, every refusal has an EIP-1193 / JSON-RPC code and a sentence,
//! and a message read as Sign-In with Ethereum never panics either.

use harbor_core::dapp::{DappRequest, parse_siwe};
use libfuzzer_sys::fuzz_target;

const CODES: &[i64] = &[-32602, 4200, 5700, 5740];

fuzz_target!(|text: &str| {
    let (method, params) = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(request) => (
            request
                .get("method")
                .and_then(|m| m.as_str())
                .unwrap_or("wallet_sendCalls")
                .to_owned(),
            request.get("params").cloned().unwrap_or_default(),
        ),
        Err(_) => {
            let (method, params) = text.split_once('\n').unwrap_or((text, "null"));
            (
                method.to_owned(),
                serde_json::from_str(params).unwrap_or_default(),
            )
        }
    };
    if let Err(e) = DappRequest::parse(&method, &params) {
        assert!(CODES.contains(&e.rpc_code()), "{method}: {e:?}");
        assert!(!e.to_string().is_empty());
    }
    let _ = parse_siwe(text);
});
