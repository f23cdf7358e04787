//! Guardians and social recovery: guardians on every network, recovering on a new device (kept
//! in the vault), approving as a guardian, the owner's alerts and cancel — adapters over
//! `harbor_core::wallet::Wallet`.

use std::sync::Arc;
use std::time::Duration;

use harbor_core::recovery::{self as core_recovery, KeyLocation};
use harbor_core::wallet::{self as core_wallet, AlertKind as CoreAlertKind};

use crate::error::{Result, parse_address};
use crate::network::{SendListener, notify};
use crate::run;
use crate::wallet::{Receipt, Wallet, receipt};

/// What kind of guardian it is (for names and advice; all sign the same way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum GuardianKind {
    /// A friend or relative.
    Person,
    /// Another device of the owner.
    OwnDevice,
    /// A hardware wallet.
    HardwareWallet,
    /// A contract (a multisig, another smart account).
    Contract,
}

impl From<GuardianKind> for core_recovery::GuardianKind {
    fn from(t: GuardianKind) -> Self {
        match t {
            GuardianKind::Person => Self::Person,
            GuardianKind::OwnDevice => Self::OwnDevice,
            GuardianKind::HardwareWallet => Self::HardwareWallet,
            GuardianKind::Contract => Self::Contract,
        }
    }
}

impl From<core_recovery::GuardianKind> for GuardianKind {
    fn from(k: core_recovery::GuardianKind) -> Self {
        match k {
            core_recovery::GuardianKind::Person => Self::Person,
            core_recovery::GuardianKind::OwnDevice => Self::OwnDevice,
            core_recovery::GuardianKind::HardwareWallet => Self::HardwareWallet,
            core_recovery::GuardianKind::Contract => Self::Contract,
        }
    }
}

/// A guardian with the owner's name for them.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Guardian {
    /// The guardian's address.
    pub address: String,
    /// The owner's name for them.
    pub name: String,
    /// What kind of guardian.
    pub kind: GuardianKind,
}

fn guardian(g: core_recovery::Guardian) -> Guardian {
    Guardian {
        address: g.address.to_checksum(None),
        name: g.name,
        kind: g.kind.into(),
    }
}

/// The guardians of an account on one network.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GuardianSet {
    /// The network.
    pub chain_id: u64,
    /// Its name.
    pub chain_name: String,
    /// Whether the account exists there yet.
    pub deployed: bool,
    /// The guardians, with the names kept in the vault.
    pub guardians: Vec<Guardian>,
    /// Approvals a recovery needs.
    pub threshold: u32,
    /// Seconds between the start of a recovery and when it can complete.
    pub security_delay_seconds: u64,
    /// Why the network could not be read, in words.
    pub error: Option<String>,
}

/// Where a recovery stands on one network.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChainRecoveryStatus {
    /// The network.
    pub chain_id: u64,
    /// Its name.
    pub chain_name: String,
    /// `collectingApprovals`, `readyToSubmit`, `started`, `executed`, `cancelled`, `expired`
    /// or `stale`.
    pub stage: String,
    /// Approvals collected.
    pub approvals: u32,
    /// Approvals needed.
    pub threshold: u32,
    /// When it can complete (Unix seconds), once started.
    pub execute_after: Option<u64>,
    /// The last problem met there, in words.
    pub last_error: Option<String>,
}

/// A recovery on this device.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RecoveryStatus {
    /// Its id.
    pub id: String,
    /// The account being recovered.
    pub account: String,
    /// The key taking over.
    pub new_owner: String,
    /// The request to send to guardians (a link, also the QR content).
    pub request_link: String,
    /// Whether nothing more will happen on any network.
    pub finished: bool,
    /// Per network.
    pub chains: Vec<ChainRecoveryStatus>,
}

fn status(s: core_wallet::RecoveryStatus) -> RecoveryStatus {
    RecoveryStatus {
        id: s.id,
        account: s.account.to_checksum(None),
        new_owner: s.new_owner.to_checksum(None),
        request_link: s.request_link,
        finished: s.finished,
        chains: s
            .chains
            .into_iter()
            .map(|c| ChainRecoveryStatus {
                chain_id: c.chain_id,
                chain_name: c.chain_name,
                stage: c.stage.name().into(),
                approvals: c.approvals,
                threshold: c.threshold,
                execute_after: c.execute_after,
                last_error: c.last_error,
            })
            .collect(),
    }
}

/// What a recovery request asks of a guardian.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RequestSummary {
    /// The account to recover.
    pub account: String,
    /// The key that would take it over.
    pub new_owner: String,
    /// The request in plain words.
    pub description: String,
    /// The requester's note.
    pub note: String,
    /// Until when approvals are valid (Unix seconds).
    pub valid_until: u64,
    /// The networks it covers.
    pub chain_ids: Vec<u64>,
}

/// What kind of news an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AlertKind {
    /// A recovery waits for its delay: the owner can cancel it.
    Pending,
    /// Another key took the account over.
    Taken,
    /// Recovered elsewhere, not yet on this network.
    NotRecoveredHere,
}

/// What the owner of an account must know.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Alert {
    /// What kind of news.
    pub kind: AlertKind,
    /// The network.
    pub chain_id: u64,
    /// Its name.
    pub chain_name: String,
    /// Whether the owner can still cancel it.
    pub cancellable: bool,
    /// The key that would take (or took) the account.
    pub new_owner: String,
    /// When a pending recovery can complete (Unix seconds).
    pub execute_after: Option<u64>,
    /// Seconds left to cancel.
    pub seconds_left: Option<u64>,
    /// In plain words.
    pub message: String,
}

fn alert(a: core_wallet::Alert) -> Alert {
    Alert {
        kind: match a.kind {
            CoreAlertKind::Pending => AlertKind::Pending,
            CoreAlertKind::Taken => AlertKind::Taken,
            CoreAlertKind::NotRecoveredHere => AlertKind::NotRecoveredHere,
        },
        cancellable: a.cancellable(),
        chain_id: a.chain_id,
        chain_name: a.chain_name,
        new_owner: a.new_owner.to_checksum(None),
        execute_after: a.execute_after,
        seconds_left: a.seconds_left,
        message: a.message,
    }
}

#[uniffi::export]
impl Wallet {
    /// The guardians of `account` on every network with a bundler.
    pub async fn guardians(&self, account: String) -> Result<Vec<GuardianSet>> {
        let account = parse_address(&account)?;
        let wallet = self.inner.clone();
        run(async move {
            let sets = wallet.guardians(account).await?;
            Ok(sets
                .into_iter()
                .map(|s| GuardianSet {
                    chain_id: s.chain_id,
                    chain_name: s.chain_name,
                    deployed: s.deployed,
                    guardians: s.guardians.into_iter().map(guardian).collect(),
                    threshold: s.threshold,
                    security_delay_seconds: s.security_delay_seconds,
                    error: s.error.map(|e| e.to_string()),
                })
                .collect())
        })
        .await
    }

    /// Makes `guardians` (with `threshold`) the guardians of `account` on every network (one
    /// owner-signed setting, applied sponsored where missing); names kept in the vault.
    /// Returns how many networks needed a change.
    pub async fn set_guardians(
        &self,
        account: String,
        guardians: Vec<Guardian>,
        threshold: u32,
        listener: Option<Arc<dyn SendListener>>,
    ) -> Result<u32> {
        let account = parse_address(&account)?;
        let guardians = guardians
            .into_iter()
            .map(|g| {
                Ok(core_recovery::Guardian {
                    address: parse_address(&g.address)?,
                    name: g.name,
                    kind: g.kind.into(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let wallet = self.inner.clone();
        run(async move {
            let progress = notify(listener);
            let changed = wallet
                .set_guardians(account, &guardians, threshold, &|_, p| progress(p))
                .await?;
            Ok(changed)
        })
        .await
    }

    /// An invitation (a link, also the QR content) asking someone to guard `account`.
    pub fn create_invitation(
        &self,
        account: String,
        owner_name: String,
        kind: GuardianKind,
    ) -> Result<String> {
        let account = parse_address(&account)?;
        Ok(self
            .inner
            .create_invitation(account, &owner_name, kind.into())?)
    }

    /// As the invited guardian: the reply to send back, naming the key of `account` (one of
    /// this wallet's) as the guardian.
    pub async fn accept_invitation(
        &self,
        link: String,
        account: String,
        name: String,
    ) -> Result<String> {
        let account = parse_address(&account)?;
        let wallet = self.inner.clone();
        run(async move { Ok(wallet.accept_invitation(&link, account, &name).await?) }).await
    }

    /// On a new device: starts recovering `account` to the key of `wallet_id`'s account
    /// `index` (the first key when `None`); approvals stay valid `valid_for_seconds`.
    pub async fn start_recovery(
        &self,
        account: String,
        wallet_id: Option<String>,
        index: u32,
        valid_for_seconds: u64,
        note: String,
    ) -> Result<RecoveryStatus> {
        let account = parse_address(&account)?;
        let key = wallet_id.map(|wallet_id| KeyLocation { wallet_id, index });
        let validity = Duration::from_secs(valid_for_seconds);
        let wallet = self.inner.clone();
        run(async move {
            let started = wallet.start_recovery(account, key, validity, &note).await?;
            Ok(status(started))
        })
        .await
    }

    /// Recoveries on this device.
    pub fn recoveries(&self) -> Result<Vec<RecoveryStatus>> {
        Ok(self.inner.recoveries()?.into_iter().map(status).collect())
    }

    /// Adds a guardian's approval (the link they sent back) after checking it; saved.
    pub async fn add_approval(&self, recovery_id: String, link: String) -> Result<RecoveryStatus> {
        let wallet = self.inner.clone();
        run(async move { Ok(status(wallet.add_approval(&recovery_id, &link).await?)) }).await
    }

    /// Moves a recovery forward on every network (start when approved, complete after the
    /// delay); saved. Problems are in each network's `last_error`.
    pub async fn advance_recovery(
        &self,
        recovery_id: String,
        listener: Option<Arc<dyn SendListener>>,
    ) -> Result<RecoveryStatus> {
        let wallet = self.inner.clone();
        run(async move {
            let progress = notify(listener);
            let advanced = wallet
                .advance_recovery(&recovery_id, &|_, p| progress(p))
                .await?;
            Ok(status(advanced))
        })
        .await
    }

    /// Forgets a recovery on this device; whether it was there.
    pub fn forget_recovery(&self, recovery_id: String) -> Result<bool> {
        Ok(self.inner.forget_recovery(&recovery_id)?)
    }

    /// As a guardian: what a recovery request asks (`account_name`: whose account it is).
    pub fn describe_request(
        &self,
        link: String,
        account_name: Option<String>,
    ) -> Result<RequestSummary> {
        let r = self
            .inner
            .describe_request(&link, account_name.as_deref())?;
        Ok(RequestSummary {
            account: r.account.to_checksum(None),
            new_owner: r.new_owner.to_checksum(None),
            description: r.description,
            note: r.note,
            valid_until: r.valid_until,
            chain_ids: r.chain_ids,
        })
    }

    /// As a guardian: approves a request with the key of `account`, or as the smart account
    /// `account` when `as_smart_account`; the approval link to send back.
    pub async fn approve_request(
        &self,
        link: String,
        account: String,
        as_smart_account: bool,
    ) -> Result<String> {
        let account = parse_address(&account)?;
        let wallet = self.inner.clone();
        run(async move {
            Ok(wallet
                .approve_request(&link, account, as_smart_account)
                .await?)
        })
        .await
    }

    /// What the owner of `account` must know on every network (one poll).
    pub async fn alerts(&self, account: String) -> Result<Vec<Alert>> {
        let account = parse_address(&account)?;
        let wallet = self.inner.clone();
        run(async move {
            Ok(wallet
                .alerts(account)
                .await?
                .into_iter()
                .map(alert)
                .collect())
        })
        .await
    }

    /// Cancels a pending recovery of `account` on `chain_id` (sponsored).
    pub async fn cancel_recovery(
        &self,
        account: String,
        chain_id: u64,
        listener: Option<Arc<dyn SendListener>>,
    ) -> Result<Receipt> {
        let account = parse_address(&account)?;
        let wallet = self.inner.clone();
        run(async move {
            let sent = wallet
                .cancel_recovery(account, chain_id, &notify(listener))
                .await?;
            Ok(receipt(sent))
        })
        .await
    }
}

/// The threshold Harbor suggests for this many guardians.
#[uniffi::export]
pub fn suggested_threshold(guardians: u32) -> u32 {
    core_wallet::guardian_advice(guardians, 0).suggested_threshold
}

/// What to know about `guardians` with `threshold`, in plain words, most serious first.
#[uniffi::export]
pub fn review_guardians(guardians: u32, threshold: u32) -> Vec<String> {
    core_wallet::guardian_advice(guardians, threshold)
        .warnings
        .iter()
        .map(|w| w.message())
        .collect()
}

/// As the owner: the guardian an invitation reply names.
#[uniffi::export]
pub fn read_invitation_reply(link: String) -> Result<Guardian> {
    let reply = core_wallet::read_invitation_reply(&link)?;
    Ok(Guardian {
        address: reply.guardian.to_checksum(None),
        name: reply.name,
        kind: reply.kind.into(),
    })
}
