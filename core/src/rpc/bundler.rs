//! An ERC-7769 bundler: submits UserOperations and reports what became of them.

use alloy_primitives::{Address, B256, Bytes, U64, U256};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{RpcError, RpcTransport};
use crate::aa::UserOperation;

/// Gas limits estimated by a bundler (`eth_estimateUserOperationGas`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GasEstimate {
    /// Gas paid for the bundler's overhead.
    pub pre_verification_gas: U256,
    /// Gas for the account's (and factory's) validation.
    pub verification_gas_limit: U256,
    /// Gas for the execution.
    pub call_gas_limit: U256,
    /// Gas for the paymaster's validation, when one is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paymaster_verification_gas_limit: Option<U256>,
    /// Gas for the paymaster's post-operation hook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paymaster_post_op_gas_limit: Option<U256>,
}

/// What `eth_getUserOperationReceipt` reports for an included UserOperation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserOperationReceipt {
    /// The operation's hash.
    pub user_op_hash: B256,
    /// The EntryPoint that ran it.
    pub entry_point: Address,
    /// The account.
    pub sender: Address,
    /// The operation's nonce.
    pub nonce: U256,
    /// The paymaster that paid, if any.
    #[serde(default, deserialize_with = "zero_address_is_none")]
    pub paymaster: Option<Address>,
    /// Wei charged for the operation.
    pub actual_gas_cost: U256,
    /// Gas charged for the operation.
    pub actual_gas_used: U256,
    /// Whether the account's execution succeeded.
    pub success: bool,
    /// Revert data of a failed execution.
    #[serde(default)]
    pub reason: Option<Bytes>,
    /// The bundle transaction's receipt (the bundler's raw JSON).
    pub receipt: Value,
}

fn zero_address_is_none<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Address>, D::Error> {
    let value = Option::<Address>::deserialize(deserializer)?;
    Ok(value.filter(|a| !a.is_zero()))
}

impl UserOperationReceipt {
    /// Hash of the transaction that included the operation.
    pub fn transaction_hash(&self) -> Option<B256> {
        self.receipt
            .get("transactionHash")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    /// Block number that included the operation.
    pub fn block_number(&self) -> Option<u64> {
        self.receipt
            .get("blockNumber")
            .and_then(|v| serde_json::from_value::<U64>(v.clone()).ok())
            .map(|n| n.to())
    }
}

/// An ERC-7769 bundler endpoint.
#[derive(Debug)]
pub struct BundlerClient {
    transport: RpcTransport,
}

impl BundlerClient {
    /// A client for the bundler at `url`.
    #[cfg(feature = "http")]
    pub fn new(url: &str) -> Result<Self, RpcError> {
        Ok(BundlerClient {
            transport: RpcTransport::new(url)?,
        })
    }

    /// A client over an existing transport.
    pub fn from_transport(transport: RpcTransport) -> Self {
        BundlerClient { transport }
    }

    /// The transport (to forward raw calls).
    pub fn transport(&self) -> &RpcTransport {
        &self.transport
    }

    /// `eth_chainId`.
    pub async fn chain_id(&self) -> Result<u64, RpcError> {
        let id: U64 = self.transport.request("eth_chainId", json!([])).await?;
        Ok(id.to())
    }

    /// `eth_supportedEntryPoints`.
    pub async fn supported_entry_points(&self) -> Result<Vec<Address>, RpcError> {
        self.transport
            .request("eth_supportedEntryPoints", json!([]))
            .await
    }

    /// `eth_estimateUserOperationGas` (the operation carries a dummy signature).
    pub async fn estimate_user_operation_gas(
        &self,
        op: &UserOperation,
        entry_point: Address,
    ) -> Result<GasEstimate, RpcError> {
        self.transport
            .request("eth_estimateUserOperationGas", json!([op, entry_point]))
            .await
    }

    /// `eth_sendUserOperation`; returns the operation's hash.
    pub async fn send_user_operation(
        &self,
        op: &UserOperation,
        entry_point: Address,
    ) -> Result<B256, RpcError> {
        self.transport
            .request("eth_sendUserOperation", json!([op, entry_point]))
            .await
    }

    /// `eth_getUserOperationReceipt`: `None` until the operation is included.
    pub async fn user_operation_receipt(
        &self,
        hash: B256,
    ) -> Result<Option<UserOperationReceipt>, RpcError> {
        self.transport
            .request("eth_getUserOperationReceipt", json!([hash]))
            .await
    }

    /// `eth_getUserOperationByHash`: the operation and where it was included, as JSON.
    pub async fn user_operation_by_hash(&self, hash: B256) -> Result<Option<Value>, RpcError> {
        self.transport
            .request("eth_getUserOperationByHash", json!([hash]))
            .await
    }
}
