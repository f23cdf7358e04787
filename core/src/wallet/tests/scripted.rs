//! A node, bundler and paymaster service in one process, answering from a script.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolValue;
use serde_json::{Value, json};

use super::PHRASE;
use crate::chains::{Chain, NativeCurrency};
use crate::rpc::{RpcBackend, RpcError, RpcFuture, RpcTransport};

pub(super) const PAYMASTER: Address = Address::repeat_byte(0x9a);

/// A node, bundler and paymaster service in one, whose answers are set per method; every call
/// is logged and every operation the bundler accepts is kept.
#[derive(Default)]
pub(super) struct Node {
    pub(super) balance: U256,
    pub(super) token_balance: U256,
    pub(super) deployed: bool,
    pub(super) down: bool,
    /// The bundler refuses operations with this JSON-RPC error.
    pub(super) bundler_refuses: Option<(i64, &'static str)>,
    pub(super) calls: Mutex<Vec<String>>,
    pub(super) sent: Mutex<Vec<crate::aa::UserOperation>>,
}

impl Node {
    /// What the bundler does with an operation: checks it is signed by its sender's owner key
    /// over the hash the EntryPoint v0.7 computes, keeps it and answers that hash.
    fn accept(&self, params: &Value) -> Result<Value, RpcError> {
        if let Some((code, message)) = self.bundler_refuses {
            return Err(RpcError::Server {
                code,
                message: message.into(),
                data: None,
            });
        }
        let op: crate::aa::UserOperation =
            serde_json::from_value(params[0].clone()).map_err(|e| RpcError::Server {
                code: crate::codes::INVALID_PARAMS,
                message: e.to_string(),
                data: None,
            })?;
        let hash = crate::aa::user_operation_hash(
            &op,
            crate::aa::EntryPointVersion::V07,
            crate::aa::ENTRY_POINT_V07,
            900,
        );
        let signature = crate::evm::parse_signature(&op.signature).expect("65 bytes");
        let signer = crate::evm::recover_address(&hash, &signature).expect("recoverable");
        let seed = crate::keys::Mnemonic::parse(PHRASE)
            .expect("phrase")
            .to_seed("");
        let owner = crate::keys::HdRoot::from_seed(&seed)
            .expect("root")
            .derive_signer(&crate::keys::DerivationPath::ethereum(0))
            .expect("key");
        assert_eq!(
            signer,
            crate::keys::Signer::address(&owner),
            "signed by the owner key"
        );
        self.sent.lock().expect("sent").push(op);
        Ok(json!(hash))
    }

    fn receipt(&self, params: &Value) -> Value {
        let sent = self.sent.lock().expect("sent");
        let Some(op) = sent.last() else {
            return Value::Null;
        };
        json!({
            "userOpHash": params[0],
            "entryPoint": crate::aa::ENTRY_POINT_V07,
            "sender": op.sender,
            "nonce": "0x0",
            "paymaster": PAYMASTER,
            "actualGasCost": "0x5af3107a4000",
            "actualGasUsed": "0x186a0",
            "success": true,
            "receipt": {"transactionHash": format!("0x{}", "ab".repeat(32)), "blockNumber": "0x7"},
        })
    }
}

impl RpcBackend for Node {
    fn call<'a>(&'a self, method: &'a str, params: &'a Value) -> RpcFuture<'a> {
        self.calls.lock().expect("log").push(method.to_owned());
        let answer = if self.down {
            Err(RpcError::Unreachable {
                host: "node".into(),
                message: "connection refused".into(),
            })
        } else {
            match method {
                "eth_getBalance" => Ok(json!(format!("{:#x}", self.balance))),
                "eth_getCode" => Ok(json!(if self.deployed { "0x6001" } else { "0x" })),
                "eth_call" => {
                    let data = params[0]["data"].as_str().or(params[0]["input"].as_str());
                    let selector = data.unwrap_or_default().get(..10).unwrap_or_default();
                    let out = match selector {
                        "0x313ce567" => U256::from(6).abi_encode(),
                        "0x95d89b41" => "HDD".to_owned().abi_encode(),
                        "0x70a08231" => self.token_balance.abi_encode(),
                        // EntryPoint.getNonce and anything else: zero.
                        _ => U256::ZERO.abi_encode(),
                    };
                    Ok(json!(alloy_primitives::hex::encode_prefixed(out)))
                }
                "eth_feeHistory" => Ok(json!({
                    "baseFeePerGas": ["0x3b9aca00"],
                    "reward": [["0x3b9aca00"]],
                })),
                "pm_getPaymasterStubData" => Ok(json!({
                    "paymaster": PAYMASTER,
                    "paymasterData": "0x",
                    "paymasterVerificationGasLimit": "0x10000",
                    "paymasterPostOpGasLimit": "0x0",
                    "sponsor": {"name": "Test sponsor"},
                })),
                "eth_estimateUserOperationGas" => Ok(json!({
                    "preVerificationGas": "0x10000",
                    "verificationGasLimit": "0x60000",
                    "callGasLimit": "0x10000",
                })),
                "pm_getPaymasterData" => Ok(json!({
                    "paymaster": PAYMASTER,
                    "paymasterData": "0x1234",
                })),
                "eth_sendUserOperation" => self.accept(params),
                "eth_getUserOperationReceipt" => Ok(self.receipt(params)),
                _ => Err(RpcError::Server {
                    code: crate::codes::METHOD_NOT_FOUND,
                    message: format!("{method} is not scripted"),
                    data: None,
                }),
            }
        };
        Box::pin(async move { answer })
    }
}

/// Reaches the scripted node of each URL (its bundler and paymaster at `/bundler`,
/// `/paymaster`).
pub(super) struct Script(pub(super) HashMap<String, Arc<Node>>);

impl crate::rpc::Connector for Script {
    fn connect(&self, url: &str) -> Result<RpcTransport, RpcError> {
        let base = url.split("/bundler").next().unwrap_or(url);
        let base = base.split("/paymaster").next().unwrap_or(base);
        let node = self.0.get(base).cloned().unwrap_or_default();
        Ok(RpcTransport::with_backend(url, node))
    }

    fn http(&self) -> Arc<dyn crate::rpc::HttpClient> {
        Arc::new(crate::rpc::ReqwestClient::new())
    }
}

pub(super) fn chain(chain_id: u64, url: &str) -> Chain {
    Chain {
        chain_id,
        name: format!("Test {chain_id}"),
        native_currency: NativeCurrency {
            name: "Ether".into(),
            symbol: "ETH".into(),
            decimals: 18,
        },
        rpc_urls: vec![url.into()],
        explorer_url: None,
        bundler_url: Some(format!("{url}/bundler")),
        paymaster_url: Some(format!("{url}/paymaster")),
        testnet: true,
        sponsor: None,
    }
}
