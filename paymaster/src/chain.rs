//! One served chain: gas estimation and simulation against the node, bundle submission from the
//! relayer key (nonces, fee bumps), and the watcher that settles spend from EntryPoint logs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use alloy_primitives::{Address, B256, Bytes, U64, U256, keccak256};
use alloy_sol_types::{SolCall, SolEvent};
use harbor_core::aa::{
    IEntryPoint, IValidation, UserOperation, decode_revert, user_operation_hash,
};
use harbor_core::evm::{TransactionRequest, sign_transaction};
use harbor_core::keys::{LocalSigner, Signer};
use harbor_core::rpc::{BundlerClient, NodeClient, RpcError};
use serde_json::{Value, json};

use crate::config::ChainConfig;
use crate::metrics::Metrics;
use crate::rpc::RpcFailure;
use crate::store::{RelayedOp, Store};

/// ERC-7769 error codes.
pub mod codes {
    /// Invalid UserOperation fields or parameters.
    pub const INVALID_PARAMS: i64 = -32602;
    /// Rejected by the EntryPoint's simulation (account or creation).
    pub const SIMULATION: i64 = -32500;
    /// Rejected by the paymaster's validation.
    pub const PAYMASTER: i64 = -32501;
    /// Out of the valid time range.
    pub const TIME_RANGE: i64 = -32503;
    /// Execution reverted during estimation.
    pub const EXECUTION_REVERTED: i64 = -32521;
    /// Internal error.
    pub const INTERNAL: i64 = -32603;
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Calldata gas of `bytes` (EIP-2028).
fn calldata_gas(bytes: &[u8]) -> u64 {
    bytes.iter().map(|b| if *b == 0 { 4 } else { 16 }).sum()
}

/// Maps an EntryPoint revert to an ERC-7769 error.
fn entry_point_failure(data: &[u8]) -> RpcFailure {
    let reason = decode_revert(data);
    let code = if reason.contains("(AA22") || reason.contains("(AA32") {
        codes::TIME_RANGE
    } else if reason.contains("(AA3") {
        codes::PAYMASTER
    } else {
        codes::SIMULATION
    };
    RpcFailure::new(code, reason)
}

fn node_failure(error: RpcError) -> RpcFailure {
    RpcFailure::new(codes::INTERNAL, format!("the chain's node failed: {error}"))
}

/// Runtime state of one chain.
#[derive(Debug)]
pub struct ChainRuntime {
    /// Its configuration.
    pub config: ChainConfig,
    /// The node.
    pub node: NodeClient,
    /// Upstream bundler, when forwarding.
    pub upstream: Option<BundlerClient>,
    /// Latest chain timestamp seen (0 until the first poll).
    chain_time: AtomicU64,
    /// Latest block seen.
    latest_block: AtomicU64,
    /// The relayer's next nonce (serialises submissions).
    next_nonce: tokio::sync::Mutex<Option<u64>>,
}

impl ChainRuntime {
    /// Connects to the chain's node (and upstream bundler).
    pub fn new(config: ChainConfig) -> Result<Self, RpcError> {
        let node = NodeClient::new(&config.rpc_url)?;
        let upstream = config
            .upstream_bundler_url
            .as_deref()
            .map(BundlerClient::new)
            .transpose()?;
        Ok(ChainRuntime {
            config,
            node,
            upstream,
            chain_time: AtomicU64::new(0),
            latest_block: AtomicU64::new(0),
            next_nonce: tokio::sync::Mutex::new(None),
        })
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.config.chain_id
    }

    /// Latest block seen by the watcher.
    pub fn latest_block(&self) -> u64 {
        self.latest_block.load(Ordering::Relaxed)
    }

    /// Sets the known chain time (the watcher does this; benchmarks without a node too).
    pub fn set_chain_time(&self, time: u64) {
        self.chain_time.store(time, Ordering::Relaxed);
    }

    /// The chain's current time: the latest block's timestamp (fetched when not known yet).
    pub async fn chain_time(&self) -> Result<u64, RpcFailure> {
        let known = self.chain_time.load(Ordering::Relaxed);
        if known != 0 {
            // Between polls the chain moves on roughly with the wall clock.
            return Ok(known);
        }
        let time = self.node.latest_timestamp().await.map_err(node_failure)?;
        self.chain_time.store(time, Ordering::Relaxed);
        Ok(time)
    }

    /// preVerificationGas for `op`: the bundle transaction's share of intrinsic and calldata gas
    /// plus the EntryPoint's per-operation overhead.
    pub fn pre_verification_gas(op: &UserOperation) -> u64 {
        let mut sized = op.clone();
        sized.signature = Bytes::from(vec![0xff; 65]);
        if sized.pre_verification_gas.is_zero() {
            sized.pre_verification_gas = U256::from(100_000);
        }
        let call = IEntryPoint::handleOpsCall {
            ops: vec![sized.pack()],
            beneficiary: Address::repeat_byte(0xff),
        };
        21_000 + calldata_gas(&call.abi_encode()) + 20_000
    }

    /// `eth_estimateUserOperationGas`: runs factory, validation, paymaster validation and
    /// execution in one `eth_simulateV1` block, as the EntryPoint would call them.
    pub async fn estimate(&self, op: &UserOperation) -> Result<Value, RpcFailure> {
        let entry_point = self.config.entry_point;
        let mut sim = op.clone();
        sim.pre_verification_gas = U256::from(Self::pre_verification_gas(op));
        let hash = user_operation_hash(
            &sim,
            harbor_core::aa::EntryPointVersion::V07,
            entry_point,
            self.chain_id(),
        );
        let packed = sim.pack();
        let mut calls = Vec::new();
        if let Some(factory) = sim.factory {
            calls.push(json!({
                "from": entry_point, "to": factory,
                "data": sim.factory_data.clone().unwrap_or_default(),
            }));
        }
        calls.push(json!({
            "from": entry_point, "to": sim.sender,
            "data": Bytes::from(IValidation::validateUserOpCall {
                userOp: packed.clone(), userOpHash: hash, missingAccountFunds: U256::ZERO,
            }.abi_encode()),
        }));
        if let Some(paymaster) = sim.paymaster {
            calls.push(json!({
                "from": entry_point, "to": paymaster,
                "data": Bytes::from(IValidation::validatePaymasterUserOpCall {
                    userOp: packed.clone(), userOpHash: hash, maxCost: sim.max_gas_cost(),
                }.abi_encode()),
            }));
        }
        calls.push(json!({"from": entry_point, "to": sim.sender, "data": sim.call_data}));
        let result: Value = self
            .node
            .raw(
                "eth_simulateV1",
                json!([{"blockStateCalls": [{"calls": calls}], "validation": false}, "latest"]),
            )
            .await
            .map_err(node_failure)?;
        let results = result[0]["calls"].as_array().cloned().unwrap_or_default();
        let gas = |i: usize| -> Result<(u64, bool, Bytes), RpcFailure> {
            let call = results.get(i).ok_or_else(|| {
                RpcFailure::new(
                    codes::INTERNAL,
                    "the node's simulation returned too few results",
                )
            })?;
            let used = serde_json::from_value::<U64>(call["gasUsed"].clone())
                .map(|g| g.to::<u64>())
                .unwrap_or_default();
            let ok = call["status"].as_str() == Some("0x1");
            let data: Bytes =
                serde_json::from_value(call["returnData"].clone()).unwrap_or_default();
            Ok((used, ok, data))
        };
        let mut index = 0;
        let mut verification = 0u64;
        if sim.factory.is_some() {
            let (used, ok, data) = gas(index)?;
            if !ok {
                return Err(RpcFailure::new(
                    codes::SIMULATION,
                    format!(
                        "the account could not be created (AA13): {}",
                        decode_revert(&data)
                    ),
                ));
            }
            verification += used;
            index += 1;
        }
        let (used, ok, data) = gas(index)?;
        if !ok {
            return Err(RpcFailure::new(
                codes::SIMULATION,
                format!(
                    "the account's validation reverted (AA23): {}",
                    decode_revert(&data)
                ),
            ));
        }
        verification += used;
        index += 1;
        let mut paymaster_verification = None;
        if sim.paymaster.is_some() {
            let (used, ok, data) = gas(index)?;
            if !ok {
                return Err(RpcFailure::new(
                    codes::PAYMASTER,
                    format!(
                        "the paymaster's validation reverted (AA33): {}",
                        decode_revert(&data)
                    ),
                ));
            }
            paymaster_verification = Some(used + used / 2);
            index += 1;
        }
        let (call_used, ok, data) = gas(index)?;
        if !ok {
            return Err(RpcFailure::new(
                codes::EXECUTION_REVERTED,
                format!("the call would fail: {}", decode_revert(&data)),
            )
            .with_data(json!(data)));
        }
        let verification_gas_limit = verification + verification / 2 + 20_000;
        let call_gas_limit = call_used + call_used / 10 + 10_000;
        let mut out = json!({
            "preVerificationGas": U256::from(sim.pre_verification_gas),
            "verificationGasLimit": U256::from(verification_gas_limit),
            "callGasLimit": U256::from(call_gas_limit),
        });
        if let Some(pm) = paymaster_verification {
            let given = op.paymaster_verification_gas_limit.unwrap_or_default();
            out["paymasterVerificationGasLimit"] = json!(given.max(U256::from(pm)));
            out["paymasterPostOpGasLimit"] =
                json!(op.paymaster_post_op_gas_limit.unwrap_or_default());
        }
        Ok(out)
    }

    /// Simulates `handleOps([op])` with `eth_call` (the relayer's balance overridden so a low
    /// relayer balance never masks the operation's own verdict).
    pub async fn simulate(&self, op: &UserOperation, relayer: Address) -> Result<(), RpcFailure> {
        let data = Bytes::from(
            IEntryPoint::handleOpsCall {
                ops: vec![op.pack()],
                beneficiary: relayer,
            }
            .abi_encode(),
        );
        let result: Result<Value, RpcError> = self
            .node
            .raw(
                "eth_call",
                json!([
                    {"from": relayer, "to": self.config.entry_point, "data": data, "gas": "0x1c9c380"},
                    "latest",
                    {relayer.to_string(): {"balance": "0x3635c9adc5dea00000"}}
                ]),
            )
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) => match error.revert_data() {
                Some(data) => Err(entry_point_failure(&data)),
                None => Err(node_failure(error)),
            },
        }
    }

    /// Signs and broadcasts `handleOps([op])` from the relayer; records it; returns the tx hash.
    pub async fn submit(
        &self,
        op: &UserOperation,
        user_op_hash: B256,
        relayer: &LocalSigner,
        store: &Store,
    ) -> Result<B256, RpcFailure> {
        let fees = self.node.fees().await.map_err(node_failure)?;
        let max_fee = fees.max_fee_per_gas.max(op.max_fee_per_gas).to::<u128>();
        let tip = fees
            .max_priority_fee_per_gas
            .min(U256::from(max_fee))
            .to::<u128>();
        let gas = op.total_gas_limit().saturating_to::<u64>() / 10 * 13 + 150_000;
        let mut next = self.next_nonce.lock().await;
        let pending = self
            .node
            .transaction_count(relayer.address())
            .await
            .map_err(node_failure)?;
        let nonce = next.map_or(pending, |n| n.max(pending));
        let tx_hash = self
            .broadcast(op, relayer, nonce, gas, max_fee, tip)
            .await?;
        *next = Some(nonce + 1);
        drop(next);
        let record = RelayedOp {
            hash: user_op_hash.to_string(),
            chain_id: self.chain_id(),
            op_json: serde_json::to_string(op).unwrap_or_default(),
            tx_hash: tx_hash.to_string(),
            tx_nonce: nonce,
            max_fee,
            priority_fee: tip,
            submitted_at: unix_now(),
            receipt_json: None,
        };
        store
            .record_relayed(&record)
            .map_err(|e| RpcFailure::new(codes::INTERNAL, e.to_string()))?;
        Ok(tx_hash)
    }

    async fn broadcast(
        &self,
        op: &UserOperation,
        relayer: &LocalSigner,
        nonce: u64,
        gas: u64,
        max_fee: u128,
        tip: u128,
    ) -> Result<B256, RpcFailure> {
        let data = IEntryPoint::handleOpsCall {
            ops: vec![op.pack()],
            beneficiary: relayer.address(),
        }
        .abi_encode();
        let request = TransactionRequest {
            chain_id: Some(U64::from(self.chain_id())),
            nonce: Some(U64::from(nonce)),
            to: Some(self.config.entry_point),
            data: Some(data.into()),
            gas: Some(U64::from(gas)),
            max_fee_per_gas: Some(alloy_primitives::U128::from(max_fee)),
            max_priority_fee_per_gas: Some(alloy_primitives::U128::from(tip)),
            ..TransactionRequest::default()
        };
        let signed = sign_transaction(relayer, &request, Some(self.chain_id()))
            .map_err(|e| RpcFailure::new(codes::INTERNAL, e.to_string()))?;
        self.node
            .send_raw_transaction(&signed.raw)
            .await
            .map_err(node_failure)?;
        Ok(signed.hash)
    }

    /// Builds the ERC-7769 receipt of `user_op_hash` from its bundle transaction, if included.
    pub async fn receipt_from_chain(
        &self,
        user_op_hash: B256,
        tx_hash: B256,
    ) -> Result<Option<Value>, RpcFailure> {
        let Some(receipt) = self
            .node
            .transaction_receipt(tx_hash)
            .await
            .map_err(node_failure)?
        else {
            return Ok(None);
        };
        let raw_receipt = serde_json::to_value(&receipt).unwrap_or_default();
        let event_topic = IEntryPoint::UserOperationEvent::SIGNATURE_HASH;
        let revert_topic = IEntryPoint::UserOperationRevertReason::SIGNATURE_HASH;
        let mut reason = None;
        for log in &receipt.logs {
            if log.address == self.config.entry_point
                && log.topics.first() == Some(&revert_topic)
                && log.topics.get(1) == Some(&user_op_hash)
                && let Ok(decoded) = IEntryPoint::UserOperationRevertReason::decode_raw_log(
                    log.topics.iter().copied(),
                    &log.data,
                )
            {
                reason = Some(decoded.revertReason);
            }
        }
        for log in &receipt.logs {
            if log.address != self.config.entry_point
                || log.topics.first() != Some(&event_topic)
                || log.topics.get(1) != Some(&user_op_hash)
            {
                continue;
            }
            let Ok(event) = IEntryPoint::UserOperationEvent::decode_raw_log(
                log.topics.iter().copied(),
                &log.data,
            ) else {
                continue;
            };
            let logs: Vec<Value> = receipt
                .logs
                .iter()
                .map(|l| serde_json::to_value(l).unwrap_or_default())
                .collect();
            return Ok(Some(json!({
                "userOpHash": user_op_hash,
                "entryPoint": self.config.entry_point,
                "sender": event.sender,
                "nonce": event.nonce,
                "paymaster": event.paymaster,
                "actualGasCost": event.actualGasCost,
                "actualGasUsed": event.actualGasUsed,
                "success": event.success,
                "reason": reason.clone().unwrap_or_default(),
                "logs": logs,
                "receipt": raw_receipt,
            })));
        }
        // Included, but the whole bundle reverted (the op was not executed).
        Ok(Some(json!({
            "userOpHash": user_op_hash,
            "entryPoint": self.config.entry_point,
            "sender": Address::ZERO,
            "nonce": U256::ZERO,
            "paymaster": Address::ZERO,
            "actualGasCost": U256::ZERO,
            "actualGasUsed": U256::ZERO,
            "success": false,
            "reason": Bytes::new(),
            "logs": [],
            "receipt": raw_receipt,
        })))
    }

    /// One watcher round: settle spend from new EntryPoint logs, release expired reservations,
    /// complete receipts of relayed operations and bump stuck bundle transactions.
    pub async fn poll(
        &self,
        store: &Store,
        relayer: &LocalSigner,
        metrics: &Metrics,
    ) -> Result<(), String> {
        let chain = self.chain_id().to_string();
        let latest = self.node.block_number().await.map_err(|e| e.to_string())?;
        let time = self
            .node
            .latest_timestamp()
            .await
            .map_err(|e| e.to_string())?;
        let from = store
            .last_block(self.chain_id())
            .map_err(|e| e.to_string())?
            .map_or(0, |b| b + 1);
        let mut start = from;
        while start <= latest {
            let end = latest.min(start + 2_000);
            let logs = self
                .node
                .logs(
                    self.config.entry_point,
                    IEntryPoint::UserOperationEvent::SIGNATURE_HASH,
                    start,
                    end,
                )
                .await
                .map_err(|e| e.to_string())?;
            let mut events = Vec::new();
            for log in logs {
                let Ok(event) = IEntryPoint::UserOperationEvent::decode_raw_log(
                    log.topics.iter().copied(),
                    &log.data,
                ) else {
                    continue;
                };
                if event.paymaster != self.config.paymaster {
                    continue;
                }
                events.push((
                    event.sender.to_string(),
                    format!("{:#x}", event.nonce),
                    event.actualGasCost.saturating_to::<u128>(),
                    event.userOpHash.to_string(),
                ));
            }
            store
                .settle_range(self.chain_id(), &events, end)
                .map_err(|e| e.to_string())?;
            start = end + 1;
        }
        // Logs up to `latest` are settled; anything expired by its time can never be used.
        store
            .release_expired(self.chain_id(), time)
            .map_err(|e| e.to_string())?;
        self.latest_block.store(latest, Ordering::Relaxed);
        self.chain_time.store(time, Ordering::Relaxed);

        for relayed in store
            .pending_relayed(self.chain_id())
            .map_err(|e| e.to_string())?
        {
            let (Ok(hash), Ok(tx_hash)) = (
                relayed.hash.parse::<B256>(),
                relayed.tx_hash.parse::<B256>(),
            ) else {
                continue;
            };
            match self.receipt_from_chain(hash, tx_hash).await {
                Ok(Some(receipt)) => {
                    let mut done = relayed.clone();
                    done.receipt_json = Some(receipt.to_string());
                    store.record_relayed(&done).map_err(|e| e.to_string())?;
                }
                Ok(None) => {
                    let age = unix_now().saturating_sub(relayed.submitted_at);
                    if age >= self.config.bump_after_seconds {
                        self.bump(&relayed, relayer, store).await?;
                    }
                }
                Err(e) => {
                    tracing::warn!(chain = %chain, error = %e.message, "receipt lookup failed")
                }
            }
        }

        let totals = store.totals(self.chain_id()).map_err(|e| e.to_string())?;
        metrics.set(
            "harbor_paymaster_spend_wei",
            &[("chain", &chain)],
            totals.settled_wei as f64,
        );
        metrics.set(
            "harbor_paymaster_reserved_wei",
            &[("chain", &chain)],
            totals.reserved_wei as f64,
        );
        metrics.set(
            "harbor_paymaster_last_block",
            &[("chain", &chain)],
            latest as f64,
        );
        if let Ok(balance) = self.node.balance(relayer.address()).await {
            metrics.set(
                "harbor_paymaster_relayer_balance_wei",
                &[("chain", &chain)],
                f64::from(balance),
            );
        }
        if let Ok(deposit) = self
            .node
            .entry_point_deposit(self.config.entry_point, self.config.paymaster)
            .await
        {
            metrics.set(
                "harbor_paymaster_deposit_wei",
                &[("chain", &chain)],
                f64::from(deposit),
            );
        }
        Ok(())
    }

    /// Resends a stuck bundle with the same nonce and fees raised by 25 % (replacement needs 10 %).
    async fn bump(
        &self,
        relayed: &RelayedOp,
        relayer: &LocalSigner,
        store: &Store,
    ) -> Result<(), String> {
        let Ok(op) = serde_json::from_str::<UserOperation>(&relayed.op_json) else {
            return Ok(());
        };
        let max_fee = relayed.max_fee + relayed.max_fee / 4 + 1;
        let tip = relayed.priority_fee + relayed.priority_fee / 4 + 1;
        let gas = op.total_gas_limit().saturating_to::<u64>() / 10 * 13 + 150_000;
        match self
            .broadcast(&op, relayer, relayed.tx_nonce, gas, max_fee, tip)
            .await
        {
            Ok(tx_hash) => {
                tracing::info!(chain = self.chain_id(), user_op = %relayed.hash, %tx_hash, max_fee, "bumped stuck bundle");
                let mut bumped = relayed.clone();
                bumped.tx_hash = tx_hash.to_string();
                bumped.max_fee = max_fee;
                bumped.priority_fee = tip;
                bumped.submitted_at = unix_now();
                store.record_relayed(&bumped).map_err(|e| e.to_string())
            }
            Err(e) => {
                // "nonce too low": the earlier transaction was mined; its receipt comes next round.
                tracing::warn!(chain = self.chain_id(), user_op = %relayed.hash, error = %e.message, "bump failed");
                Ok(())
            }
        }
    }

    /// The watcher loop (runs until the task is dropped).
    pub async fn watch(
        self: std::sync::Arc<Self>,
        store: std::sync::Arc<Store>,
        relayer: LocalSigner,
        metrics: std::sync::Arc<Metrics>,
    ) {
        let interval = Duration::from_millis(self.config.poll_interval_ms.max(50));
        loop {
            if let Err(error) = self.poll(&store, &relayer, &metrics).await {
                tracing::warn!(chain = self.chain_id(), %error, "watcher round failed");
            }
            tokio::time::sleep(interval).await;
        }
    }
}

/// keccak of the event signature (exported for tests).
pub fn user_operation_event_topic() -> B256 {
    keccak256("UserOperationEvent(bytes32,address,address,uint256,bool,uint256,uint256)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_topic_matches_signature() {
        assert_eq!(
            IEntryPoint::UserOperationEvent::SIGNATURE_HASH,
            user_operation_event_topic()
        );
    }

    #[test]
    fn failures_map_to_erc7769_codes() {
        use alloy_sol_types::{SolError, sol};
        sol! { error FailedOp(uint256 opIndex, string reason); }
        let code = |reason: &str| {
            entry_point_failure(
                &FailedOp {
                    opIndex: U256::ZERO,
                    reason: reason.into(),
                }
                .abi_encode(),
            )
            .code
        };
        assert_eq!(code("AA24 signature error"), codes::SIMULATION);
        assert_eq!(code("AA34 signature error"), codes::PAYMASTER);
        assert_eq!(code("AA32 paymaster expired or not due"), codes::TIME_RANGE);
    }
}
