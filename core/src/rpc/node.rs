//! An Ethereum node's JSON-RPC: balances, calls, fees, nonces and receipts.

use alloy_primitives::{Address, B256, Bytes, U64, U256};
use alloy_sol_types::SolCall;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{RpcError, RpcTransport, hex_u64};
use crate::aa::IEntryPoint;
use crate::tokens::IERC20;

/// EIP-1559 fees suggested for the next blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeeEstimate {
    /// Fee cap per gas: twice the current base fee plus the tip (survives six full blocks).
    pub max_fee_per_gas: U256,
    /// Tip per gas: the median of recent blocks' median tips.
    pub max_priority_fee_per_gas: U256,
    /// The latest base fee.
    pub base_fee_per_gas: U256,
}

/// The fields of a transaction receipt the wallet uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionReceipt {
    /// Hash of the transaction.
    pub transaction_hash: B256,
    /// Block it was included in.
    pub block_number: U64,
    /// `0x1` success, `0x0` reverted.
    pub status: U64,
    /// Gas used by the transaction.
    pub gas_used: U256,
    /// Effective gas price paid.
    #[serde(default)]
    pub effective_gas_price: U256,
    /// Event logs.
    #[serde(default)]
    pub logs: Vec<Log>,
}

/// The header fields of a block the wallet and the relay use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHeader {
    /// Its number.
    pub number: u64,
    /// Its hash.
    pub hash: B256,
    /// Its time (Unix seconds).
    pub timestamp: u64,
    /// Its base fee (EIP-1559 chains).
    pub base_fee: Option<U256>,
}

/// An event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Log {
    /// The emitting contract.
    pub address: Address,
    /// Indexed topics.
    pub topics: Vec<B256>,
    /// Non-indexed data.
    pub data: Bytes,
    /// Block number.
    #[serde(default)]
    pub block_number: Option<U64>,
    /// Transaction hash.
    #[serde(default)]
    pub transaction_hash: Option<B256>,
    /// Position of the log in its block.
    #[serde(default)]
    pub log_index: Option<U64>,
}

/// A node's JSON-RPC endpoint.
#[derive(Debug)]
pub struct NodeClient {
    transport: RpcTransport,
}

impl NodeClient {
    /// A client for the node at `url`.
    #[cfg(feature = "http")]
    pub fn new(url: &str) -> Result<Self, RpcError> {
        Ok(NodeClient {
            transport: RpcTransport::new(url)?,
        })
    }

    /// A client over an existing transport.
    pub fn from_transport(transport: RpcTransport) -> Self {
        NodeClient { transport }
    }

    /// The transport (for raw calls).
    pub fn transport(&self) -> &RpcTransport {
        &self.transport
    }

    /// `eth_chainId`.
    pub async fn chain_id(&self) -> Result<u64, RpcError> {
        let id: U64 = self.transport.request("eth_chainId", json!([])).await?;
        Ok(id.to())
    }

    /// The latest block number.
    pub async fn block_number(&self) -> Result<u64, RpcError> {
        let n: U64 = self.transport.request("eth_blockNumber", json!([])).await?;
        Ok(n.to())
    }

    /// Native balance in wei.
    pub async fn balance(&self, address: Address) -> Result<U256, RpcError> {
        self.transport
            .request("eth_getBalance", json!([address, "latest"]))
            .await
    }

    /// Contract code at `address` (empty for none).
    pub async fn code(&self, address: Address) -> Result<Bytes, RpcError> {
        self.transport
            .request("eth_getCode", json!([address, "latest"]))
            .await
    }

    /// The storage word at `slot` of `address`.
    pub async fn storage_at(&self, address: Address, slot: B256) -> Result<B256, RpcError> {
        self.transport
            .request("eth_getStorageAt", json!([address, slot, "latest"]))
            .await
    }

    /// `eth_call` against the latest block.
    pub async fn call(&self, to: Address, data: &Bytes) -> Result<Bytes, RpcError> {
        self.transport
            .request("eth_call", json!([{"to": to, "data": data}, "latest"]))
            .await
    }

    /// The EOA nonce (pending block).
    pub async fn transaction_count(&self, address: Address) -> Result<u64, RpcError> {
        let n: U64 = self
            .transport
            .request("eth_getTransactionCount", json!([address, "pending"]))
            .await?;
        Ok(n.to())
    }

    /// Broadcasts a signed transaction; returns its hash.
    pub async fn send_raw_transaction(&self, raw: &[u8]) -> Result<B256, RpcError> {
        self.transport
            .request(
                "eth_sendRawTransaction",
                json!([alloy_primitives::hex::encode_prefixed(raw)]),
            )
            .await
    }

    /// The receipt of a transaction, or `None` while it is pending.
    pub async fn transaction_receipt(
        &self,
        hash: B256,
    ) -> Result<Option<TransactionReceipt>, RpcError> {
        self.transport
            .request("eth_getTransactionReceipt", json!([hash]))
            .await
    }

    /// Logs of `address` with `topic0` in a block range.
    pub async fn logs(
        &self,
        address: Address,
        topic0: B256,
        from_block: u64,
        to_block: u64,
    ) -> Result<Vec<Log>, RpcError> {
        self.get_logs(json!({
            "address": address,
            "topics": [topic0],
            "fromBlock": format!("{from_block:#x}"),
            "toBlock": format!("{to_block:#x}"),
        }))
        .await
    }

    /// Logs of `address` with `topic0` and indexed first argument `topic1`, over the whole chain.
    pub async fn logs_with_topic(
        &self,
        address: Address,
        topic0: B256,
        topic1: B256,
    ) -> Result<Vec<Log>, RpcError> {
        self.get_logs(json!({
            "address": address,
            "topics": [topic0, topic1],
            "fromBlock": "0x0",
            "toBlock": "latest",
        }))
        .await
    }

    async fn get_logs(&self, filter: Value) -> Result<Vec<Log>, RpcError> {
        self.transport.request("eth_getLogs", json!([filter])).await
    }

    /// Suggested EIP-1559 fees from `eth_feeHistory` (falls back to `eth_gasPrice`).
    pub async fn fees(&self) -> Result<FeeEstimate, RpcError> {
        let history: Result<Value, RpcError> = self
            .transport
            .request("eth_feeHistory", json!(["0x5", "latest", [50]]))
            .await;
        match history {
            Ok(history) => {
                let base_fee = history["baseFeePerGas"]
                    .as_array()
                    .and_then(|fees| fees.last())
                    .and_then(|v| serde_json::from_value::<U256>(v.clone()).ok())
                    .unwrap_or_default();
                let mut tips: Vec<U256> = history["reward"]
                    .as_array()
                    .map(|rows| {
                        rows.iter()
                            .filter_map(|row| row.get(0))
                            .filter_map(|v| serde_json::from_value::<U256>(v.clone()).ok())
                            .collect()
                    })
                    .unwrap_or_default();
                tips.sort();
                let median = tips.get(tips.len() / 2).copied().unwrap_or_default();
                // At least 0.001 gwei so tips-zero dev chains still order transactions sanely.
                let tip = median.max(U256::from(1_000_000u64));
                Ok(FeeEstimate {
                    max_fee_per_gas: base_fee * U256::from(2) + tip,
                    max_priority_fee_per_gas: tip,
                    base_fee_per_gas: base_fee,
                })
            }
            Err(RpcError::Server { .. }) => {
                let price: U256 = self.transport.request("eth_gasPrice", json!([])).await?;
                Ok(FeeEstimate {
                    max_fee_per_gas: price,
                    max_priority_fee_per_gas: price,
                    base_fee_per_gas: price,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// The next nonce of `sender` for nonce `key` at the EntryPoint.
    pub async fn entry_point_nonce(
        &self,
        entry_point: Address,
        sender: Address,
        key: alloy_primitives::aliases::U192,
    ) -> Result<U256, RpcError> {
        let data = IEntryPoint::getNonceCall { sender, key }.abi_encode();
        let out = self.call(entry_point, &data.into()).await?;
        decode_word(&self.transport, &out)
    }

    /// The deposit `account` holds at the EntryPoint (what pays for its gas).
    pub async fn entry_point_deposit(
        &self,
        entry_point: Address,
        account: Address,
    ) -> Result<U256, RpcError> {
        let data = IEntryPoint::balanceOfCall { account }.abi_encode();
        let out = self.call(entry_point, &data.into()).await?;
        decode_word(&self.transport, &out)
    }

    /// `token.balanceOf(owner)` in base units.
    pub async fn erc20_balance(&self, token: Address, owner: Address) -> Result<U256, RpcError> {
        let data = IERC20::balanceOfCall { owner }.abi_encode();
        let out = self.call(token, &data.into()).await?;
        decode_word(&self.transport, &out)
    }

    /// `token.decimals()`.
    pub async fn erc20_decimals(&self, token: Address) -> Result<u8, RpcError> {
        let out = self
            .call(token, &IERC20::decimalsCall {}.abi_encode().into())
            .await?;
        IERC20::decimalsCall::abi_decode_returns(&out).map_err(|e| RpcError::InvalidResponse {
            host: self.transport.host().to_owned(),
            message: format!("decimals() of {token}: {e}"),
        })
    }

    /// `token.symbol()`.
    pub async fn erc20_symbol(&self, token: Address) -> Result<String, RpcError> {
        let out = self
            .call(token, &IERC20::symbolCall {}.abi_encode().into())
            .await?;
        IERC20::symbolCall::abi_decode_returns(&out).map_err(|e| RpcError::InvalidResponse {
            host: self.transport.host().to_owned(),
            message: format!("symbol() of {token}: {e}"),
        })
    }

    /// A raw JSON-RPC call (test and time-travel helpers, `anvil_*`, `evm_*`).
    pub async fn raw(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        self.transport.request(method, params).await
    }

    /// The latest block's timestamp.
    pub async fn latest_timestamp(&self) -> Result<u64, RpcError> {
        Ok(self.block_header(None).await?.timestamp)
    }

    /// The header fields of block `number` (the latest when `None`).
    pub async fn block_header(&self, number: Option<u64>) -> Result<BlockHeader, RpcError> {
        let tag = number.map_or_else(|| "latest".to_owned(), |n| format!("{n:#x}"));
        let block: Value = self
            .transport
            .request("eth_getBlockByNumber", json!([tag, false]))
            .await?;
        let bad = |what: &str| RpcError::InvalidResponse {
            host: self.transport.host().to_owned(),
            message: format!("block without {what}"),
        };
        Ok(BlockHeader {
            number: hex_u64(&block["number"]).ok_or_else(|| bad("number"))?,
            hash: serde_json::from_value(block["hash"].clone()).map_err(|_| bad("hash"))?,
            timestamp: hex_u64(&block["timestamp"]).ok_or_else(|| bad("timestamp"))?,
            base_fee: serde_json::from_value(block["baseFeePerGas"].clone()).ok(),
        })
    }
}

fn decode_word(transport: &RpcTransport, out: &[u8]) -> Result<U256, RpcError> {
    if out.len() < 32 {
        return Err(RpcError::InvalidResponse {
            host: transport.host().to_owned(),
            message: format!(
                "expected a 32-byte answer, got {} bytes (is it a contract?)",
                out.len()
            ),
        });
    }
    Ok(U256::from_be_slice(&out[..32]))
}
