//! JSON-RPC method dispatch: ERC-7677 paymaster methods, ERC-7769 bundler methods and a few
//! read-only node methods passed through, for apps with a policy on the chain.

use alloy_primitives::{Address, B256};
use harbor_core::aa::{EntryPointVersion, UserOperation, user_operation_hash};
use harbor_core::codes;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::chain::{BundleFees, ChainRuntime};
use crate::config::{AppConfig, Policy};
use crate::error::RpcFailure;
use crate::pricing;
use crate::relay::Relay;
use crate::sponsor::{self, Violation};
use crate::store::{LimitReached, Limits, RelayedOp, Reservation};

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
        LimitReached::OpenPerSender { limit } => Violation {
            rule: "max_open_per_sender",
            message: format!(
                "this account already has {limit} sponsorships it has not used yet; use or let them expire"
            ),
        },
        LimitReached::OpenPerClient { limit } => Violation {
            rule: "max_open_per_client",
            message: format!(
                "{limit} sponsorships asked from this address are not used yet; use or let them expire"
            ),
        },
    }
}

fn limits(policy: &Policy, open_per_client: u64) -> Limits {
    Limits {
        ops_per_sender: policy.max_ops_per_sender,
        ops_total: policy.max_ops_total,
        spend_per_sender: policy.max_spend_per_sender_wei.saturating_to(),
        spend_total: policy.max_spend_total_wei.saturating_to(),
        open_per_sender: policy.max_open_per_sender,
        open_per_client,
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
pub const PASS_THROUGH: &[&str] = &[
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

/// Every method the relay answers (the others get "method not found").
pub const METHODS: &[&str] = &[
    "pm_getPaymasterStubData",
    "pm_getPaymasterData",
    "eth_chainId",
    "eth_supportedEntryPoints",
    "eth_estimateUserOperationGas",
    "eth_sendUserOperation",
    "eth_getUserOperationReceipt",
    "eth_getUserOperationByHash",
];

/// Who is asking: the app (by API key) and the client's network address.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    /// The app.
    pub app: &'a AppConfig,
    /// The client's address (empty when unknown).
    pub client: &'a str,
}

impl Relay {
    /// Answers one JSON-RPC call on `chain_id` for `caller`.
    pub async fn dispatch(
        &self,
        chain_id: u64,
        caller: Caller<'_>,
        method: &str,
        params: &Value,
    ) -> Result<Value, RpcFailure> {
        let chain = self.chain(chain_id).ok_or_else(|| {
            RpcFailure::new(
                codes::UNSUPPORTED_CHAIN,
                format!("chain {chain_id} is not served by this relay"),
            )
        })?;
        // An app without a policy on this chain gets no service there at all.
        let policy = self.policy(caller.app, chain_id)?;
        if let Some(upstream) = &chain.upstream
            && BUNDLER_METHODS.contains(&method)
        {
            // Check the parameters here, so callers get the same errors either way.
            match method {
                "eth_estimateUserOperationGas" => {
                    self.user_operation(chain, params)?;
                }
                "eth_sendUserOperation" => {
                    let (op, _) = self.user_operation(chain, params)?;
                    // Not an open proxy: only what this relay sponsored, unless the operator
                    // chose otherwise.
                    if !chain.config.forward_unsponsored {
                        self.check_sponsored_here(chain, &op)?;
                    }
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
            "pm_getPaymasterStubData" => {
                self.paymaster_data(chain, caller, policy, params, true)
                    .await
            }
            "pm_getPaymasterData" => {
                self.paymaster_data(chain, caller, policy, params, false)
                    .await
            }
            "eth_chainId" => Ok(json!(format!("{chain_id:#x}"))),
            "eth_supportedEntryPoints" => Ok(json!([chain.config.entry_point])),
            "eth_estimateUserOperationGas" => {
                let (op, _) = self.user_operation(chain, params)?;
                chain.estimate(&op).await
            }
            "eth_sendUserOperation" => self.send(chain, caller, policy, params).await,
            "eth_getUserOperationReceipt" => self.receipt(chain, params).await,
            "eth_getUserOperationByHash" => self.by_hash(chain, params).await,
            m if PASS_THROUGH.contains(&m) => chain
                .node
                .raw(m, params.clone())
                .await
                .map_err(upstream_failure),
            other => Err(RpcFailure::new(
                codes::METHOD_NOT_FOUND,
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
                    codes::UNSUPPORTED_CHAIN,
                    format!("app {:?} is not served on chain {chain_id}", app.name),
                )
            })
    }

    /// Refuses an operation this relay's paymaster did not sponsor (or whose sponsorship is not
    /// valid for it on this chain).
    fn check_sponsored_here(
        &self,
        chain: &ChainRuntime,
        op: &UserOperation,
    ) -> Result<(), RpcFailure> {
        if op.paymaster != Some(chain.config.paymaster) {
            return Err(RpcFailure::new(
                codes::POLICY_REJECTED,
                format!(
                    "this relay only submits operations sponsored by its paymaster {}",
                    chain.config.paymaster
                ),
            ));
        }
        match sponsor::recover_sponsor(op, chain.chain_id()) {
            Some((signer, _, _)) if signer == self.signer_address() => Ok(()),
            _ => Err(RpcFailure::new(
                codes::PAYMASTER_REJECTED,
                "the paymaster signature is not valid for this operation on this chain (AA34)",
            )),
        }
    }

    /// Refuses operations of banned senders, factories and paymasters.
    fn check_reputation(&self, chain: &ChainRuntime, op: &UserOperation) -> Result<(), RpcFailure> {
        // Another paymaster is judged by its record here; this relay's own is not.
        let paymaster = op.paymaster.filter(|p| *p != chain.config.paymaster);
        for entity in [Some(op.sender), op.factory, paymaster]
            .into_iter()
            .flatten()
        {
            let seen = self
                .store
                .reputation(chain.chain_id(), &entity.to_string())
                .map_err(|e| RpcFailure::internal(e.to_string()))?;
            if seen.banned() {
                return Err(RpcFailure::new(
                    codes::THROTTLED_OR_BANNED,
                    format!(
                        "{entity} is banned for today: {} of its operations failed on chain",
                        seen.failed
                    ),
                ));
            }
        }
        Ok(())
    }

    async fn paymaster_data(
        &self,
        chain: &ChainRuntime,
        caller: Caller<'_>,
        policy: &Policy,
        params: &Value,
        stub: bool,
    ) -> Result<Value, RpcFailure> {
        let app = caller.app;
        let (mut op, entry_point) = self.user_operation(chain, params)?;
        let requested: String = param(params, 2, "chainId")?;
        let requested =
            u64::from_str_radix(requested.trim_start_matches("0x"), 16).map_err(|_| {
                RpcFailure::invalid(format!("chainId {requested:?} is not a hex number"))
            })?;
        if requested != chain.chain_id() {
            return Err(RpcFailure::new(
                codes::UNSUPPORTED_CHAIN,
                format!(
                    "this endpoint serves chain {}, but the request is for chain {requested}",
                    chain.chain_id()
                ),
            ));
        }
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
        pricing::check_pre_verification_gas(&op).map_err(&reject)?;
        let network = chain.network_fees().await?;
        pricing::check_fees(&op, network, chain.config.fee_margin_percent).map_err(&reject)?;
        self.check_reputation(chain, &op)?;
        // Only accounts whose calls the policy can read, with their current nonce.
        chain
            .accounts
            .check(&chain.config, &chain.node, &op)
            .await?
            .map_err(&reject)?;
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
            client: caller.client.to_owned(),
        };
        let limits = limits(policy, self.config.max_open_per_client);
        if stub {
            let store = std::sync::Arc::clone(&self.store);
            let checked = reservation.clone();
            if let Some(reached) =
                tokio::task::spawn_blocking(move || store.check(&checked, &limits))
                    .await
                    .map_err(|e| RpcFailure::internal(e.to_string()))?
                    .map_err(|e| RpcFailure::internal(e.to_string()))?
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
        if op.call_gas_limit.is_zero()
            || op.verification_gas_limit.is_zero()
            || op.pre_verification_gas.is_zero()
            || op.max_fee_per_gas.is_zero()
        {
            return Err(RpcFailure::invalid(
                "gas limits and fees must be filled in before pm_getPaymasterData (call pm_getPaymasterStubData, then estimate)",
            ));
        }
        let estimate = chain.gas_estimate(&op).await?;
        pricing::check_gas_limits(&op, &estimate).map_err(&reject)?;
        if let Some(hook) = self.approvals.get(&(app.name.clone(), chain.chain_id())) {
            let question = crate::approval::Question {
                app: &app.name,
                chain_id: chain.chain_id(),
                entry_point,
                user_operation: &params[0],
                max_cost_wei: reservation.max_cost,
                valid_until,
            };
            let verdict = hook.ask(&self.http, &question).await;
            let answer = if verdict == crate::approval::Verdict::Sponsor {
                "yes"
            } else {
                "no"
            };
            self.metrics.inc(
                "harbor_paymaster_approvals_total",
                &[
                    ("app", &app.name),
                    ("chain", &chain_label),
                    ("answer", answer),
                ],
            );
            if let crate::approval::Verdict::Decline(message) = verdict {
                return Err(reject(Violation {
                    rule: "approval_webhook",
                    message,
                }));
            }
        }
        if let Err(reached) = self
            .store
            .reserve_grouped(reservation.clone(), limits)
            .await
            .map_err(|e| RpcFailure::internal(e.to_string()))?
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
        .map_err(|e| RpcFailure::internal(e.to_string()))?;
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
        caller: Caller<'_>,
        policy: &Policy,
        params: &Value,
    ) -> Result<Value, RpcFailure> {
        let (op, entry_point) = self.user_operation(chain, params)?;
        // Operations with this relay's paymaster carry its signature; others (paid by the
        // account or another paymaster) only where the app's policy allows bundling them.
        if op.paymaster == Some(chain.config.paymaster) || !policy.bundle_unsponsored {
            self.check_sponsored_here(chain, &op)?;
        }
        let hash = user_operation_hash(&op, EntryPointVersion::V07, entry_point, chain.chain_id());
        if let Ok(Some(existing)) = self.store.relayed(&hash.to_string()) {
            tracing::debug!(user_op = %existing.hash, "already submitted");
            return Ok(json!(hash));
        }
        self.check_reputation(chain, &op)?;
        // The refund must cover the bundle: enough preVerificationGas, a fee that can be included.
        let required = pricing::required_pre_verification_gas(&op);
        if op.pre_verification_gas < alloy_primitives::U256::from(required) {
            return Err(RpcFailure::invalid(format!(
                "preVerificationGas {} does not cover the bundle's calldata and overhead ({required} needed)",
                op.pre_verification_gas
            )));
        }
        let network = chain.network_fees().await?;
        let fees = BundleFees::for_op(&op, network);
        if fees.max_fee < network.base_fee {
            return Err(RpcFailure::invalid(format!(
                "maxFeePerGas {} is below the chain's base fee ({}): the operation cannot be included now",
                op.max_fee_per_gas, network.base_fee
            )));
        }
        // One operation per sender and nonce in flight; a replacement must pay 10 % more.
        let replacing = self
            .store
            .pending_for_nonce(
                chain.chain_id(),
                &op.sender.to_string(),
                &format!("{:#x}", op.nonce),
            )
            .map_err(|e| RpcFailure::internal(e.to_string()))?;
        let fees = match &replacing {
            None => fees,
            Some(old) => {
                let old_op: UserOperation = serde_json::from_str(&old.op_json)
                    .map_err(|e| RpcFailure::internal(e.to_string()))?;
                let op_fees = |o: &UserOperation| BundleFees {
                    max_fee: o.max_fee_per_gas.saturating_to(),
                    tip: o.max_priority_fee_per_gas.saturating_to(),
                };
                let old_tx = BundleFees {
                    max_fee: old.max_fee,
                    tip: old.priority_fee,
                };
                let bumped = BundleFees {
                    max_fee: fees.max_fee.max(old_tx.max_fee + old_tx.max_fee / 8 + 1),
                    tip: fees.tip.max(old_tx.tip + old_tx.tip / 8 + 1),
                };
                let affordable =
                    bumped.max_fee <= op_fees(&op).max_fee && bumped.tip <= op_fees(&op).tip;
                if !op_fees(&op).replaces(op_fees(&old_op)) || !affordable {
                    return Err(RpcFailure::invalid(
                        "an operation with this sender and nonce is already pending; a replacement must raise both fees by at least 10 %",
                    ));
                }
                bumped
            }
        };
        // Checked again at sending: the account may have changed its code since it was sponsored.
        let kind = chain
            .accounts
            .kind(&chain.config, &chain.node, &op)
            .await?
            .map_err(RpcFailure::policy)?;
        let relayer = self.relayer_address();
        chain.simulate(&op, relayer, fees).await?;
        chain
            .check_validation_rules(&op, kind, relayer, fees)
            .await?;
        // One instance at a time submits from the relayer key: the chain's leader. Another
        // instance hands the checked operation over through the database.
        let fence = chain
            .lead(&self.store, relayer)
            .map_err(|e| RpcFailure::internal(e.to_string()))?;
        let Some(fence) = fence else {
            self.store
                .record_relayed(
                    &RelayedOp {
                        hash: hash.to_string(),
                        chain_id: chain.chain_id(),
                        op_json: serde_json::to_string(&op).unwrap_or_default(),
                        tx_hash: String::new(),
                        tx_nonce: 0,
                        max_fee: fees.max_fee,
                        priority_fee: fees.tip,
                        submitted_at: crate::chain::unix_now(),
                        receipt_json: None,
                        sender: op.sender.to_string(),
                        nonce: format!("{:#x}", op.nonce),
                        status: "queued".into(),
                    },
                    None,
                )
                .map_err(|e| RpcFailure::internal(e.to_string()))?;
            self.metrics.inc(
                "harbor_paymaster_queued_total",
                &[
                    ("app", &caller.app.name),
                    ("chain", &chain.chain_id().to_string()),
                ],
            );
            tracing::info!(app = %caller.app.name, chain = chain.chain_id(), user_op = %hash, "queued for the leading instance");
            return Ok(json!(hash));
        };
        let tx_hash = chain
            .submit(
                &op,
                hash,
                &self.relayer,
                crate::chain::Leading {
                    store: &self.store,
                    fence: &fence,
                },
                fees,
                replacing.as_ref(),
            )
            .await?;
        self.metrics.inc(
            "harbor_paymaster_relayed_total",
            &[
                ("app", &caller.app.name),
                ("chain", &chain.chain_id().to_string()),
            ],
        );
        tracing::info!(app = %caller.app.name, chain = chain.chain_id(), user_op = %hash, %tx_hash, "submitted");
        Ok(json!(hash))
    }

    async fn receipt(&self, chain: &ChainRuntime, params: &Value) -> Result<Value, RpcFailure> {
        let hash: B256 = param(params, 0, "userOpHash")?;
        let Some(mut relayed) = self
            .store
            .relayed(&hash.to_string())
            .map_err(|e| RpcFailure::internal(e.to_string()))?
        else {
            return Ok(Value::Null);
        };
        if let Some(receipt) = &relayed.receipt_json {
            return Ok(serde_json::from_str(receipt).unwrap_or(Value::Null));
        }
        if relayed.status == "dropped" || relayed.status == "queued" {
            return Ok(Value::Null);
        }
        let tx_hash: B256 = relayed
            .tx_hash
            .parse()
            .map_err(|_| RpcFailure::internal("corrupt transaction hash"))?;
        let receipt = chain.receipt_from_chain(hash, tx_hash).await?;
        if let Some((receipt, executed)) = &receipt {
            relayed.receipt_json = Some(receipt.to_string());
            relayed.status = if *executed { "included" } else { "failed" }.into();
            let _ = self.store.record_relayed(&relayed, None);
        }
        Ok(receipt.map_or(Value::Null, |(r, _)| r))
    }

    async fn by_hash(&self, chain: &ChainRuntime, params: &Value) -> Result<Value, RpcFailure> {
        let hash: B256 = param(params, 0, "userOpHash")?;
        let Some(relayed) = self
            .store
            .relayed(&hash.to_string())
            .map_err(|e| RpcFailure::internal(e.to_string()))?
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
            "transactionHash": (!relayed.tx_hash.is_empty()).then_some(&relayed.tx_hash),
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
        other => RpcFailure::internal(format!("upstream failed: {other}")),
    }
}
