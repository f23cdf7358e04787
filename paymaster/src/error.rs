//! The JSON-RPC error a request gets, with codes from `harbor_core::codes`.

use harbor_core::aa::decode_revert;
use harbor_core::codes;
use harbor_core::rpc::RpcError;
use serde_json::{Value, json};

use crate::sponsor::Violation;

/// A JSON-RPC error answer.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcFailure {
    /// JSON-RPC error code.
    pub code: i64,
    /// A sentence for the caller.
    pub message: String,
    /// Extra data.
    pub data: Option<Value>,
}

impl RpcFailure {
    /// An error with `code` and `message`.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        RpcFailure {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// Adds `data`.
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// The JSON error object.
    pub fn to_json(&self) -> Value {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(data) = &self.data {
            error["data"] = data.clone();
        }
        error
    }

    /// Invalid parameters or UserOperation fields.
    pub fn invalid(message: impl Into<String>) -> Self {
        RpcFailure::new(codes::INVALID_PARAMS, message)
    }

    /// An internal failure (the store, a signature).
    pub fn internal(message: impl Into<String>) -> Self {
        RpcFailure::new(codes::INTERNAL_ERROR, message)
    }

    /// A policy rule said no.
    pub fn policy(violation: Violation) -> Self {
        RpcFailure::new(
            codes::POLICY_REJECTED,
            format!(
                "sponsorship refused by policy rule {}: {}",
                violation.rule, violation.message
            ),
        )
        .with_data(json!({"rule": violation.rule}))
    }

    /// The node failed or could not be reached.
    pub fn node(error: RpcError) -> Self {
        RpcFailure::internal(format!("the chain's node failed: {error}"))
    }

    /// An EntryPoint revert, mapped to its ERC-7769 code.
    pub fn entry_point(data: &[u8]) -> Self {
        let reason = decode_revert(data);
        let code = if reason.contains("(AA22") || reason.contains("(AA32") {
            codes::TIME_RANGE
        } else if reason.contains("(AA3") {
            codes::PAYMASTER_REJECTED
        } else {
            codes::SIMULATION_REJECTED
        };
        RpcFailure::new(code, reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::U256;

    #[test]
    fn entry_point_failures_map_to_erc7769_codes() {
        use alloy_sol_types::{SolError, sol};
        sol! { error FailedOp(uint256 opIndex, string reason); }
        let code = |reason: &str| {
            RpcFailure::entry_point(
                &FailedOp {
                    opIndex: U256::ZERO,
                    reason: reason.into(),
                }
                .abi_encode(),
            )
            .code
        };
        assert_eq!(code("AA24 signature error"), codes::SIMULATION_REJECTED);
        assert_eq!(code("AA34 signature error"), codes::PAYMASTER_REJECTED);
        assert_eq!(code("AA32 paymaster expired or not due"), codes::TIME_RANGE);
    }
}
