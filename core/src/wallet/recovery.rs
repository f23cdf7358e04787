//! Social recovery as people live it: on a new device, asking guardians and taking the account
//! over after the delay; as a guardian, reading and approving a request; as the owner, being
//! told of a recovery and cancelling it.

use std::time::Duration;

use alloy_primitives::Address;

use super::send::receipt;
use super::{Receipt, Wallet, WalletError, WalletResult};
use crate::aa::SendProgress;
use crate::keys::Signer;
use crate::recovery::{
    self, ApprovalBundle, GuardianSigner, KeyLocation, Payload, RecoveryAlert, RecoveryRequest,
    RecoverySession, RecoveryStage,
};

/// How long guardians' approvals stay valid unless the caller says otherwise.
pub const DEFAULT_APPROVAL_VALIDITY: Duration = Duration::from_secs(7 * 24 * 3600);

/// Where a recovery stands on one network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainRecoveryStatus {
    /// The network.
    pub chain_id: u64,
    /// Its name.
    pub chain_name: String,
    /// The stage.
    pub stage: RecoveryStage,
    /// Approvals collected.
    pub approvals: u32,
    /// Approvals needed.
    pub threshold: u32,
    /// When the recovery can complete (Unix time), once started.
    pub execute_after: Option<u64>,
    /// The last problem met there, in words.
    pub last_error: Option<String>,
}

/// A recovery on this device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryStatus {
    /// Its id.
    pub id: String,
    /// The account being recovered.
    pub account: Address,
    /// The key taking over.
    pub new_owner: Address,
    /// The request to send to guardians (a link).
    pub request_link: String,
    /// Whether nothing more will happen on any network.
    pub finished: bool,
    /// Per network.
    pub chains: Vec<ChainRecoveryStatus>,
}

/// What a recovery request asks of a guardian.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSummary {
    /// The account to recover.
    pub account: Address,
    /// The key that would take it over.
    pub new_owner: Address,
    /// The request in plain words.
    pub description: String,
    /// The note the requester added.
    pub note: String,
    /// Until when approvals are valid (Unix time).
    pub valid_until: u64,
    /// The networks it covers.
    pub chain_ids: Vec<u64>,
}

/// What kind of news an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    /// A recovery is waiting for its delay: the owner can cancel it.
    Pending,
    /// Another key took the account over.
    Taken,
    /// The account was recovered elsewhere and is not yet recovered on this network.
    NotRecoveredHere,
}

/// What the owner of an account must know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// What kind of news.
    pub kind: AlertKind,
    /// The network.
    pub chain_id: u64,
    /// Its name.
    pub chain_name: String,
    /// The key that would take (or took) the account.
    pub new_owner: Address,
    /// When a pending recovery can complete (Unix time).
    pub execute_after: Option<u64>,
    /// Seconds left to cancel, by the chain's clock.
    pub seconds_left: Option<u64>,
    /// In plain words.
    pub message: String,
}

impl Alert {
    /// Whether the owner can still cancel it.
    pub fn cancellable(&self) -> bool {
        self.kind == AlertKind::Pending
    }
}

impl Wallet {
    /// On a new device: starts recovering `account` to `key` (this wallet's first key when
    /// `None`); guardians' approvals stay valid for `validity`. Kept in the vault.
    pub async fn start_recovery(
        &self,
        account: Address,
        key: Option<KeyLocation>,
        validity: Duration,
        note: &str,
    ) -> WalletResult<RecoveryStatus> {
        let (new_owner, key) = self.recovery_key(key)?;
        let mut session = self
            .recovery_client()?
            .create_session(account, new_owner, validity, note)
            .await?;
        session.new_owner_key = Some(key);
        self.unlocked(|v| Ok(v.save_recovery(&session)?))?;
        self.recovery_status(&session)
    }

    /// Recoveries on this device.
    pub fn recoveries(&self) -> WalletResult<Vec<RecoveryStatus>> {
        let sessions = self.unlocked(|v| Ok(v.recoveries()?))?;
        sessions.iter().map(|s| self.recovery_status(s)).collect()
    }

    fn session(&self, id: &str) -> WalletResult<RecoverySession> {
        self.unlocked(|v| {
            v.recoveries()?
                .into_iter()
                .find(|s| s.id == id)
                .ok_or_else(|| WalletError::RecoveryNotFound(id.to_owned()))
        })
    }

    /// Adds a guardian's approval (the link they sent back) after checking it; saved.
    pub async fn add_approval(&self, id: &str, link: &str) -> WalletResult<RecoveryStatus> {
        let bundle = ApprovalBundle::from_link(link.trim())?;
        let mut session = self.session(id)?;
        self.recovery_client()?
            .add_approvals(&mut session, &bundle)
            .await?;
        self.unlocked(|v| Ok(v.save_recovery(&session)?))?;
        self.recovery_status(&session)
    }

    /// Moves a recovery forward on every network: starts it once approved, completes it after
    /// the delay. Saved; a network's problem is in its `last_error`.
    pub async fn advance_recovery(
        &self,
        id: &str,
        progress: &(dyn Fn(u64, SendProgress) + Send + Sync),
    ) -> WalletResult<RecoveryStatus> {
        let mut session = self.session(id)?;
        let key = session
            .new_owner_key
            .clone()
            .ok_or(WalletError::RecoveryKeyMissing)?;
        let signer = self.unlocked(|v| Ok(v.signer(&key.wallet_id, key.index)?))?;
        // Per-network problems stay in the session; the session is what the person sees.
        let _ = self
            .recovery_client()?
            .advance(&mut session, &signer, progress)
            .await;
        self.unlocked(|v| Ok(v.save_recovery(&session)?))?;
        self.recovery_status(&session)
    }

    /// Forgets a recovery on this device; whether it was there.
    pub fn forget_recovery(&self, id: &str) -> WalletResult<bool> {
        self.unlocked(|v| Ok(v.remove_recovery(id)?))
    }

    fn recovery_status(&self, s: &RecoverySession) -> WalletResult<RecoveryStatus> {
        let registry = self.registry()?;
        Ok(RecoveryStatus {
            id: s.id.clone(),
            account: s.request.account,
            new_owner: s.request.new_owner,
            request_link: s.request.to_link(),
            finished: s.is_finished(),
            chains: s
                .chains
                .iter()
                .map(|c| ChainRecoveryStatus {
                    chain_id: c.chain_id,
                    chain_name: self.chain_name(&registry, c.chain_id),
                    stage: c.stage.clone(),
                    approvals: c.approvals.len() as u32,
                    threshold: c.threshold,
                    execute_after: match &c.stage {
                        RecoveryStage::Started { execute_after, .. } => Some(*execute_after),
                        _ => None,
                    },
                    last_error: c.last_error.clone(),
                })
                .collect(),
        })
    }

    /// As a guardian: what a recovery request asks, in plain words (`account_name`: whose
    /// account the guardian knows it as).
    pub fn describe_request(
        &self,
        link: &str,
        account_name: Option<&str>,
    ) -> WalletResult<RequestSummary> {
        let request = RecoveryRequest::from_link(link.trim())?;
        let registry = self.registry()?;
        Ok(RequestSummary {
            account: request.account,
            new_owner: request.new_owner,
            description: recovery::describe_request(&request, account_name, &registry),
            note: request.note.clone(),
            valid_until: request.chains.iter().map(|c| c.deadline).max().unwrap_or(0),
            chain_ids: request.chains.iter().map(|c| c.chain_id).collect(),
        })
    }

    /// As a guardian: approves a request with the key of `account` (the one named in the
    /// invitation reply), or as the smart account `account` itself when `as_smart_account`
    /// (a guardian that is a Harbor account); the approval link to send back.
    pub async fn approve_request(
        &self,
        link: &str,
        account: Address,
        as_smart_account: bool,
    ) -> WalletResult<String> {
        let request = RecoveryRequest::from_link(link.trim())?;
        let (signer, _) = self.signer_for(account).await?;
        let guardian = if as_smart_account {
            GuardianSigner::HarborAccount {
                account,
                owner: &signer,
            }
        } else {
            GuardianSigner::Key(&signer)
        };
        Ok(recovery::approve(&request, guardian)?.to_link())
    }

    /// What the owner of `account` must know on every active network: pending recoveries,
    /// takeovers, networks where it is not recovered yet.
    pub async fn alerts(&self, account: Address) -> WalletResult<Vec<Alert>> {
        let (signer, harbor) = self.signer_for(account).await?;
        let registry = self.registry()?;
        let alerts = self
            .recovery_client()?
            .alerts(&harbor, signer.address())
            .await?;
        Ok(alerts
            .into_iter()
            .map(|a| {
                let message = a.message();
                let (kind, chain_id, new_owner, execute_after, seconds_left) = match a {
                    RecoveryAlert::Pending {
                        chain_id,
                        new_owner,
                        execute_after,
                        seconds_left,
                        ..
                    } => (
                        AlertKind::Pending,
                        chain_id,
                        new_owner,
                        Some(execute_after),
                        Some(seconds_left),
                    ),
                    RecoveryAlert::OwnerChanged {
                        chain_id, owner, ..
                    } => (AlertKind::Taken, chain_id, owner, None, None),
                    RecoveryAlert::NotRecoveredHere {
                        chain_id, owner, ..
                    } => (AlertKind::NotRecoveredHere, chain_id, owner, None, None),
                };
                Alert {
                    kind,
                    chain_id,
                    chain_name: self.chain_name(&registry, chain_id),
                    new_owner,
                    execute_after,
                    seconds_left,
                    message,
                }
            })
            .collect())
    }

    /// Cancels a pending recovery of `account` on `chain_id` (sponsored).
    pub async fn cancel_recovery(
        &self,
        account: Address,
        chain_id: u64,
        progress: &(dyn Fn(SendProgress) + Send + Sync),
    ) -> WalletResult<Receipt> {
        let (signer, harbor) = self.signer_for(account).await?;
        let chain = self.chain(chain_id)?;
        let outcome = self
            .recovery_client()?
            .cancel(chain_id, &harbor, &signer, progress)
            .await?;
        Ok(receipt(&chain, &outcome))
    }
}
