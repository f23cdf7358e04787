//! Operations that span the vault and the network: a send that keeps the activity list and the
//! address book up to date, whatever happens on the way.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::aa::{
    AccountCall, AccountClient, GasPayer, HarborAccount, SendError, SendOptions, SendOutcome,
    SendProgress,
};
use crate::keys::Signer;
use crate::vault::{ActivityEntry, ActivityStatus, TransferSummary, Vault};

/// A vault shared between the app's tasks.
pub type SharedVault = Arc<Mutex<Vault>>;

/// What the activity list says about a send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRecord {
    /// The chain it is sent on.
    pub chain_id: u64,
    /// What it is, in words (English; used when there is no `transfer`).
    pub description: String,
    /// The transfer it makes, if it is one (the recipient is remembered once it is included).
    pub transfer: Option<TransferSummary>,
}

/// Sends `calls` from `account` like [`AccountClient::send_calls`], and records the operation:
/// pending once the bundler has it, then confirmed (with gas and sponsor) or failed. A failure
/// to write the record never hides the send's own outcome.
#[allow(clippy::too_many_arguments)] // Mirrors `AccountClient::send_calls` plus the vault and record.
pub async fn send_recorded(
    vault: &SharedVault,
    client: &AccountClient,
    account: &HarborAccount,
    signer: &dyn Signer,
    calls: &[AccountCall],
    options: &SendOptions,
    record: SendRecord,
    progress: &(dyn Fn(SendProgress) + Send + Sync),
) -> Result<SendOutcome, SendError> {
    let sender = account.address();
    let entry = |id: String, status| ActivityEntry {
        id,
        chain_id: record.chain_id,
        account: sender,
        description: record.description.clone(),
        status,
        transaction_hash: None,
        gas_cost_wei: None,
        sponsor: None,
        error: None,
        created_at: now(),
        transfer: record.transfer.clone(),
    };
    let save = |e: &ActivityEntry| {
        if let Ok(mut v) = vault.lock()
            && let Err(error) = v.record_activity(e)
        {
            tracing::warn!(%error, "could not record an activity entry");
        }
    };
    let observe = |p: SendProgress| {
        if let SendProgress::Submitted { user_op_hash } = &p {
            save(&entry(user_op_hash.to_string(), ActivityStatus::Pending));
        }
        progress(p);
    };
    let result = client
        .send_calls(account, signer, calls, options, &observe)
        .await;
    match &result {
        Ok(outcome) => {
            let mut done = entry(outcome.user_op_hash.to_string(), ActivityStatus::Confirmed);
            done.transaction_hash = outcome.transaction_hash.map(|h| h.to_string());
            done.gas_cost_wei = Some(outcome.actual_gas_cost.to_string());
            done.sponsor = sponsor_name(&outcome.paid_by);
            save(&done);
            if let (Some(t), Ok(mut v)) = (&record.transfer, vault.lock())
                && let Err(error) = v.note_recipient(t.to, now())
            {
                tracing::warn!(%error, "could not remember the recipient");
            }
        }
        Err(SendError::Reverted {
            user_op_hash: Some(hash),
            ..
        }) => {
            let mut failed = entry(hash.to_string(), ActivityStatus::Failed);
            failed.error = result.as_ref().err().map(ToString::to_string);
            save(&failed);
        }
        Err(_) => {}
    }
    result
}

/// The sponsor's display name, or `None` when the account paid.
pub fn sponsor_name(payer: &GasPayer) -> Option<String> {
    match payer {
        GasPayer::Sponsor { name, .. } => Some(name.clone().unwrap_or_else(|| "a sponsor".into())),
        GasPayer::Account => None,
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
