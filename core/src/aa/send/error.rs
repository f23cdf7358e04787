//! Why a send did not complete, and how a service's JSON-RPC error becomes a reason a person
//! can read.

use alloy_primitives::{Address, B256, U256};

use crate::aa::UserOperationError;
use crate::aa::revert::{decode_revert, explain_entry_point_reason};
use crate::keys::SignError;
use crate::rpc::RpcError;

/// Why a send did not complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Nothing to send.
    #[error("there is nothing to send")]
    NoCalls,
    /// The network has no bundler, so the smart account cannot send on it.
    #[error("chain {chain_id} has no bundler configured; add one in the network settings")]
    NoBundler {
        /// The chain.
        chain_id: u64,
    },
    /// A service is on another chain than the one asked for.
    #[error("the {service} is on chain {found}, not chain {expected}")]
    WrongChain {
        /// "node" or "bundler".
        service: &'static str,
        /// The chain asked for.
        expected: u64,
        /// The chain the service is on.
        found: u64,
    },
    /// The bundler does not support the EntryPoint.
    #[error("the bundler does not support EntryPoint {0}")]
    UnsupportedEntryPoint(Address),
    /// A service could not be used.
    #[error("the {service} failed: {source}")]
    Service {
        /// "node", "bundler" or "paymaster".
        service: &'static str,
        /// The underlying error.
        #[source]
        source: RpcError,
    },
    /// The sponsor declined to pay.
    #[error("the sponsor declined to pay for this: {reason}")]
    SponsorshipRefused {
        /// The sponsor's reason.
        reason: String,
    },
    /// The bundler rejected the operation (simulation failed).
    #[error("the operation was rejected: {reason}")]
    Rejected {
        /// Why, in plain words.
        reason: String,
    },
    /// The operation would fail or failed when executed.
    #[error("the transaction failed: {reason}")]
    Reverted {
        /// Hash of the operation, when it was included.
        user_op_hash: Option<B256>,
        /// Why, decoded from the revert data.
        reason: String,
    },
    /// The account cannot pay for gas itself.
    #[error("the account needs {needed} wei for gas but has {available} wei")]
    InsufficientFunds {
        /// Worst-case gas cost in wei.
        needed: U256,
        /// ETH in the account plus its EntryPoint deposit.
        available: U256,
    },
    /// A value of the operation does not fit its on-chain field.
    #[error(transparent)]
    InvalidOperation(#[from] UserOperationError),
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// The bundler reported another hash than the one signed.
    #[error("the bundler reported hash {reported} for operation {expected}")]
    HashMismatch {
        /// The hash the wallet signed.
        expected: B256,
        /// The hash the bundler returned.
        reported: B256,
    },
    /// Not included in time; it may still be included later.
    #[error(
        "operation {user_op_hash} was not included within {seconds} s; it may still go through"
    )]
    Timeout {
        /// The operation's hash.
        user_op_hash: B256,
        /// How long the wallet waited.
        seconds: u64,
    },
}

crate::classified!(SendError, |e: &SendError| {
    use crate::error::ErrorKind;
    match e {
        SendError::SponsorshipRefused { .. } => ErrorKind::SponsorDeclined,
        SendError::InsufficientFunds { .. } => ErrorKind::InsufficientFunds,
        SendError::Rejected { .. } | SendError::Reverted { .. } => ErrorKind::Rejected,
        SendError::Service { source, .. } => source.kind(),
        SendError::Timeout { .. } => ErrorKind::Network,
        SendError::NoCalls
        | SendError::NoBundler { .. }
        | SendError::WrongChain { .. }
        | SendError::UnsupportedEntryPoint(_) => ErrorKind::InvalidInput,
        SendError::InvalidOperation(inner) => inner.kind(),
        SendError::Sign(inner) => inner.kind(),
        SendError::HashMismatch { .. } => ErrorKind::Internal,
    }
});

pub(super) fn service(service: &'static str) -> impl FnOnce(RpcError) -> SendError {
    move |source| SendError::Service { service, source }
}

/// Turns a bundler's JSON-RPC error into a reason a person can read.
pub(super) fn bundler_reason(error: &RpcError) -> Option<String> {
    let RpcError::Server { code, message, .. } = error else {
        return None;
    };
    if let Some(data) = error.revert_data() {
        return Some(decode_revert(&data));
    }
    let explained = message
        .find("AA")
        .map(|at| {
            let reason = &message[at..];
            // "… (AA24 signature error)": drop the parenthesis that closed the code.
            let reason = if message[..at].ends_with('(') {
                reason.strip_suffix(')').unwrap_or(reason)
            } else {
                reason
            };
            explain_entry_point_reason(reason)
        })
        .unwrap_or_else(|| message.clone());
    match code {
        code if crate::codes::is_bundler_rejection(*code) => Some(explained),
        _ if message.contains("AA") => Some(explained),
        _ => None,
    }
}

pub(super) fn is_execution_failure(error: &RpcError) -> bool {
    matches!(error, RpcError::Server { code, .. } if *code == crate::codes::EXECUTION_REVERTED)
        || matches!(error, RpcError::Server { message, .. } if message.contains("execution reverted"))
}

pub(super) fn sponsor_error(error: RpcError) -> SendError {
    match error {
        RpcError::Server { message, .. } => SendError::SponsorshipRefused { reason: message },
        other => SendError::Service {
            service: "paymaster",
            source: other,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundler_errors_are_explained() {
        let error = RpcError::Server {
            code: -32500,
            message: "UserOperation reverted during simulation with reason: AA24 signature error"
                .into(),
            data: None,
        };
        assert_eq!(
            bundler_reason(&error).as_deref(),
            Some("the signature does not match the account's owner (AA24 signature error)")
        );
        let wrapped = RpcError::Server {
            code: -32500,
            message: "validation failed (AA24 signature error)".into(),
            data: None,
        };
        assert_eq!(
            bundler_reason(&wrapped).as_deref(),
            Some("the signature does not match the account's owner (AA24 signature error)")
        );
        let other = RpcError::Server {
            code: -32000,
            message: "boom".into(),
            data: None,
        };
        assert_eq!(bundler_reason(&other), None);
    }

    #[test]
    fn sponsor_refusal_carries_reason() {
        let e = sponsor_error(RpcError::Server {
            code: -32001,
            message: "policy: target not allowed".into(),
            data: None,
        });
        assert_eq!(
            e.to_string(),
            "the sponsor declined to pay for this: policy: target not allowed"
        );
    }
}
