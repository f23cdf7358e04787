//! Getting an account back without its key.
//!
//! - Guardians ([`guardian_changes`], [`review_guardians`]): people or devices who can together
//!   move the account to a new owner key after a security delay, which the owner can cancel.
//! - The flow on a new device ([`RecoverySession`], and over the network [`RecoveryClient`]):
//!   a [`RecoveryRequest`] for guardians, their [`ApprovalBundle`]s checked locally, the
//!   recovery started, then executed when the delay is over, on every chain of the account.
//! - The owner's settings ([`SignedConfig`]): guardians, threshold and delay signed once and
//!   applied on every chain, also on chains where the account is deployed later.
//! - The owner's protection ([`RecoveryClient::alerts`], [`cancel_call`],
//!   [`invalidate_approvals_call`]).
//! - Paper backups without any on-chain step: SLIP-39 shares ([`shamir`]).

mod approval;
#[cfg(feature = "net")]
mod client;
mod config;
mod guardians;
mod payload;
mod session;
pub mod shamir;
#[cfg(feature = "net")]
mod watch;

use alloy_primitives::Address;

pub use approval::{
    AccountState, GuardianSigner, PendingState, SignatureCheck, approve, check_approval,
    describe_request, harbor_message_digest, latest_config, recovery_digest,
};
#[cfg(feature = "net")]
pub use client::RecoveryClient;
pub use config::{
    DEFAULT_SECURITY_DELAY, MAX_SECURITY_DELAY, MIN_SECURITY_DELAY, SignedConfig, check_settings,
    config_digest, invalidate_approvals_call,
};
pub use guardians::{
    Guardian, GuardianKind, GuardianWarning, MAX_GUARDIANS, cancel_call, review_guardians,
    suggested_threshold,
};
pub use payload::{
    ApprovalBundle, ChainApproval, ChainTarget, Invitation, InvitationReply, MAX_NOTE_CHARS,
    Payload, RecoveryRequest, clean_note,
};
pub use session::{
    ChainRecovery, CollectedApproval, ContractCheck, KeyLocation, RecoverySession, RecoveryStage,
};
#[cfg(feature = "net")]
pub use watch::RecoveryAlert;

/// Errors of guardian management and recovery, each a sentence for the person using the wallet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecoveryError {
    /// An address cannot be a guardian.
    #[error("{address} cannot be a guardian: {reason}")]
    InvalidGuardian {
        /// The address.
        address: Address,
        /// Why not.
        reason: &'static str,
    },
    /// More than the contract's 16 guardians.
    #[error("an account can have at most 16 guardians ({count} requested)")]
    TooManyGuardians {
        /// How many were asked for.
        count: usize,
    },
    /// The threshold does not fit the guardians.
    #[error("{threshold} approvals cannot be required with {guardians} guardians")]
    InvalidThreshold {
        /// The threshold.
        threshold: u32,
        /// The number of guardians.
        guardians: u32,
    },
    /// The security delay is outside what the account accepts.
    #[error("a security delay of {seconds} s is not allowed: choose between 1 and 90 days")]
    InvalidSecurityDelay {
        /// The delay asked for.
        seconds: u64,
    },
    /// A link or pasted text is not a valid payload.
    #[error("{0}")]
    InvalidPayload(String),
    /// A valid payload of another kind (e.g. a request pasted where an approval was expected).
    #[error("this Harbor link is a {found} link; a {expected} link was expected")]
    WrongPayload {
        /// The kind expected.
        expected: &'static str,
        /// The kind found.
        found: String,
    },
    /// The account does not exist on any configured chain.
    #[error("account {account} is not deployed on any of the configured chains")]
    UnknownAccount {
        /// The account.
        account: Address,
    },
    /// The account has no guardians on a chain.
    #[error(
        "account {account} has no guardians on chain {chain_id}, so it cannot be recovered there"
    )]
    NoGuardians {
        /// The account.
        account: Address,
        /// The chain.
        chain_id: u64,
    },
    /// The approval is for another account.
    #[error("this approval is for account {found}, not {expected}")]
    WrongAccount {
        /// The account being recovered.
        expected: Address,
        /// The account in the approval.
        found: Address,
    },
    /// The approval is for another new owner.
    #[error("this approval gives the account to {found}, not to this device's key {expected}")]
    WrongNewOwner {
        /// This device's key.
        expected: Address,
        /// The key in the approval.
        found: Address,
    },
    /// The approval or request names a chain this recovery does not cover.
    #[error("chain {chain_id} is not part of this recovery")]
    ChainNotRequested {
        /// The chain.
        chain_id: u64,
    },
    /// The approval answers a different request (other deadline or nonce) for this account.
    #[error(
        "this approval answers a different recovery request on chain {chain_id}; ask the guardian to approve the current one"
    )]
    NotThisRequest {
        /// The chain.
        chain_id: u64,
    },
    /// The approval's deadline passed.
    #[error("this approval expired at {}; ask the guardian for a new one", format_utc(*deadline))]
    Expired {
        /// The deadline (Unix time).
        deadline: u64,
    },
    /// The approval was for an earlier recovery (since executed or cancelled).
    #[error(
        "this approval belongs to an earlier recovery on chain {chain_id} that was completed or cancelled; it cannot be used again"
    )]
    StaleApproval {
        /// The chain.
        chain_id: u64,
    },
    /// The signer is not (or no longer) a guardian.
    #[error("{guardian} is not a guardian of this account on chain {chain_id}")]
    NotAGuardian {
        /// The signer.
        guardian: Address,
        /// The chain.
        chain_id: u64,
    },
    /// The guardian already approved.
    #[error("{guardian} has already approved this recovery on chain {chain_id}")]
    DuplicateApproval {
        /// The guardian.
        guardian: Address,
        /// The chain.
        chain_id: u64,
    },
    /// The signature does not come from the guardian.
    #[error("the signature of {guardian}'s approval is not valid")]
    BadSignature {
        /// The guardian.
        guardian: Address,
    },
    /// Not enough approvals yet.
    #[error("{have} of {need} approvals on chain {chain_id}; more guardians must approve")]
    BelowThreshold {
        /// The chain.
        chain_id: u64,
        /// Approvals collected.
        have: usize,
        /// Approvals needed.
        need: u32,
    },
    /// Nothing is pending (to cancel or execute).
    #[error("no recovery is pending for this account on chain {chain_id}")]
    NothingPending {
        /// The chain.
        chain_id: u64,
    },
    /// The chain is not configured in this client.
    #[error("chain {chain_id} is not configured")]
    UnknownChain {
        /// The chain.
        chain_id: u64,
    },
    /// Signing failed.
    #[error("signing failed: {0}")]
    Sign(String),
    /// A node could not be reached or answered with an error.
    #[cfg(feature = "net")]
    #[error(transparent)]
    Rpc(#[from] crate::rpc::RpcError),
    /// Sending the recovery's operation failed (sponsor declined, reverted, …).
    #[cfg(feature = "net")]
    #[error(transparent)]
    Send(#[from] crate::aa::SendError),
    /// A chain answered something that cannot be decoded.
    #[error("chain {chain_id} answered something unexpected: {what}")]
    UnexpectedAnswer {
        /// The chain.
        chain_id: u64,
        /// What could not be read.
        what: &'static str,
    },
}

crate::classified!(RecoveryError, |e: &RecoveryError| {
    use crate::error::ErrorKind;
    match e {
        RecoveryError::InvalidGuardian { .. }
        | RecoveryError::TooManyGuardians { .. }
        | RecoveryError::InvalidThreshold { .. }
        | RecoveryError::InvalidSecurityDelay { .. }
        | RecoveryError::InvalidPayload(_)
        | RecoveryError::WrongPayload { .. } => ErrorKind::InvalidInput,
        RecoveryError::UnknownAccount { .. } | RecoveryError::UnknownChain { .. } => {
            ErrorKind::NotFound
        }
        RecoveryError::NoGuardians { .. }
        | RecoveryError::WrongAccount { .. }
        | RecoveryError::WrongNewOwner { .. }
        | RecoveryError::ChainNotRequested { .. }
        | RecoveryError::NotThisRequest { .. }
        | RecoveryError::Expired { .. }
        | RecoveryError::StaleApproval { .. }
        | RecoveryError::NotAGuardian { .. }
        | RecoveryError::DuplicateApproval { .. }
        | RecoveryError::BadSignature { .. }
        | RecoveryError::BelowThreshold { .. }
        | RecoveryError::NothingPending { .. } => ErrorKind::Recovery,
        RecoveryError::Sign(_) => ErrorKind::Internal,
        #[cfg(feature = "net")]
        RecoveryError::Rpc(inner) => inner.kind(),
        #[cfg(feature = "net")]
        RecoveryError::Send(inner) => inner.kind(),
        RecoveryError::UnexpectedAnswer { .. } => ErrorKind::Network,
    }
});

/// `YYYY-MM-DD HH:MM UTC` for a Unix time (for messages; UIs format in the user's zone).
pub fn format_utc(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        secs / 3_600,
        (secs % 3_600) / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc(1_795_000_000), "2026-11-18 11:06 UTC");
    }
}
