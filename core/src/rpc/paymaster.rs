//! An ERC-7677 paymaster web service: stub data for estimation, then the signed data.

use alloy_primitives::{Address, Bytes, U256};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{RpcError, RpcTransport};
use crate::aa::UserOperation;

/// Who sponsors the operation, as the service names itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sponsor {
    /// Display name ("Harbor sponsor").
    pub name: String,
    /// Icon URL or data URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
}

/// `pm_getPaymasterStubData` result (EntryPoint v0.7 form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymasterStubData {
    /// Who pays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sponsor: Option<Sponsor>,
    /// The paymaster contract.
    pub paymaster: Address,
    /// Stub data with the final data's length.
    pub paymaster_data: Bytes,
    /// Gas for the paymaster's validation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paymaster_verification_gas_limit: Option<U256>,
    /// Gas for the paymaster's post-operation hook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paymaster_post_op_gas_limit: Option<U256>,
    /// The stub is already the final data; skip `pm_getPaymasterData`.
    #[serde(default)]
    pub is_final: bool,
}

/// `pm_getPaymasterData` result (EntryPoint v0.7 form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymasterData {
    /// The paymaster contract.
    pub paymaster: Address,
    /// The signed paymaster data.
    pub paymaster_data: Bytes,
}

/// An ERC-7677 paymaster service endpoint.
#[derive(Debug)]
pub struct PaymasterClient {
    transport: RpcTransport,
}

impl PaymasterClient {
    /// A client for the service at `url`.
    #[cfg(feature = "http")]
    pub fn new(url: &str) -> Result<Self, RpcError> {
        Ok(PaymasterClient {
            transport: RpcTransport::new(url)?,
        })
    }

    /// A client over an existing transport.
    pub fn from_transport(transport: RpcTransport) -> Self {
        PaymasterClient { transport }
    }

    /// The service's host (for messages).
    pub fn host(&self) -> &str {
        self.transport.host()
    }

    /// `pm_getPaymasterStubData(userOp, entryPoint, chainId, context)`.
    pub async fn stub_data(
        &self,
        op: &UserOperation,
        entry_point: Address,
        chain_id: u64,
        context: &Value,
    ) -> Result<PaymasterStubData, RpcError> {
        self.transport
            .request(
                "pm_getPaymasterStubData",
                json!([op, entry_point, format!("{chain_id:#x}"), context]),
            )
            .await
    }

    /// `pm_getPaymasterData(userOp, entryPoint, chainId, context)`.
    pub async fn data(
        &self,
        op: &UserOperation,
        entry_point: Address,
        chain_id: u64,
        context: &Value,
    ) -> Result<PaymasterData, RpcError> {
        self.transport
            .request(
                "pm_getPaymasterData",
                json!([op, entry_point, format!("{chain_id:#x}"), context]),
            )
            .await
    }
}
