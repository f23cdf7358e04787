//! The watcher of one chain: settles spend from the EntryPoint's logs (and undoes it when a
//! reorganisation replaces the blocks it came from), releases expired reservations, completes
//! receipts (counting each operation's fate for reputation), replaces stuck bundles within what
//! their operations pay, and refreshes the chain's fees and the metrics.

use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::B256;
use alloy_sol_types::SolEvent;
use harbor_core::aa::{IEntryPoint, UserOperation};
use harbor_core::keys::{LocalSigner, Signer};

use crate::chain::{BundleFees, ChainRuntime, Leading, unix_now};
use crate::metrics::Metrics;
use crate::store::lease::Fence;
use crate::store::{Outcome, RelayedOp, SettledEvent, Store};

impl ChainRuntime {
    /// One watcher round; returns this instance's fence when it leads the chain (and did the
    /// chain's single-writer work: settlement, expiry, queued and stuck bundles).
    pub async fn poll(
        &self,
        store: &Store,
        relayer: &LocalSigner,
        metrics: &Metrics,
    ) -> Result<Option<Fence>, String> {
        let chain = self.chain_id().to_string();
        let head = self
            .node
            .block_header(None)
            .await
            .map_err(|e| e.to_string())?;
        // Every instance answers requests, so every instance follows the head and the fees.
        self.set_latest_block(head.number);
        self.set_chain_time(head.timestamp);
        match self.read_fees().await {
            Ok(fees) => self.set_network_fees(fees),
            Err(e) => tracing::warn!(chain = %chain, error = %e.message, "fees not read"),
        }
        let fence = self
            .lead(store, relayer.address())
            .map_err(|e| e.to_string())?;
        metrics.set(
            "harbor_paymaster_leader",
            &[("chain", &chain)],
            if fence.is_some() { 1.0 } else { 0.0 },
        );
        let Some(fence) = fence else {
            self.export_metrics(store, relayer, metrics, head.number)
                .await;
            return Ok(None);
        };
        let rolled_back = self.undo_reorg(store, &fence).await?;
        if rolled_back > 0 {
            metrics.inc("harbor_paymaster_reorgs_total", &[("chain", &chain)]);
        }
        self.settle(store, head.number, &fence).await?;
        // Logs up to the head are settled; anything expired by its time can never be used.
        store
            .release_expired(self.chain_id(), head.timestamp, Some(&fence))
            .map_err(|e| e.to_string())?;
        self.submit_queued(store, relayer, metrics, &fence).await?;
        self.follow_relayed(store, relayer, metrics, head.timestamp, &fence)
            .await?;
        self.export_metrics(store, relayer, metrics, head.number)
            .await;
        Ok(Some(fence))
    }

    /// Submits the operations other instances accepted while this one leads the chain; an
    /// operation that no longer validates is dropped (its sender is told by its receipt: none).
    async fn submit_queued(
        &self,
        store: &Store,
        relayer: &LocalSigner,
        metrics: &Metrics,
        fence: &Fence,
    ) -> Result<(), String> {
        let chain = self.chain_id().to_string();
        for queued in store.queued(self.chain_id()).map_err(|e| e.to_string())? {
            let (Ok(op), Ok(hash)) = (
                serde_json::from_str::<UserOperation>(&queued.op_json),
                queued.hash.parse::<B256>(),
            ) else {
                continue;
            };
            let fees = BundleFees::for_op(&op, self.network_fees().await.map_err(|e| e.message)?);
            let outcome = match self.simulate(&op, relayer.address(), fees).await {
                Ok(_) => self
                    .submit(&op, hash, relayer, Leading { store, fence }, fees, None)
                    .await
                    .map(|tx_hash| tracing::info!(chain = %chain, user_op = %queued.hash, %tx_hash, "submitted a queued operation")),
                Err(e) => Err(e),
            };
            if let Err(e) = outcome {
                tracing::warn!(chain = %chain, user_op = %queued.hash, error = %e.message, "queued operation dropped");
                metrics.inc(
                    "harbor_paymaster_dropped_bundles_total",
                    &[("chain", &chain)],
                );
                let mut dropped = queued.clone();
                dropped.status = "dropped".into();
                store
                    .record_relayed(&dropped, Some(fence))
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    /// Checks the newest block read against the chain; on a mismatch walks back over the kept
    /// hashes to the last block both agree on and undoes everything settled after it.
    async fn undo_reorg(&self, store: &Store, fence: &Fence) -> Result<usize, String> {
        let known = store
            .recent_blocks(self.chain_id())
            .map_err(|e| e.to_string())?;
        let Some(&(newest, newest_hash)) = known.first() else {
            return Ok(0);
        };
        if self.block_hash(newest).await? == Some(newest_hash) {
            return Ok(0);
        }
        let mut fork = known.last().map_or(0, |(n, _)| n.saturating_sub(1));
        for &(number, hash) in &known[1..] {
            if self.block_hash(number).await? == Some(hash) {
                fork = number;
                break;
            }
        }
        let undone = store
            .rollback(self.chain_id(), fork, Some(fence))
            .map_err(|e| e.to_string())?;
        tracing::warn!(
            chain = self.chain_id(),
            fork,
            undone,
            "chain reorganisation: settlement re-read from the fork"
        );
        Ok(undone)
    }

    async fn block_hash(&self, number: u64) -> Result<Option<B256>, String> {
        match self.node.block_header(Some(number)).await {
            Ok(header) => Ok(Some(header.hash)),
            Err(harbor_core::rpc::RpcError::InvalidResponse { .. }) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    async fn settle(&self, store: &Store, latest: u64, fence: &Fence) -> Result<(), String> {
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
                events.push(SettledEvent {
                    sender: event.sender.to_string(),
                    nonce: format!("{:#x}", event.nonce),
                    actual_cost: event.actualGasCost.saturating_to::<u128>(),
                    hash: event.userOpHash.to_string(),
                    block: log.block_number.map_or(end, |b| b.to::<u64>()),
                    success: event.success,
                });
            }
            let end_hash = self
                .node
                .block_header(Some(end))
                .await
                .map_err(|e| e.to_string())?
                .hash;
            store
                .settle_range(
                    self.chain_id(),
                    &events,
                    end,
                    end_hash,
                    self.config.reorg_depth,
                    Some(fence),
                )
                .map_err(|e| e.to_string())?;
            start = end + 1;
        }
        Ok(())
    }

    async fn follow_relayed(
        &self,
        store: &Store,
        relayer: &LocalSigner,
        metrics: &Metrics,
        chain_time: u64,
        fence: &Fence,
    ) -> Result<(), String> {
        let chain = self.chain_id().to_string();
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
                Ok(Some((receipt, executed))) => {
                    let mut done = relayed.clone();
                    done.receipt_json = Some(receipt.to_string());
                    done.status = if executed { "included" } else { "failed" }.into();
                    store
                        .record_relayed(&done, Some(fence))
                        .map_err(|e| e.to_string())?;
                    let outcome = if executed {
                        Outcome::Included
                    } else {
                        metrics.inc(
                            "harbor_paymaster_failed_bundles_total",
                            &[("chain", &chain)],
                        );
                        Outcome::Failed
                    };
                    for entity in entities(&relayed) {
                        let _ = store.count(self.chain_id(), &entity, outcome);
                    }
                }
                Ok(None) => {
                    let age = unix_now().saturating_sub(relayed.submitted_at);
                    if age >= self.config.bump_after_seconds {
                        self.unstick(&relayed, relayer, store, metrics, chain_time, fence)
                            .await?;
                    }
                }
                Err(e) => {
                    tracing::warn!(chain = %chain, error = %e.message, "receipt lookup failed")
                }
            }
        }
        Ok(())
    }

    /// A bundle without receipt for a while: resend it with higher fees if the operation still
    /// pays for them (checked by simulating again); drop it when the operation no longer
    /// validates or its sponsorship expired. Never pays more per gas than the operation.
    async fn unstick(
        &self,
        relayed: &RelayedOp,
        relayer: &LocalSigner,
        store: &Store,
        metrics: &Metrics,
        chain_time: u64,
        fence: &Fence,
    ) -> Result<(), String> {
        let Ok(op) = serde_json::from_str::<UserOperation>(&relayed.op_json) else {
            return Ok(());
        };
        let chain = self.chain_id().to_string();
        let old = BundleFees {
            max_fee: relayed.max_fee,
            tip: relayed.priority_fee,
        };
        let expired = crate::sponsor::recover_sponsor(&op, self.chain_id())
            .is_some_and(|(_, valid_until, _)| valid_until != 0 && valid_until < chain_time);
        let next = old.bumped(&op);
        let still_valid = match next {
            Some(fees) if !expired => self.simulate(&op, relayer.address(), fees).await.is_ok(),
            _ => !expired,
        };
        if !still_valid {
            let cancel_fees = BundleFees {
                max_fee: old.max_fee + old.max_fee / 8 + 1,
                tip: old.tip + old.tip / 8 + 1,
            };
            match self.cancel(relayer, relayed.tx_nonce, cancel_fees).await {
                Ok(tx_hash) => {
                    tracing::warn!(chain = %chain, user_op = %relayed.hash, %tx_hash, "dropped a bundle that no longer pays");
                    metrics.inc(
                        "harbor_paymaster_dropped_bundles_total",
                        &[("chain", &chain)],
                    );
                    let mut dropped = relayed.clone();
                    dropped.status = "dropped".into();
                    store
                        .record_relayed(&dropped, Some(fence))
                        .map_err(|e| e.to_string())?;
                    for entity in entities(relayed) {
                        let _ = store.count(self.chain_id(), &entity, Outcome::Failed);
                    }
                }
                Err(e) => {
                    // "nonce too low": the bundle was mined; its receipt comes next round.
                    tracing::warn!(chain = %chain, user_op = %relayed.hash, error = %e.message, "cancel failed");
                }
            }
            return Ok(());
        }
        let Some(fees) = next else {
            // Already at the operation's own fees: wait for the market to come down.
            return Ok(());
        };
        let hash = relayed.hash.parse::<B256>().unwrap_or_default();
        match self
            .submit(
                &op,
                hash,
                relayer,
                Leading { store, fence },
                fees,
                Some(relayed),
            )
            .await
        {
            Ok(tx_hash) => {
                tracing::info!(chain = %chain, user_op = %relayed.hash, %tx_hash, max_fee = fees.max_fee, "replaced stuck bundle");
                metrics.inc("harbor_paymaster_bumps_total", &[("chain", &chain)]);
            }
            Err(e) => {
                tracing::warn!(chain = %chain, user_op = %relayed.hash, error = %e.message, "bump failed");
            }
        }
        Ok(())
    }

    async fn export_metrics(
        &self,
        store: &Store,
        relayer: &LocalSigner,
        metrics: &Metrics,
        latest: u64,
    ) {
        let chain = self.chain_id().to_string();
        if let Ok(totals) = store.totals(self.chain_id()) {
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
        }
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
    }

    /// The watcher loop (runs until the task is dropped): settlement, receipts, then the
    /// registered accounts' recovery alerts (`webhook_apps`: the apps with a webhook).
    pub async fn watch(
        self: Arc<Self>,
        store: Arc<Store>,
        relayer: LocalSigner,
        metrics: Arc<Metrics>,
        webhook_apps: std::collections::BTreeSet<String>,
    ) {
        let interval = Duration::from_millis(self.config.poll_interval_ms.max(50));
        loop {
            match self.poll(&store, &relayer, &metrics).await {
                Ok(None) => {}
                Ok(Some(fence)) => {
                    if let Err(error) = self
                        .watch_alerts(&store, self.latest_block(), &webhook_apps, Some(&fence))
                        .await
                    {
                        tracing::warn!(chain = self.chain_id(), %error, "alerts round failed");
                    }
                }
                Err(error) => {
                    tracing::warn!(chain = self.chain_id(), %error, "watcher round failed");
                }
            }
            tokio::time::sleep(interval).await;
        }
    }
}

/// The entities an operation's fate counts for: its sender, and its factory if it has one.
fn entities(relayed: &RelayedOp) -> Vec<String> {
    let op = serde_json::from_str::<UserOperation>(&relayed.op_json).ok();
    let (factory, paymaster) = op.map_or((None, None), |op| (op.factory, op.paymaster));
    std::iter::once(relayed.sender.clone())
        .chain(factory.map(|f| f.to_string()))
        .chain(paymaster.map(|p| p.to_string()))
        .collect()
}
