//! Guardians and social recovery: setting guardians, recovering on a new device (state kept in
//! the vault), approving as a guardian, and the owner's alert and cancel.

use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::U256;
use harbor_core::aa::{HarborAccount, SendProgress};
use harbor_core::chains::ChainRegistry;
use harbor_core::keys::Signer;
use harbor_core::recovery::{
    self as core_recovery, ApprovalBundle, Guardian, GuardianKind, GuardianSigner, Invitation,
    InvitationReply, KeyLocation, Payload, RecoveryClient, RecoveryRequest, RecoverySession,
    RecoveryStage,
};

use crate::error::{HarborError, Result, parse_address};
use crate::network::{ChainClient, ChainInfo, SendListener, SendReceipt};
use crate::run;
use crate::vault::Vault;

/// What kind of guardian.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum GuardianType {
    /// Another person's wallet.
    Person,
    /// A second device of the same user.
    OwnDevice,
    /// A hardware wallet.
    HardwareWallet,
    /// A contract (ERC-1271), e.g. another smart account.
    Contract,
}

impl From<GuardianType> for GuardianKind {
    fn from(t: GuardianType) -> Self {
        match t {
            GuardianType::Person => Self::Person,
            GuardianType::OwnDevice => Self::OwnDevice,
            GuardianType::HardwareWallet => Self::HardwareWallet,
            GuardianType::Contract => Self::Contract,
        }
    }
}

impl From<GuardianKind> for GuardianType {
    fn from(k: GuardianKind) -> Self {
        match k {
            GuardianKind::Person => Self::Person,
            GuardianKind::OwnDevice => Self::OwnDevice,
            GuardianKind::HardwareWallet => Self::HardwareWallet,
            GuardianKind::Contract => Self::Contract,
        }
    }
}

/// A guardian with the name the user gave it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GuardianInfo {
    /// Its approving address.
    pub address: String,
    /// The user's name for it (kept on this device only).
    pub name: String,
    /// What it is.
    pub kind: GuardianType,
}

/// An account's guardian set on one chain, as the contract has it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GuardianState {
    /// Chain id.
    pub chain_id: u64,
    /// Whether the account exists on this chain yet.
    pub deployed: bool,
    /// Owner key.
    pub owner: String,
    /// Guardian addresses.
    pub guardians: Vec<String>,
    /// Approvals a recovery needs.
    pub threshold: u32,
    /// Seconds between starting and completing a recovery.
    pub security_delay_seconds: u64,
    /// A pending recovery's new owner, if any.
    pub pending_new_owner: Option<String>,
    /// When the pending recovery can complete (Unix seconds).
    pub pending_execute_after: Option<u64>,
}

/// The recovery of one chain.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChainRecoveryInfo {
    /// Chain id.
    pub chain_id: u64,
    /// "collectingApprovals", "readyToSubmit", "started", "executed", "cancelled", "expired" or
    /// "stale".
    pub stage: String,
    /// Approvals collected.
    pub approvals: u32,
    /// Approvals needed.
    pub threshold: u32,
    /// When the security delay ends (Unix seconds), once started.
    pub execute_after: Option<u64>,
    /// The last transaction this device sent for it.
    pub transaction_hash: Option<String>,
    /// The last problem, in words.
    pub last_error: Option<String>,
}

/// A recovery in progress on this device (kept in the vault).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RecoveryProgress {
    /// Stable id.
    pub id: String,
    /// The account being recovered.
    pub account: String,
    /// This device's new owner key.
    pub new_owner: String,
    /// The request to send to guardians (text, link and QR data).
    pub request_link: String,
    /// Whether every chain reached its end.
    pub finished: bool,
    /// Per chain.
    pub chains: Vec<ChainRecoveryInfo>,
}

fn progress(session: &RecoverySession) -> RecoveryProgress {
    RecoveryProgress {
        id: session.id.clone(),
        account: session.request.account.to_checksum(None),
        new_owner: session.request.new_owner.to_checksum(None),
        request_link: session.request.to_link(),
        finished: session.is_finished(),
        chains: session
            .chains
            .iter()
            .map(|c| {
                let (stage, execute_after, tx) = match &c.stage {
                    RecoveryStage::CollectingApprovals => ("collectingApprovals", None, None),
                    RecoveryStage::ReadyToSubmit => ("readyToSubmit", None, None),
                    RecoveryStage::Started {
                        execute_after,
                        transaction_hash,
                    } => ("started", Some(*execute_after), *transaction_hash),
                    RecoveryStage::Executed { transaction_hash } => {
                        ("executed", None, *transaction_hash)
                    }
                    RecoveryStage::Cancelled => ("cancelled", None, None),
                    RecoveryStage::Expired => ("expired", None, None),
                    RecoveryStage::Stale => ("stale", None, None),
                };
                ChainRecoveryInfo {
                    chain_id: c.chain_id,
                    stage: stage.into(),
                    approvals: c.approvals.len() as u32,
                    threshold: c.threshold,
                    execute_after,
                    transaction_hash: tx.map(|h| h.to_string()),
                    last_error: c.last_error.clone(),
                }
            })
            .collect(),
    }
}

/// What the owner's wallet must show about a recovery of its account.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RecoveryAlertInfo {
    /// Chain id.
    pub chain_id: u64,
    /// `true`: pending (cancellable); `false`: another key already took over.
    pub cancellable: bool,
    /// The key that would own (or owns) the account.
    pub new_owner: String,
    /// When it completes (Unix seconds), if pending.
    pub execute_after: Option<u64>,
    /// Seconds left to cancel, if pending.
    pub seconds_left: Option<u64>,
    /// The alert in plain words.
    pub message: String,
}

fn send_progress(
    listener: Option<Arc<dyn SendListener>>,
) -> impl Fn(SendProgress) + Send + Sync + 'static {
    move |p| {
        if let Some(l) = &listener {
            crate::to_app(|| l.on_progress(p.into()));
        }
    }
}

fn load_session(vault: &Vault, id: &str) -> Result<RecoverySession> {
    vault
        .lock_inner()?
        .recoveries()?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| HarborError::input("there is no recovery with this id on this device"))
}

fn receipt(o: harbor_core::aa::SendOutcome) -> SendReceipt {
    SendReceipt {
        account: o.sender.to_checksum(None),
        user_op_hash: o.user_op_hash.to_string(),
        transaction_hash: o.transaction_hash.map(|h| h.to_string()),
        block_number: o.block_number,
        gas_cost_wei: o.actual_gas_cost.to_string(),
        sponsor: match o.paid_by {
            harbor_core::aa::GasPayer::Sponsor { name, .. } => {
                Some(name.unwrap_or_else(|| "a sponsor".into()))
            }
            harbor_core::aa::GasPayer::Account => None,
        },
        explorer_url: None,
    }
}

/// Guardian and recovery operations over a set of networks.
#[derive(uniffi::Object)]
pub struct RecoveryService {
    client: Arc<RecoveryClient>,
}

impl std::fmt::Debug for RecoveryService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryService")
    }
}

#[uniffi::export]
impl RecoveryService {
    /// A service over `chains` (each needs a bundler and a paymaster URL: every step is
    /// sponsored).
    #[uniffi::constructor]
    pub fn new(chains: Vec<ChainInfo>) -> Result<Arc<Self>> {
        let mut client = RecoveryClient::new();
        for chain in &chains {
            client = client.with_chain(ChainClient::account_client(chain)?);
        }
        Ok(Arc::new(Self {
            client: Arc::new(client),
        }))
    }

    /// The guardian set of `account` on `chain_id`.
    pub async fn guardian_state(&self, chain_id: u64, account: String) -> Result<GuardianState> {
        let account = parse_address(&account)?;
        let client = self.client.clone();
        run(async move {
            let s = client.account_state(chain_id, account).await?;
            Ok(GuardianState {
                chain_id,
                deployed: s.deployed,
                owner: s.owner.to_checksum(None),
                guardians: s.guardians.iter().map(|g| g.to_checksum(None)).collect(),
                threshold: s.threshold,
                security_delay_seconds: s.security_delay,
                pending_new_owner: s.pending.as_ref().map(|p| p.new_owner.to_checksum(None)),
                pending_execute_after: s.pending.map(|p| p.execute_after),
            })
        })
        .await
    }

    /// Makes `guardians` (with `threshold`) the guardians of the account of `wallet_id`'s
    /// account `index` on every chain of this service where that key controls it (one config
    /// signed once, applied sponsored where it is missing); their names are kept in the vault.
    /// Returns whether anything had to change on chain.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_guardians(
        &self,
        vault: Arc<Vault>,
        wallet_id: String,
        index: u32,
        initial_owner: Option<String>,
        guardians: Vec<GuardianInfo>,
        threshold: u32,
        listener: Option<Arc<dyn SendListener>>,
    ) -> Result<bool> {
        let (signer, account) = vault.owner_account(&wallet_id, index, initial_owner)?;
        let named = guardians
            .iter()
            .map(|g| {
                Ok(Guardian {
                    address: parse_address(&g.address)?,
                    name: g.name.clone(),
                    kind: g.kind.into(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let addresses: Vec<_> = named.iter().map(|g| g.address).collect();
        let client = self.client.clone();
        let changed = run(async move {
            let notify = send_progress(listener);
            let sent = client
                .set_guardians(&account, &signer, &addresses, threshold, &|_, p| notify(p))
                .await?;
            Ok(!sent.is_empty())
        })
        .await?;
        let mut v = vault.lock_inner()?;
        let address = account.address();
        for old in v.guardians(address)? {
            if !named.iter().any(|g| g.address == old.address) {
                v.remove_guardian(address, old.address)?;
            }
        }
        for g in &named {
            v.save_guardian(address, g)?;
        }
        Ok(changed)
    }

    /// On a new device: starts recovering `account` to the key of `wallet_id`'s account
    /// `index`. Approvals stay valid for `valid_for_seconds`. The recovery is kept in the vault.
    pub async fn start_recovery(
        &self,
        vault: Arc<Vault>,
        account: String,
        wallet_id: String,
        index: u32,
        valid_for_seconds: u64,
        note: String,
    ) -> Result<RecoveryProgress> {
        let account = parse_address(&account)?;
        let new_owner = vault.signer(&wallet_id, index)?.address();
        let client = self.client.clone();
        let mut session = run(async move {
            Ok(client
                .create_session(
                    account,
                    new_owner,
                    Duration::from_secs(valid_for_seconds),
                    &note,
                )
                .await?)
        })
        .await?;
        session.new_owner_key = Some(KeyLocation { wallet_id, index });
        vault.lock_inner()?.save_recovery(&session)?;
        Ok(progress(&session))
    }

    /// Adds a guardian's approval (the link they sent back) after checking it; saved.
    pub async fn add_approval(
        &self,
        vault: Arc<Vault>,
        recovery_id: String,
        approval_link: String,
    ) -> Result<RecoveryProgress> {
        let bundle = ApprovalBundle::from_link(&approval_link)?;
        let mut session = load_session(&vault, &recovery_id)?;
        let client = self.client.clone();
        let session = run(async move {
            client.add_approvals(&mut session, &bundle).await?;
            Ok(session)
        })
        .await?;
        vault.lock_inner()?.save_recovery(&session)?;
        Ok(progress(&session))
    }

    /// Moves the recovery forward on every chain (start when approved, complete when the delay
    /// is over); saved. Problems are in each chain's `last_error`.
    pub async fn advance_recovery(
        &self,
        vault: Arc<Vault>,
        recovery_id: String,
        listener: Option<Arc<dyn SendListener>>,
    ) -> Result<RecoveryProgress> {
        let mut session = load_session(&vault, &recovery_id)?;
        let key = session
            .new_owner_key
            .clone()
            .ok_or_else(|| HarborError::internal("the recovery does not say where its key is"))?;
        let signer = vault.signer(&key.wallet_id, key.index)?;
        let client = self.client.clone();
        let session = run(async move {
            let notify = send_progress(listener);
            // Per-chain problems are kept in the session; the session is what the app shows.
            let _ = client
                .advance(&mut session, &signer, &|_, p| notify(p))
                .await;
            Ok(session)
        })
        .await?;
        vault.lock_inner()?.save_recovery(&session)?;
        Ok(progress(&session))
    }

    /// What the owner holding `owner_key` must be told about its account (one poll): the
    /// account of `initial_owner` (for a recovered account; `owner_key` when `None`), salt 0.
    pub async fn alerts(
        &self,
        owner_key: String,
        initial_owner: Option<String>,
    ) -> Result<Vec<RecoveryAlertInfo>> {
        let owner_key = parse_address(&owner_key)?;
        let initial = initial_owner
            .as_deref()
            .map(parse_address)
            .transpose()?
            .unwrap_or(owner_key);
        let harbor = HarborAccount::new(initial, U256::ZERO);
        let client = self.client.clone();
        run(async move {
            Ok(client
                .alerts(&harbor, owner_key)
                .await?
                .into_iter()
                .map(|a| {
                    let message = a.message();
                    match a {
                        core_recovery::RecoveryAlert::Pending {
                            chain_id,
                            new_owner,
                            execute_after,
                            seconds_left,
                            ..
                        } => RecoveryAlertInfo {
                            chain_id,
                            cancellable: true,
                            new_owner: new_owner.to_checksum(None),
                            execute_after: Some(execute_after),
                            seconds_left: Some(seconds_left),
                            message,
                        },
                        core_recovery::RecoveryAlert::OwnerChanged {
                            chain_id, owner, ..
                        }
                        | core_recovery::RecoveryAlert::NotRecoveredHere {
                            chain_id, owner, ..
                        } => RecoveryAlertInfo {
                            chain_id,
                            cancellable: false,
                            new_owner: owner.to_checksum(None),
                            execute_after: None,
                            seconds_left: None,
                            message,
                        },
                    }
                })
                .collect())
        })
        .await
    }

    /// Cancels a pending recovery of the owner's account on `chain_id` (sponsored).
    pub async fn cancel_recovery(
        &self,
        vault: Arc<Vault>,
        wallet_id: String,
        index: u32,
        initial_owner: Option<String>,
        chain_id: u64,
        listener: Option<Arc<dyn SendListener>>,
    ) -> Result<SendReceipt> {
        let (signer, account) = vault.owner_account(&wallet_id, index, initial_owner)?;
        let client = self.client.clone();
        run(async move {
            Ok(receipt(
                client
                    .cancel(chain_id, &account, &signer, &send_progress(listener))
                    .await?,
            ))
        })
        .await
    }
}

/// Recoveries in progress on this device.
#[uniffi::export]
pub fn saved_recoveries(vault: Arc<Vault>) -> Result<Vec<RecoveryProgress>> {
    Ok(vault
        .lock_inner()?
        .recoveries()?
        .iter()
        .map(progress)
        .collect())
}

/// Forgets a recovery (after it finished, or to start over).
#[uniffi::export]
pub fn remove_recovery(vault: Arc<Vault>, recovery_id: String) -> Result<bool> {
    Ok(vault.lock_inner()?.remove_recovery(&recovery_id)?)
}

/// The guardians of `account` the user named.
#[uniffi::export]
pub fn named_guardians(vault: Arc<Vault>, account: String) -> Result<Vec<GuardianInfo>> {
    Ok(vault
        .lock_inner()?
        .guardians(parse_address(&account)?)?
        .into_iter()
        .map(|g| GuardianInfo {
            address: g.address.to_checksum(None),
            name: g.name,
            kind: g.kind.into(),
        })
        .collect())
}

/// As a guardian: what a recovery request asks, in plain words (`account_name`: whose account
/// it is, as the guardian knows them).
#[uniffi::export]
pub fn describe_recovery_request(
    request_link: String,
    account_name: Option<String>,
) -> Result<String> {
    let request = RecoveryRequest::from_link(&request_link)?;
    Ok(core_recovery::describe_request(
        &request,
        account_name.as_deref(),
        &ChainRegistry::new(vec![]),
    ))
}

/// As a guardian: approves a recovery request on every chain it names with the key of
/// `wallet_id`'s account `index` (or, with `guardian_account`, as that Harbor smart account of
/// the key); returns the approval link to send back.
#[uniffi::export]
pub fn approve_recovery_request(
    vault: Arc<Vault>,
    wallet_id: String,
    index: u32,
    request_link: String,
    guardian_account: Option<String>,
) -> Result<String> {
    let request = RecoveryRequest::from_link(&request_link)?;
    let signer = vault.signer(&wallet_id, index)?;
    let guardian = match guardian_account {
        Some(a) => GuardianSigner::HarborAccount {
            account: parse_address(&a)?,
            owner: &signer,
        },
        None => GuardianSigner::Key(&signer),
    };
    Ok(core_recovery::approve(&request, guardian)?.to_link())
}

/// The threshold we suggest for `guardians` guardians (a majority).
#[uniffi::export]
pub fn suggested_threshold(guardians: u32) -> u32 {
    core_recovery::suggested_threshold(guardians as usize)
}

/// Warnings, in words, about a guardian set (empty when it is sound).
#[uniffi::export]
pub fn review_guardians(guardians: u32, threshold: u32) -> Vec<String> {
    core_recovery::review_guardians(guardians as usize, threshold)
        .iter()
        .map(|w| w.message())
        .collect()
}

/// An invitation to guard `account` on `chains`, as a link (also text and QR data).
#[uniffi::export]
pub fn guardian_invitation(
    account: String,
    chains: Vec<u64>,
    owner_name: String,
    kind: GuardianType,
) -> Result<String> {
    Ok(Invitation {
        account: parse_address(&account)?,
        chains,
        owner_name: core_recovery::clean_note(&owner_name),
        kind: kind.into(),
    }
    .to_link())
}

/// As the invited guardian: the answer to send back, approving with `guardian_address`.
#[uniffi::export]
pub fn accept_guardian_invitation(
    invitation_link: String,
    guardian_address: String,
    name: String,
) -> Result<String> {
    let invitation = Invitation::from_link(&invitation_link)?;
    Ok(invitation
        .accept(parse_address(&guardian_address)?, &name)
        .to_link())
}

/// As the owner: reads a guardian's answer to an invitation.
#[uniffi::export]
pub fn read_guardian_reply(reply_link: String) -> Result<GuardianInfo> {
    let reply = InvitationReply::from_link(&reply_link)?;
    Ok(GuardianInfo {
        address: reply.guardian.to_checksum(None),
        name: reply.name,
        kind: reply.kind.into(),
    })
}
