//! The owner's side of a recovery: what to tell the person about their account, cancelling a
//! pending recovery, and finding how a recovered account was created.

use alloy_primitives::{Address, U256, keccak256};
use serde::{Deserialize, Serialize};

use super::{RecoveryClient, RecoveryError, cancel_call};
use crate::aa::{HARBOR_ACCOUNT_FACTORY, HarborAccount, SendOutcome, SendProgress};
use crate::keys::Signer;

/// Something the owner's wallet must tell its user about a recovery of their account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum RecoveryAlert {
    /// A recovery is in its security delay: the owner can still cancel it.
    #[serde(rename_all = "camelCase")]
    Pending {
        /// Chain id.
        chain_id: u64,
        /// The account.
        account: Address,
        /// Who would take control.
        new_owner: Address,
        /// How many guardians approved.
        approvals: u32,
        /// Unix time at which it can complete.
        execute_after: u64,
        /// Seconds the owner has left to cancel (by the chain's clock).
        seconds_left: u64,
    },
    /// Another key owns the account now (a recovery completed): this device lost control.
    #[serde(rename_all = "camelCase")]
    OwnerChanged {
        /// Chain id.
        chain_id: u64,
        /// The account.
        account: Address,
        /// The key that owns it now.
        owner: Address,
    },
    /// The account is not deployed on this chain and would be created for its first key, not
    /// this device's (the account was recovered elsewhere): do not receive funds there until the
    /// recovery is completed on this chain too.
    #[serde(rename_all = "camelCase")]
    NotRecoveredHere {
        /// Chain id.
        chain_id: u64,
        /// The account.
        account: Address,
        /// The key it would belong to there.
        owner: Address,
    },
}

impl RecoveryAlert {
    /// The chain the alert is about.
    pub fn chain_id(&self) -> u64 {
        match self {
            Self::Pending { chain_id, .. }
            | Self::OwnerChanged { chain_id, .. }
            | Self::NotRecoveredHere { chain_id, .. } => *chain_id,
        }
    }

    /// The alert in plain words.
    pub fn message(&self) -> String {
        match self {
            Self::Pending {
                chain_id,
                new_owner,
                approvals,
                execute_after,
                ..
            } => format!(
                "A recovery of your account started on chain {chain_id}: {approvals} guardians \
                 approved giving it to {new_owner}. It will complete at {} unless you cancel \
                 it. If this was not you, cancel now.",
                super::format_utc(*execute_after)
            ),
            Self::OwnerChanged {
                chain_id, owner, ..
            } => format!(
                "Your account on chain {chain_id} is now controlled by another key ({owner}), \
                 after a recovery. This device can no longer use it there."
            ),
            Self::NotRecoveredHere {
                chain_id, owner, ..
            } => format!(
                "Your account's address on chain {chain_id} still belongs to its former key \
                 ({owner}): the recovery is not complete there. Do not receive funds on that \
                 chain until it is."
            ),
        }
    }
}

impl RecoveryClient {
    /// What the owner holding `owner_key` must be told about `account`: recoveries pending on
    /// any chain (cancellable), chains where another key took over, and chains where the
    /// account is not deployed yet and would be created for another key (its first one). One
    /// poll: call it periodically (the desktop app every block interval or so).
    pub async fn alerts(
        &self,
        harbor: &HarborAccount,
        owner_key: Address,
    ) -> Result<Vec<RecoveryAlert>, RecoveryError> {
        let account = harbor.address();
        let mut alerts = Vec::new();
        for (chain_id, client) in &self.chains {
            let state = self.account_state(*chain_id, account).await?;
            if !state.deployed {
                if harbor.initial_owner != owner_key {
                    alerts.push(RecoveryAlert::NotRecoveredHere {
                        chain_id: *chain_id,
                        account,
                        owner: harbor.initial_owner,
                    });
                }
                continue;
            }
            if state.owner != owner_key {
                alerts.push(RecoveryAlert::OwnerChanged {
                    chain_id: *chain_id,
                    account,
                    owner: state.owner,
                });
            } else if let Some(pending) = state.pending {
                let now = client.node().latest_timestamp().await?;
                alerts.push(RecoveryAlert::Pending {
                    chain_id: *chain_id,
                    account,
                    new_owner: pending.new_owner,
                    approvals: pending.approvals,
                    execute_after: pending.execute_after,
                    seconds_left: pending.execute_after.saturating_sub(now),
                });
            }
        }
        Ok(alerts)
    }

    /// Cancels the pending recovery of the owner's account on `chain_id` (sponsored).
    pub async fn cancel(
        &self,
        chain_id: u64,
        account: &HarborAccount,
        owner: &dyn Signer,
        progress: &(dyn Fn(SendProgress) + Send + Sync),
    ) -> Result<SendOutcome, RecoveryError> {
        let address = account.address();
        let state = self.account_state(chain_id, address).await?;
        if state.pending.is_none() {
            return Err(RecoveryError::NothingPending { chain_id });
        }
        Ok(self
            .client(chain_id)?
            .send_calls(
                account,
                &owner,
                &[cancel_call(address)],
                &self.options,
                progress,
            )
            .await?)
    }

    /// The Harbor account at `account` as it was created (initial owner and salt), from the
    /// factory's `AccountCreated` log on the first configured chain that has it. A device that
    /// recovered an account needs it to send: the address comes from the key that created it.
    pub async fn locate_account(&self, account: Address) -> Result<HarborAccount, RecoveryError> {
        let topic0 = keccak256("AccountCreated(address,address,uint256)");
        for client in self.chains.values() {
            let logs = client
                .node()
                .logs_with_topic(HARBOR_ACCOUNT_FACTORY, topic0, account.into_word())
                .await?;
            for log in logs {
                let (Some(owner), Some(salt)) = (log.topics.get(2), log.data.get(..32)) else {
                    continue;
                };
                let found =
                    HarborAccount::new(Address::from_word(*owner), U256::from_be_slice(salt));
                if found.address() == account {
                    return Ok(found);
                }
            }
        }
        Err(RecoveryError::UnknownAccount { account })
    }
}
