//! One served chain: gas estimation, exact simulation and validation tracing against the node,
//! bundle submission from the relayer key (nonces, replacement, fee bumps bounded by what the
//! operation pays), and receipts. The watcher (settlement, reorgs) is in `watcher.rs`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use alloy_primitives::{Address, B256, Bytes, U64, U256};
use alloy_sol_types::{SolCall, SolEvent};
use harbor_core::aa::{
    EntryPointVersion, IEntryPoint, IValidation, UserOperation, decode_revert, user_operation_hash,
};
use harbor_core::codes;
use harbor_core::evm::{TransactionRequest, sign_transaction};
use harbor_core::keys::{LocalSigner, Signer};
use harbor_core::rpc::{BundlerClient, NodeClient, RpcError};
use serde_json::{Value, json};

use crate::accounts::{AccountChecks, AccountKind};
use crate::config::ChainConfig;
use crate::error::RpcFailure;
use crate::pricing::{self, GasEstimate, NetworkFees};
use crate::store::lease::Fence;
use crate::store::{Outcome, RelayedOp, Store, StoreError};
use crate::validation;

/// Estimates kept for signing (the newest ones).
const ESTIMATE_CACHE: usize = 20_000;
/// How long an estimate, or an entity's stake, is trusted.
const CACHE_TTL: Duration = Duration::from_secs(300);
/// Least stake delay for an entity to use its own storage during validation (ERC-7562).
const MIN_UNSTAKE_DELAY: u64 = 86_400;

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Fees of one bundle transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BundleFees {
    /// Fee cap per gas.
    pub max_fee: u128,
    /// Tip per gas.
    pub tip: u128,
}

impl BundleFees {
    /// Fees the relayer may pay for `op` now: the market's, never above what the operation
    /// itself pays per gas (so the refund always covers the transaction).
    pub fn for_op(op: &UserOperation, network: NetworkFees) -> Self {
        let op_tip = op.max_priority_fee_per_gas.saturating_to::<u128>();
        let op_max = op.max_fee_per_gas.saturating_to::<u128>();
        let tip = network.priority_fee.max(1).min(op_tip);
        let max_fee = network
            .base_fee
            .saturating_mul(2)
            .saturating_add(tip)
            .min(op_max);
        BundleFees { max_fee, tip }
    }

    /// The next fees of a replacement (+12.5 %, what nodes require is +10 %), still within what
    /// `op` pays; `None` when the operation's own fees leave no room.
    pub fn bumped(self, op: &UserOperation) -> Option<Self> {
        let op_tip = op.max_priority_fee_per_gas.saturating_to::<u128>();
        let op_max = op.max_fee_per_gas.saturating_to::<u128>();
        let next = BundleFees {
            max_fee: (self.max_fee + self.max_fee / 8 + 1).min(op_max),
            tip: (self.tip + self.tip / 8 + 1).min(op_tip),
        };
        next.replaces(self).then_some(next)
    }

    /// Whether these fees may replace a transaction sent with `old` (+10 % on both).
    pub fn replaces(self, old: BundleFees) -> bool {
        self.max_fee > old.max_fee + old.max_fee / 10 && self.tip > old.tip + old.tip / 10
    }
}

/// The gas limit of a bundle transaction carrying `op` (unused gas is not paid).
pub fn bundle_gas(op: &UserOperation) -> u64 {
    op.total_gas_limit().saturating_to::<u64>() / 10 * 13 + 150_000
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
    /// Which accounts are sponsored.
    pub accounts: AccountChecks,
    /// Latest chain timestamp seen (0 until the first poll).
    chain_time: AtomicU64,
    /// Latest block seen.
    latest_block: AtomicU64,
    /// The chain's fees as last read.
    fees: Mutex<Option<NetworkFees>>,
    /// The relay's own gas estimates, by [`pricing::estimate_key`].
    estimates: Mutex<HashMap<B256, (GasEstimate, Instant)>>,
    /// Whether an entity is staked, as last read.
    staked: Mutex<HashMap<Address, (bool, Instant)>>,
    /// The relayer's next nonce, and the lease term it was counted in (serialises submissions).
    next_nonce: tokio::sync::Mutex<Option<(u64, i64)>>,
    /// How long this instance's lease on the chain lasts unrenewed.
    lease_ttl: Duration,
    /// The lease this instance held at its last renewal.
    lease: Mutex<Option<Fence>>,
}

/// The store as the chain's leading instance writes to it: every write checked against its
/// lease.
#[derive(Debug, Clone, Copy)]
pub struct Leading<'a> {
    /// The store.
    pub store: &'a Store,
    /// The lease this instance holds.
    pub fence: &'a Fence,
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
            accounts: AccountChecks::default(),
            chain_time: AtomicU64::new(0),
            latest_block: AtomicU64::new(0),
            fees: Mutex::new(None),
            estimates: Mutex::new(HashMap::new()),
            staked: Mutex::new(HashMap::new()),
            next_nonce: tokio::sync::Mutex::new(None),
            lease_ttl: Duration::from_secs(10),
            lease: Mutex::new(None),
        })
    }

    /// Sets how long this instance's lease on the chain lasts unrenewed.
    pub fn with_lease(mut self, ttl: Duration) -> Self {
        self.lease_ttl = ttl;
        self
    }

    /// The name of the chain's lease for `relayer`: one instance at a time reads the chain's
    /// logs into the accounts and submits bundles from that key.
    pub fn lease_name(&self, relayer: Address) -> String {
        format!("chain:{}:{relayer:#x}", self.chain_id())
    }

    /// Takes or renews this instance's lease on the chain; its fence while this instance leads.
    pub fn lead(&self, store: &Store, relayer: Address) -> Result<Option<Fence>, StoreError> {
        let fence = store.acquire_lease(
            &self.lease_name(relayer),
            crate::relay::instance_id(),
            self.lease_ttl,
        )?;
        if let Ok(mut held) = self.lease.lock() {
            if held.as_ref().map(|f| f.token) != fence.as_ref().map(|f| f.token) {
                match &fence {
                    Some(f) => tracing::info!(
                        chain = self.chain_id(),
                        token = f.token,
                        "this instance leads the chain"
                    ),
                    None if held.is_some() => tracing::warn!(
                        chain = self.chain_id(),
                        "this instance lost the chain's lease"
                    ),
                    None => {}
                }
            }
            held.clone_from(&fence);
        }
        Ok(fence)
    }

    /// Gives the chain's lease up if this instance holds it (on shutdown).
    pub fn release_lease(&self, store: &Store) {
        let held = self.lease.lock().ok().and_then(|mut held| held.take());
        if let Some(Err(error)) = held.map(|fence| store.release_lease(&fence)) {
            tracing::warn!(chain = self.chain_id(), %error, "lease not given up");
        }
    }

    /// Whether this instance held the chain's lease at its last renewal.
    pub fn leads(&self) -> bool {
        self.lease.lock().is_ok_and(|held| held.is_some())
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.config.chain_id
    }

    /// Latest block seen by the watcher.
    pub fn latest_block(&self) -> u64 {
        self.latest_block.load(Ordering::Relaxed)
    }

    pub(crate) fn set_latest_block(&self, block: u64) {
        self.latest_block.store(block, Ordering::Relaxed);
    }

    /// Sets the known chain time (the watcher does this; benchmarks without a node too).
    pub fn set_chain_time(&self, time: u64) {
        self.chain_time.store(time, Ordering::Relaxed);
    }

    /// The chain's current time: the latest block's timestamp (fetched when not known yet).
    pub async fn chain_time(&self) -> Result<u64, RpcFailure> {
        let known = self.chain_time.load(Ordering::Relaxed);
        if known != 0 {
            return Ok(known);
        }
        let time = self
            .node
            .latest_timestamp()
            .await
            .map_err(RpcFailure::node)?;
        self.chain_time.store(time, Ordering::Relaxed);
        Ok(time)
    }

    /// Sets the chain's current fees (the watcher does this; benchmarks without a node too).
    pub fn set_network_fees(&self, fees: NetworkFees) {
        if let Ok(mut known) = self.fees.lock() {
            *known = Some(fees);
        }
    }

    /// The chain's current fees (fetched when the watcher has not read them yet).
    pub async fn network_fees(&self) -> Result<NetworkFees, RpcFailure> {
        if let Some(fees) = self.fees.lock().ok().and_then(|f| *f) {
            return Ok(fees);
        }
        let fees = self.read_fees().await?;
        self.set_network_fees(fees);
        Ok(fees)
    }

    pub(crate) async fn read_fees(&self) -> Result<NetworkFees, RpcFailure> {
        let estimate = self.node.fees().await.map_err(RpcFailure::node)?;
        // Wallets (viem, ethers) take the tip from eth_maxPriorityFeePerGas: so does the cap.
        let suggested: U256 = self
            .node
            .raw("eth_maxPriorityFeePerGas", json!([]))
            .await
            .ok()
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default();
        Ok(NetworkFees {
            base_fee: estimate.base_fee_per_gas.saturating_to(),
            priority_fee: estimate
                .max_priority_fee_per_gas
                .max(suggested)
                .saturating_to(),
        })
    }

    /// Files the relay's estimate of `op` (for benchmarks that have no node to estimate with).
    pub fn remember_estimate(&self, op: &UserOperation, estimate: GasEstimate) {
        if let Ok(mut cache) = self.estimates.lock() {
            if cache.len() >= ESTIMATE_CACHE {
                cache.retain(|_, (_, at)| at.elapsed() < CACHE_TTL);
                if cache.len() >= ESTIMATE_CACHE {
                    cache.clear();
                }
            }
            cache.insert(pricing::estimate_key(op), (estimate, Instant::now()));
        }
    }

    /// The relay's estimate of what `op` needs: filed by an earlier `eth_estimateUserOperationGas`
    /// on this relay, or made now.
    pub async fn gas_estimate(&self, op: &UserOperation) -> Result<GasEstimate, RpcFailure> {
        let key = pricing::estimate_key(op);
        if let Some((estimate, _)) = self
            .estimates
            .lock()
            .ok()
            .and_then(|c| c.get(&key).copied())
            .filter(|(_, at)| at.elapsed() < CACHE_TTL)
        {
            return Ok(estimate);
        }
        let (_, estimate) = self.estimate_op(op).await?;
        Ok(estimate)
    }

    /// `eth_estimateUserOperationGas`: runs factory, validation, paymaster validation and
    /// execution in one `eth_simulateV1` block, as the EntryPoint would call them.
    pub async fn estimate(&self, op: &UserOperation) -> Result<Value, RpcFailure> {
        Ok(self.estimate_op(op).await?.0)
    }

    async fn estimate_op(&self, op: &UserOperation) -> Result<(Value, GasEstimate), RpcFailure> {
        let entry_point = self.config.entry_point;
        let mut sim = op.clone();
        sim.pre_verification_gas = U256::from(pricing::required_pre_verification_gas(op));
        let hash = user_operation_hash(&sim, EntryPointVersion::V07, entry_point, self.chain_id());
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
            .map_err(RpcFailure::node)?;
        let results = result[0]["calls"].as_array().cloned().unwrap_or_default();
        let gas = |i: usize| -> Result<(u64, bool, Bytes), RpcFailure> {
            let call = results.get(i).ok_or_else(|| {
                RpcFailure::internal("the node's simulation returned too few results")
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
                    codes::SIMULATION_REJECTED,
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
                codes::SIMULATION_REJECTED,
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
                    codes::PAYMASTER_REJECTED,
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
        let estimate = GasEstimate {
            verification: verification_gas_limit,
            call: call_gas_limit,
            paymaster_verification: paymaster_verification.unwrap_or_default(),
        };
        self.remember_estimate(op, estimate);
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
        Ok((out, estimate))
    }

    /// Whether `entity` has stake in the EntryPoint for at least a day (ERC-7562: staked
    /// entities may use their own storage during validation).
    pub async fn is_staked(&self, entity: Address) -> Result<bool, RpcFailure> {
        if let Some((staked, _)) = self
            .staked
            .lock()
            .ok()
            .and_then(|s| s.get(&entity).copied())
            .filter(|(_, at)| at.elapsed() < CACHE_TTL)
        {
            return Ok(staked);
        }
        let out = self
            .node
            .call(
                self.config.entry_point,
                &IEntryPoint::getDepositInfoCall { account: entity }
                    .abi_encode()
                    .into(),
            )
            .await
            .map_err(RpcFailure::node)?;
        let info = IEntryPoint::getDepositInfoCall::abi_decode_returns(&out)
            .map_err(|_| RpcFailure::internal("the EntryPoint's deposit info does not decode"))?;
        let staked = info.staked && u64::from(info.unstakeDelaySec) >= MIN_UNSTAKE_DELAY;
        if let Ok(mut known) = self.staked.lock() {
            known.insert(entity, (staked, Instant::now()));
        }
        Ok(staked)
    }

    fn handle_ops_data(&self, op: &UserOperation, beneficiary: Address) -> Bytes {
        IEntryPoint::handleOpsCall {
            ops: vec![op.pack()],
            beneficiary,
        }
        .abi_encode()
        .into()
    }

    fn bundle_call(&self, op: &UserOperation, relayer: Address, fees: BundleFees) -> Value {
        json!({
            "from": relayer,
            "to": self.config.entry_point,
            "data": self.handle_ops_data(op, relayer),
            "gas": format!("{:#x}", bundle_gas(op)),
            "maxFeePerGas": format!("{:#x}", fees.max_fee),
            "maxPriorityFeePerGas": format!("{:#x}", fees.tip),
        })
    }

    /// Simulates the bundle exactly as it will be sent: from the relayer with its real balance,
    /// the same gas limit and fees, against the latest block.
    pub async fn simulate(
        &self,
        op: &UserOperation,
        relayer: Address,
        fees: BundleFees,
    ) -> Result<(), RpcFailure> {
        let result: Result<Value, RpcError> = self
            .node
            .raw(
                "eth_call",
                json!([self.bundle_call(op, relayer, fees), "latest"]),
            )
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) => match error.revert_data() {
                Some(data) => Err(RpcFailure::entry_point(&data)),
                None => Err(RpcFailure::node(error)),
            },
        }
    }

    /// Traces the bundle's validation phase and checks the ERC-7562 rules. A node without
    /// `debug_traceCall` is accepted for Harbor accounts only (whose validation code is known).
    pub async fn check_validation_rules(
        &self,
        op: &UserOperation,
        kind: AccountKind,
        relayer: Address,
        fees: BundleFees,
    ) -> Result<(), RpcFailure> {
        let trace = self
            .node
            .raw(
                "debug_traceCall",
                json!([
                    self.bundle_call(op, relayer, fees),
                    "latest",
                    {"disableStorage": true, "enableMemory": false, "enableReturnData": false}
                ]),
            )
            .await;
        let trace = match trace {
            Ok(trace) => trace,
            Err(RpcError::Server { .. }) if kind == AccountKind::Harbor => return Ok(()),
            Err(error) => {
                return Err(RpcFailure::new(
                    codes::OPCODE_RULE,
                    format!(
                        "the validation of this account cannot be traced on this chain's node: {error}"
                    ),
                ));
            }
        };
        let mut staked = Vec::new();
        for entity in [op.paymaster, op.factory].into_iter().flatten() {
            if self.is_staked(entity).await? {
                staked.push(entity);
            }
        }
        validation::check_trace(&trace, self.config.entry_point, op, &staked)
            .map_err(|broke| RpcFailure::new(codes::OPCODE_RULE, broke.to_string()))
    }

    /// Signs and broadcasts `handleOps([op])` from the relayer with `fees`; records it; returns
    /// the transaction hash. With `replacing`, the bundle takes that pending one's relayer nonce.
    pub async fn submit(
        &self,
        op: &UserOperation,
        user_op_hash: B256,
        relayer: &LocalSigner,
        leading: Leading<'_>,
        fees: BundleFees,
        replacing: Option<&RelayedOp>,
    ) -> Result<B256, RpcFailure> {
        let Leading { store, fence } = leading;
        let gas = bundle_gas(op);
        let mut next = self.next_nonce.lock().await;
        let nonce = match replacing {
            Some(old) => old.tx_nonce,
            None => {
                let pending = self
                    .node
                    .transaction_count(relayer.address())
                    .await
                    .map_err(RpcFailure::node)?;
                // A nonce counted in an earlier lease term may have been used by another
                // instance since: only the chain's count holds then.
                match *next {
                    Some((n, term)) if term == fence.token => n.max(pending),
                    _ => pending,
                }
            }
        };
        let tx_hash = self.broadcast(op, relayer, nonce, gas, fees).await?;
        if replacing.is_none() {
            *next = Some((nonce + 1, fence.token));
        }
        drop(next);
        let fenced = |e: StoreError| RpcFailure::internal(e.to_string());
        if let Some(old) = replacing {
            let mut dropped = old.clone();
            dropped.status = "dropped".into();
            store
                .record_relayed(&dropped, Some(fence))
                .map_err(fenced)?;
        }
        let record = RelayedOp {
            hash: user_op_hash.to_string(),
            chain_id: self.chain_id(),
            op_json: serde_json::to_string(op).unwrap_or_default(),
            tx_hash: tx_hash.to_string(),
            tx_nonce: nonce,
            max_fee: fees.max_fee,
            priority_fee: fees.tip,
            submitted_at: unix_now(),
            receipt_json: None,
            sender: op.sender.to_string(),
            nonce: format!("{:#x}", op.nonce),
            status: "pending".into(),
        };
        store.record_relayed(&record, Some(fence)).map_err(fenced)?;
        for entity in [Some(op.sender), op.factory, op.paymaster]
            .into_iter()
            .flatten()
        {
            let _ = store.count(self.chain_id(), &entity.to_string(), Outcome::Seen);
        }
        Ok(tx_hash)
    }

    async fn broadcast(
        &self,
        op: &UserOperation,
        relayer: &LocalSigner,
        nonce: u64,
        gas: u64,
        fees: BundleFees,
    ) -> Result<B256, RpcFailure> {
        let request = TransactionRequest {
            chain_id: Some(U64::from(self.chain_id())),
            nonce: Some(U64::from(nonce)),
            to: Some(self.config.entry_point),
            data: Some(self.handle_ops_data(op, relayer.address())),
            gas: Some(U64::from(gas)),
            max_fee_per_gas: Some(alloy_primitives::U128::from(fees.max_fee)),
            max_priority_fee_per_gas: Some(alloy_primitives::U128::from(fees.tip)),
            ..TransactionRequest::default()
        };
        self.send_signed(relayer, &request).await
    }

    /// Frees the relayer nonce of a bundle that can no longer be sent profitably: a 0-value
    /// transfer to itself with the same nonce at replacement fees (its gas is the one cost the
    /// relayer cannot recover; it happens only when an operation stopped paying after sending).
    pub(crate) async fn cancel(
        &self,
        relayer: &LocalSigner,
        nonce: u64,
        fees: BundleFees,
    ) -> Result<B256, RpcFailure> {
        let request = TransactionRequest {
            chain_id: Some(U64::from(self.chain_id())),
            nonce: Some(U64::from(nonce)),
            to: Some(relayer.address()),
            gas: Some(U64::from(21_000u64)),
            max_fee_per_gas: Some(alloy_primitives::U128::from(fees.max_fee)),
            max_priority_fee_per_gas: Some(alloy_primitives::U128::from(fees.tip)),
            ..TransactionRequest::default()
        };
        self.send_signed(relayer, &request).await
    }

    async fn send_signed(
        &self,
        relayer: &LocalSigner,
        request: &TransactionRequest,
    ) -> Result<B256, RpcFailure> {
        let signed = sign_transaction(relayer, request, Some(self.chain_id()))
            .map_err(|e| RpcFailure::internal(e.to_string()))?;
        self.node
            .send_raw_transaction(&signed.raw)
            .await
            .map_err(RpcFailure::node)?;
        Ok(signed.hash)
    }

    /// Builds the ERC-7769 receipt of `user_op_hash` from its bundle transaction, if included;
    /// the flag says whether the operation was executed (its `UserOperationEvent` is there).
    pub async fn receipt_from_chain(
        &self,
        user_op_hash: B256,
        tx_hash: B256,
    ) -> Result<Option<(Value, bool)>, RpcFailure> {
        let Some(receipt) = self
            .node
            .transaction_receipt(tx_hash)
            .await
            .map_err(RpcFailure::node)?
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
            return Ok(Some((
                json!({
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
                }),
                true,
            )));
        }
        // Included, but the whole bundle reverted (the operation was not executed).
        Ok(Some((
            json!({
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
            }),
            false,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(max_fee: u64, tip: u64) -> UserOperation {
        UserOperation {
            max_fee_per_gas: U256::from(max_fee),
            max_priority_fee_per_gas: U256::from(tip),
            ..UserOperation::default()
        }
    }

    #[test]
    fn the_relayer_never_pays_more_per_gas_than_the_operation() {
        let network = NetworkFees {
            base_fee: 1_000,
            priority_fee: 50,
        };
        let fees = BundleFees::for_op(&op(5_000, 100), network);
        assert_eq!(
            fees,
            BundleFees {
                max_fee: 2_050,
                tip: 50
            }
        );
        // A market above what the operation pays: capped at the operation's fees.
        let fees = BundleFees::for_op(&op(1_500, 10), network);
        assert_eq!(
            fees,
            BundleFees {
                max_fee: 1_500,
                tip: 10
            }
        );
        // Bumps stop at the operation's own fees.
        let mut fees = BundleFees::for_op(&op(2_600, 70), network);
        let mut bumps = 0;
        while let Some(next) = fees.bumped(&op(2_600, 70)) {
            assert!(next.replaces(fees));
            assert!(next.max_fee <= 2_600 && next.tip <= 70);
            fees = next;
            bumps += 1;
        }
        assert!((1..5).contains(&bumps), "{bumps}");
    }
}
