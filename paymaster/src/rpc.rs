//! JSON-RPC errors and method dispatch: ERC-7677 paymaster methods, ERC-7769 bundler methods
//! and a few read-only node methods passed through.

use alloy_primitives::{Address, B256};
use harbor_core::aa::{EntryPointVersion, UserOperation, user_operation_hash};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::chain::{ChainRuntime, codes};
use crate::config::{AppConfig, Policy};
use crate::relay::Relay;
use crate::sponsor::{self, Violation};
use crate::store::{LimitReached, Limits, Reservation};

/// A JSON-RPC error answer.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcFailure {
    /// JSON-RPC error code.
    pub code: i64,
    /// A sentence for the caller.
    pub message: String,
    /// Extra data.
    pub data: Option<Value>,
}

/// The API key is missing or unknown.
pub const UNAUTHORIZED: i64 = -32001;
/// A sponsorship policy said no.
pub const POLICY_REJECTED: i64 = -32002;
/// The chain is not served, or not allowed for this app.
pub const UNSUPPORTED_CHAIN: i64 = -32003;

impl RpcFailure {
    /// An error with `code` and `message`.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        RpcFailure {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// Adds `data`.
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// The JSON error object.
    pub fn to_json(&self) -> Value {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(data) = &self.data {
            error["data"] = data.clone();
        }
        error
    }

    fn invalid(message: impl Into<String>) -> Self {
        RpcFailure::new(codes::INVALID_PARAMS, message)
    }

    fn policy(violation: Violation) -> Self {
        RpcFailure::new(
            POLICY_REJECTED,
            format!(
                "sponsorship refused by policy rule {}: {}",
                violation.rule, violation.message
            ),
        )
        .with_data(json!({"rule": violation.rule}))
    }
}

fn param<T: DeserializeOwned>(params: &Value, index: usize, name: &str) -> Result<T, RpcFailure> {
    let value = params
        .get(index)
        .cloned()
        .ok_or_else(|| RpcFailure::invalid(format!("missing parameter {index} ({name})")))?;
    serde_json::from_value(value).map_err(|e| RpcFailure::invalid(format!("invalid {name}: {e}")))
}

fn limit_violation(reached: LimitReached, policy: &Policy) -> Violation {
    let window = policy.reset_interval_seconds;
    match reached {
        LimitReached::SenderOps { limit } => Violation {
            rule: "max_ops_per_sender",
            message: format!(
                "this account already had {limit} sponsored operations in the last {window} s"
            ),
        },
        LimitReached::TotalOps { limit } => Violation {
            rule: "max_ops_total",
            message: format!(
                "the app's limit of {limit} sponsored operations per {window} s is reached"
            ),
        },
        LimitReached::SenderSpend { limit, used } => Violation {
            rule: "max_spend_per_sender_wei",
            message: format!(
                "this account's gas budget of {limit} wei per {window} s would be exceeded ({used} wei used)"
            ),
        },
        LimitReached::TotalSpend { limit, used } => Violation {
            rule: "max_spend_total_wei",
            message: format!(
                "the app's gas budget of {limit} wei per {window} s would be exceeded ({used} wei used)"
            ),
        },
    }
}

fn limits(policy: &Policy) -> Limits {
    Limits {
        ops_per_sender: policy.max_ops_per_sender,
        ops_total: policy.max_ops_total,
        spend_per_sender: policy.max_spend_per_sender_wei.saturating_to(),
        spend_total: policy.max_spend_total_wei.saturating_to(),
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// ERC-7769 methods forwarded to the upstream bundler when one is configured.
const BUNDLER_METHODS: &[&str] = &[
    "eth_estimateUserOperationGas",
    "eth_sendUserOperation",
    "eth_getUserOperationReceipt",
    "eth_getUserOperationByHash",
];

/// Read-only node methods answered by passing them to the node (so one URL serves a client).
const PASS_THROUGH: &[&str] = &[
    "eth_blockNumber",
    "eth_getBlockByNumber",
    "eth_gasPrice",
    "eth_maxPriorityFeePerGas",
    "eth_feeHistory",
    "eth_call",
    "eth_getCode",
    "eth_getBalance",
    "eth_getTransactionReceipt",
];

impl Relay {
    /// Answers one JSON-RPC call on `chain_id` for `app`.
    pub async fn dispatch(
        &self,
        chain_id: u64,
        app: &AppConfig,
        method: &str,
        params: &Value,
    ) -> Result<Value, RpcFailure> {
        let chain = self.chain(chain_id).ok_or_else(|| {
            RpcFailure::new(
                UNSUPPORTED_CHAIN,
                format!("chain {chain_id} is not served by this relay"),
            )
        })?;
        if let Some(upstream) = &chain.upstream
            && BUNDLER_METHODS.contains(&method)
        {
            // Check the parameters here, so callers get the same errors either way.
            match method {
                "eth_estimateUserOperationGas" | "eth_sendUserOperation" => {
                    self.user_operation(chain, params)?;
                }
                _ => {
                    param::<B256>(params, 0, "userOpHash")?;
                }
            }
            return upstream
                .transport()
                .request(method, params)
                .await
                .map_err(upstream_failure);
        }
        match method {
            "pm_getPaymasterStubData" => self.paymaster_data(chain, app, params, true).await,
            "pm_getPaymasterData" => self.paymaster_data(chain, app, params, false).await,
            "eth_chainId" => Ok(json!(format!("{chain_id:#x}"))),
            "eth_supportedEntryPoints" => Ok(json!([chain.config.entry_point])),
            "eth_estimateUserOperationGas" => {
                let (op, _) = self.user_operation(chain, params)?;
                chain.estimate(&op).await
            }
            "eth_sendUserOperation" => self.send(chain, app, params).await,
            "eth_getUserOperationReceipt" => self.receipt(chain, params).await,
            "eth_getUserOperationByHash" => self.by_hash(chain, params).await,
            m if PASS_THROUGH.contains(&m) => chain
                .node
                .raw(m, params.clone())
                .await
                .map_err(upstream_failure),
            other => Err(RpcFailure::new(
                -32601,
                format!("method {other} is not supported by the Harbor relay"),
            )),
        }
    }

    fn user_operation(
        &self,
        chain: &ChainRuntime,
        params: &Value,
    ) -> Result<(UserOperation, Address), RpcFailure> {
        let op: UserOperation = param(params, 0, "UserOperation")?;
        let entry_point: Address = param(params, 1, "entryPoint")?;
        if entry_point != chain.config.entry_point {
            return Err(RpcFailure::invalid(format!(
                "EntryPoint {entry_point} is not supported; use {}",
                chain.config.entry_point
            )));
        }
        op.check_limits()
            .map_err(|e| RpcFailure::invalid(e.to_string()))?;
        Ok((op, entry_point))
    }

    fn policy<'a>(&self, app: &'a AppConfig, chain_id: u64) -> Result<&'a Policy, RpcFailure> {
        app.policies
            .iter()
            .find(|p| p.chain_id == chain_id)
            .ok_or_else(|| {
                RpcFailure::new(
                    UNSUPPORTED_CHAIN,
                    format!("app {:?} is not sponsored on chain {chain_id}", app.name),
                )
            })
    }

    async fn paymaster_data(
        &self,
        chain: &ChainRuntime,
        app: &AppConfig,
        params: &Value,
        stub: bool,
    ) -> Result<Value, RpcFailure> {
        let (mut op, _) = self.user_operation(chain, params)?;
        let requested: String = param(params, 2, "chainId")?;
        let requested =
            u64::from_str_radix(requested.trim_start_matches("0x"), 16).map_err(|_| {
                RpcFailure::invalid(format!("chainId {requested:?} is not a hex number"))
            })?;
        if requested != chain.chain_id() {
            return Err(RpcFailure::new(
                UNSUPPORTED_CHAIN,
                format!(
                    "this endpoint serves chain {}, but the request is for chain {requested}",
                    chain.chain_id()
                ),
            ));
        }
        let policy = self.policy(app, chain.chain_id())?;
        let chain_label = chain.chain_id().to_string();
        sponsor::attach_paymaster(&mut op, chain.config.paymaster);
        let op = op;
        let reject = |violation: Violation| {
            self.metrics.inc(
                "harbor_paymaster_rejections_total",
                &[
                    ("app", &app.name),
                    ("chain", &chain_label),
                    ("rule", violation.rule),
                ],
            );
            tracing::info!(app = %app.name, chain = chain.chain_id(), sender = %op.sender, rule = violation.rule, "sponsorship refused");
            RpcFailure::policy(violation)
        };
        sponsor::check_operation(policy, &op).map_err(&reject)?;
        let window = now() / policy.reset_interval_seconds * policy.reset_interval_seconds;
        let valid_until = chain.chain_time().await?.max(now()) + policy.validity_seconds;
        let reservation = Reservation {
            app: app.name.clone(),
            chain_id: chain.chain_id(),
            sender: op.sender.to_string(),
            nonce: format!("{:#x}", op.nonce),
            window_start: window,
            max_cost: op.max_gas_cost().saturating_to::<u128>().max(1),
            valid_until,
        };
        let store_error =
            |e: crate::store::StoreError| RpcFailure::new(codes::INTERNAL, e.to_string());
        if stub {
            if let Some(reached) = self
                .store
                .check(&reservation, &limits(policy))
                .map_err(store_error)?
            {
                return Err(reject(limit_violation(reached, policy)));
            }
            return Ok(json!({
                "sponsor": {"name": self.config.sponsor_name},
                "paymaster": chain.config.paymaster,
                "paymasterData": sponsor::stub_data(valid_until, 0),
                "paymasterVerificationGasLimit": op.paymaster_verification_gas_limit,
                "paymasterPostOpGasLimit": op.paymaster_post_op_gas_limit,
                "isFinal": false,
            }));
        }
        if op.call_gas_limit.is_zero() || op.verification_gas_limit.is_zero() {
            return Err(RpcFailure::invalid(
                "gas limits must be estimated before pm_getPaymasterData (call pm_getPaymasterStubData, then estimate)",
            ));
        }
        if let Err(reached) = self
            .store
            .reserve(&reservation, &limits(policy))
            .map_err(store_error)?
        {
            return Err(reject(limit_violation(reached, policy)));
        }
        let data = sponsor::sign_data(
            &self.signer,
            &op,
            chain.chain_id(),
            chain.config.paymaster,
            valid_until,
            0,
        )
        .map_err(|e| RpcFailure::new(codes::INTERNAL, e.to_string()))?;
        self.metrics.inc(
            "harbor_paymaster_sponsorships_total",
            &[("app", &app.name), ("chain", &chain_label)],
        );
        tracing::info!(app = %app.name, chain = chain.chain_id(), sender = %op.sender, nonce = %op.nonce, max_cost = %reservation.max_cost, valid_until, "sponsored");
        Ok(json!({"paymaster": chain.config.paymaster, "paymasterData": data}))
    }

    async fn send(
        &self,
        chain: &ChainRuntime,
        app: &AppConfig,
        params: &Value,
    ) -> Result<Value, RpcFailure> {
        let (op, entry_point) = self.user_operation(chain, params)?;
        if op.paymaster != Some(chain.config.paymaster) {
            return Err(RpcFailure::new(
                POLICY_REJECTED,
                format!(
                    "this relay only submits operations sponsored by its paymaster {}",
                    chain.config.paymaster
                ),
            ));
        }
        match sponsor::recover_sponsor(&op, chain.chain_id()) {
            Some((signer, _, _)) if signer == self.signer_address() => {}
            _ => {
                return Err(RpcFailure::new(
                    codes::PAYMASTER,
                    "the paymaster signature is not valid for this operation on this chain (AA34)",
                ));
            }
        }
        let hash = user_operation_hash(&op, EntryPointVersion::V07, entry_point, chain.chain_id());
        if let Ok(Some(existing)) = self.store.relayed(&hash.to_string()) {
            tracing::debug!(user_op = %existing.hash, "already submitted");
            return Ok(json!(hash));
        }
        chain.simulate(&op, self.relayer_address()).await?;
        let tx_hash = chain.submit(&op, hash, &self.relayer, &self.store).await?;
        self.metrics.inc(
            "harbor_paymaster_relayed_total",
            &[("app", &app.name), ("chain", &chain.chain_id().to_string())],
        );
        tracing::info!(app = %app.name, chain = chain.chain_id(), user_op = %hash, %tx_hash, "submitted");
        Ok(json!(hash))
    }

    async fn receipt(&self, chain: &ChainRuntime, params: &Value) -> Result<Value, RpcFailure> {
        let hash: B256 = param(params, 0, "userOpHash")?;
        let Some(mut relayed) = self
            .store
            .relayed(&hash.to_string())
            .map_err(|e| RpcFailure::new(codes::INTERNAL, e.to_string()))?
        else {
            return Ok(Value::Null);
        };
        if let Some(receipt) = &relayed.receipt_json {
            return Ok(serde_json::from_str(receipt).unwrap_or(Value::Null));
        }
        let tx_hash: B256 = relayed
            .tx_hash
            .parse()
            .map_err(|_| RpcFailure::new(codes::INTERNAL, "corrupt transaction hash"))?;
        let receipt = chain.receipt_from_chain(hash, tx_hash).await?;
        if let Some(receipt) = &receipt {
            relayed.receipt_json = Some(receipt.to_string());
            let _ = self.store.record_relayed(&relayed);
        }
        Ok(receipt.unwrap_or(Value::Null))
    }

    async fn by_hash(&self, chain: &ChainRuntime, params: &Value) -> Result<Value, RpcFailure> {
        let hash: B256 = param(params, 0, "userOpHash")?;
        let Some(relayed) = self
            .store
            .relayed(&hash.to_string())
            .map_err(|e| RpcFailure::new(codes::INTERNAL, e.to_string()))?
        else {
            return Ok(Value::Null);
        };
        let op: Value = serde_json::from_str(&relayed.op_json).unwrap_or(Value::Null);
        let receipt: Value = relayed
            .receipt_json
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok())
            .unwrap_or(Value::Null);
        Ok(json!({
            "userOperation": op,
            "entryPoint": chain.config.entry_point,
            "transactionHash": relayed.tx_hash,
            "blockNumber": receipt["receipt"]["blockNumber"],
            "blockHash": receipt["receipt"]["blockHash"],
        }))
    }
}

fn upstream_failure(error: harbor_core::rpc::RpcError) -> RpcFailure {
    match error {
        harbor_core::rpc::RpcError::Server {
            code,
            message,
            data,
        } => RpcFailure {
            code,
            message,
            data,
        },
        other => RpcFailure::new(codes::INTERNAL, format!("upstream failed: {other}")),
    }
}
