//! What a request does to the person's assets: transfers in and out (ETH, ERC-20, ERC-721,
//! ERC-1155) read from simulated logs, and spending rights granted (approvals, `setApprovalForAll`,
//! EIP-2612 Permit and Uniswap Permit2 typed data), with unlimited ones flagged.

use alloy_primitives::{Address, B256, Bytes, U256, b256};
use alloy_sol_types::{SolCall, sol};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::evm::TypedData;

/// `Transfer(address,address,uint256)` (ERC-20 and ERC-721; eth_simulateV1 uses it for ETH).
pub const TRANSFER_TOPIC: B256 =
    b256!("ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
/// `Approval(address,address,uint256)` (ERC-20 and ERC-721).
pub const APPROVAL_TOPIC: B256 =
    b256!("8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925");
/// `ApprovalForAll(address,address,bool)` (ERC-721 and ERC-1155).
pub const APPROVAL_FOR_ALL_TOPIC: B256 =
    b256!("17307eab39ab6107e8899845ad3d59bd9653f200f220920489ca2b5937696c31");
/// `TransferSingle(address,address,address,uint256,uint256)` (ERC-1155).
pub const TRANSFER_SINGLE_TOPIC: B256 =
    b256!("c3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62");
/// `TransferBatch(address,address,address,uint256[],uint256[])` (ERC-1155).
pub const TRANSFER_BATCH_TOPIC: B256 =
    b256!("4a39dc06d4c0dbc64b70af90fd698a233a518aa5d07e595d983b8c0526c8f7fb");
/// The pseudo-address eth_simulateV1 gives ETH transfers (`traceTransfers`).
pub const NATIVE_TRANSFER_ADDRESS: Address = Address::new([0xee; 20]);
/// Amounts from here up are shown as unlimited (2^96: billions of any real token).
pub const UNLIMITED_FROM: U256 = U256::from_limbs([0, 1 << 32, 0, 0]);

sol! {
    /// Calls that grant spending rights, read from call data when no simulation is possible.
    interface IApprovals {
        function approve(address spender, uint256 amount) external returns (bool);
        function setApprovalForAll(address operator, bool approved) external;
        function increaseAllowance(address spender, uint256 added) external returns (bool);
    }
}

/// The kind of asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AssetKind {
    /// The chain's coin (ETH).
    Native,
    /// An ERC-20 token.
    Erc20,
    /// An ERC-721 NFT.
    Erc721,
    /// An ERC-1155 token.
    Erc1155,
}

/// One asset moving in or out of the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetChange {
    /// What kind of asset.
    pub kind: AssetKind,
    /// The token contract (`None` for the coin).
    pub token: Option<Address>,
    /// The NFT / ERC-1155 id.
    pub token_id: Option<U256>,
    /// Base units (1 for an ERC-721).
    pub amount: U256,
    /// Into the account (`true`) or out of it.
    pub incoming: bool,
    /// The other side.
    pub counterparty: Address,
    /// The token's symbol, when known.
    pub symbol: Option<String>,
    /// The amount in the token's units ("12.5"), when its decimals are known.
    pub formatted: Option<String>,
}

/// How a spending right is granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GrantVia {
    /// A call (`approve`, `setApprovalForAll`).
    Call,
    /// An EIP-2612 (or DAI) permit signature.
    Permit,
    /// A Uniswap Permit2 signature.
    Permit2,
}

/// A right to spend the account's assets, granted to someone else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    /// The token (for Permit2 batches, one grant each).
    pub token: Address,
    /// Who may spend.
    pub spender: Address,
    /// Up to how much (`None`: every token of the collection).
    pub amount: Option<U256>,
    /// The single NFT approved, for an ERC-721 `approve`.
    pub token_id: Option<U256>,
    /// No real limit: the spender can take everything.
    pub unlimited: bool,
    /// Whether this revokes a right instead (amount 0, `approved: false`).
    pub revokes: bool,
    /// Until when (Unix seconds), when the grant says.
    pub expires: Option<u64>,
    /// How it is granted.
    pub via: GrantVia,
    /// The token's symbol, when known.
    pub symbol: Option<String>,
    /// The amount in the token's units, when its decimals are known.
    pub formatted: Option<String>,
}

/// A log of a simulated call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimLog {
    /// The contract that emitted it.
    pub address: Address,
    /// Its topics.
    pub topics: Vec<B256>,
    /// Its data.
    pub data: Bytes,
}

fn topic_address(topic: &B256) -> Address {
    Address::from_slice(&topic[12..])
}

fn word(data: &[u8], index: usize) -> Option<U256> {
    data.get(index * 32..index * 32 + 32)
        .map(U256::from_be_slice)
}

fn grant(token: Address, spender: Address, amount: Option<U256>, via: GrantVia) -> Grant {
    Grant {
        token,
        spender,
        amount,
        token_id: None,
        unlimited: amount.is_none_or(|a| a >= UNLIMITED_FROM),
        revokes: amount == Some(U256::ZERO),
        expires: None,
        via,
        symbol: None,
        formatted: None,
    }
}

/// The asset changes and grants of `account` in simulated `logs`.
pub fn read_logs(account: Address, logs: &[SimLog]) -> (Vec<AssetChange>, Vec<Grant>) {
    let mut changes = Vec::new();
    let mut grants = Vec::new();
    let mut push = |kind, token, token_id, amount, from: Address, to: Address| {
        if from == to || amount == U256::ZERO {
            return;
        }
        let (incoming, counterparty) = if to == account {
            (true, from)
        } else if from == account {
            (false, to)
        } else {
            return;
        };
        changes.push(AssetChange {
            kind,
            token,
            token_id,
            amount,
            incoming,
            counterparty,
            symbol: None,
            formatted: None,
        });
    };
    for log in logs {
        let Some(topic0) = log.topics.first() else {
            continue;
        };
        let t = &log.topics;
        match (*topic0, t.len()) {
            (TRANSFER_TOPIC, 3) => {
                let amount = word(&log.data, 0).unwrap_or_default();
                let (kind, token) = if log.address == NATIVE_TRANSFER_ADDRESS {
                    (AssetKind::Native, None)
                } else {
                    (AssetKind::Erc20, Some(log.address))
                };
                push(
                    kind,
                    token,
                    None,
                    amount,
                    topic_address(&t[1]),
                    topic_address(&t[2]),
                );
            }
            (TRANSFER_TOPIC, 4) => push(
                AssetKind::Erc721,
                Some(log.address),
                Some(U256::from_be_bytes(t[3].0)),
                U256::from(1),
                topic_address(&t[1]),
                topic_address(&t[2]),
            ),
            (TRANSFER_SINGLE_TOPIC, 4) => push(
                AssetKind::Erc1155,
                Some(log.address),
                word(&log.data, 0),
                word(&log.data, 1).unwrap_or_default(),
                topic_address(&t[2]),
                topic_address(&t[3]),
            ),
            (TRANSFER_BATCH_TOPIC, 4) => {
                for (id, amount) in batch_ids(&log.data) {
                    push(
                        AssetKind::Erc1155,
                        Some(log.address),
                        Some(id),
                        amount,
                        topic_address(&t[2]),
                        topic_address(&t[3]),
                    );
                }
            }
            (APPROVAL_TOPIC, 3) if topic_address(&t[1]) == account => grants.push(grant(
                log.address,
                topic_address(&t[2]),
                Some(word(&log.data, 0).unwrap_or_default()),
                GrantVia::Call,
            )),
            (APPROVAL_TOPIC, 4) if topic_address(&t[1]) == account => {
                let spender = topic_address(&t[2]);
                if spender != Address::ZERO {
                    let mut g = grant(log.address, spender, Some(U256::from(1)), GrantVia::Call);
                    g.token_id = Some(U256::from_be_bytes(t[3].0));
                    g.unlimited = false;
                    grants.push(g);
                }
            }
            (APPROVAL_FOR_ALL_TOPIC, 3) if topic_address(&t[1]) == account => {
                let approved = word(&log.data, 0).unwrap_or_default() != U256::ZERO;
                let mut g = grant(log.address, topic_address(&t[2]), None, GrantVia::Call);
                g.revokes = !approved;
                g.unlimited = approved;
                grants.push(g);
            }
            _ => {}
        }
    }
    (changes, grants)
}

/// The (id, amount) pairs of an ERC-1155 `TransferBatch` log's data (two dynamic arrays).
fn batch_ids(data: &[u8]) -> Vec<(U256, U256)> {
    let array = |offset: Option<U256>| -> Option<Vec<U256>> {
        let start: usize = offset?.try_into().ok()?;
        let len: usize = U256::from_be_slice(data.get(start..start.checked_add(32)?)?)
            .try_into()
            .ok()?;
        if len > 1024 {
            return None;
        }
        (0..len)
            .map(|i| {
                let at = start + 32 + i * 32;
                data.get(at..at + 32).map(U256::from_be_slice)
            })
            .collect()
    };
    match (array(word(data, 0)), array(word(data, 1))) {
        (Some(ids), Some(amounts)) if ids.len() == amounts.len() => {
            ids.into_iter().zip(amounts).collect()
        }
        _ => Vec::new(),
    }
}

/// The grant a call makes, read from its call data (used when no simulation is possible).
pub fn grant_in_call(to: Address, data: &[u8]) -> Option<Grant> {
    if let Ok(call) = IApprovals::approveCall::abi_decode(data) {
        return Some(grant(to, call.spender, Some(call.amount), GrantVia::Call));
    }
    if let Ok(call) = IApprovals::increaseAllowanceCall::abi_decode(data) {
        return Some(grant(to, call.spender, Some(call.added), GrantVia::Call));
    }
    if let Ok(call) = IApprovals::setApprovalForAllCall::abi_decode(data) {
        let mut g = grant(to, call.operator, None, GrantVia::Call);
        g.revokes = !call.approved;
        g.unlimited = call.approved;
        return Some(g);
    }
    None
}

fn json_u256(value: Option<&Value>) -> Option<U256> {
    match value? {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64().map(U256::from),
        _ => None,
    }
}

fn json_address(value: Option<&Value>) -> Option<Address> {
    value?.as_str()?.parse().ok()
}

/// The spending rights an EIP-712 document grants when signed: EIP-2612 `Permit`, DAI's
/// `Permit`, Permit2 `PermitSingle` / `PermitBatch` / `PermitTransferFrom`.
pub fn grants_in_typed_data(data: &TypedData) -> Vec<Grant> {
    let message = data.message();
    let token = data.domain().verifying_contract;
    let expiry = |v: Option<&Value>| json_u256(v).and_then(|t| u64::try_from(t).ok());
    match data.primary_type() {
        "Permit" => {
            let Some(token) = token else {
                return Vec::new();
            };
            let spender = json_address(message.get("spender"));
            match (spender, message.get("allowed")) {
                // DAI: `allowed: true` is unlimited.
                (Some(spender), Some(allowed)) => {
                    let on = allowed.as_bool().unwrap_or(true);
                    let mut g = grant(token, spender, on.then_some(U256::MAX), GrantVia::Permit);
                    g.revokes = !on;
                    g.expires = expiry(message.get("expiry"));
                    vec![g]
                }
                (Some(spender), None) => {
                    let mut g = grant(
                        token,
                        spender,
                        Some(json_u256(message.get("value")).unwrap_or(U256::MAX)),
                        GrantVia::Permit,
                    );
                    g.expires = expiry(message.get("deadline"));
                    vec![g]
                }
                _ => Vec::new(),
            }
        }
        "PermitSingle" | "PermitBatch" => {
            let Some(spender) = json_address(message.get("spender")) else {
                return Vec::new();
            };
            let details: Vec<&Value> = match message.get("details") {
                Some(Value::Array(list)) => list.iter().collect(),
                Some(one) => vec![one],
                None => Vec::new(),
            };
            details
                .into_iter()
                .filter_map(|d| {
                    let token = json_address(d.get("token"))?;
                    let amount = json_u256(d.get("amount")).unwrap_or(U256::MAX);
                    let mut g = grant(token, spender, Some(amount), GrantVia::Permit2);
                    g.expires = expiry(d.get("expiration"));
                    Some(g)
                })
                .collect()
        }
        "PermitTransferFrom" | "PermitBatchTransferFrom" | "PermitWitnessTransferFrom" => {
            let Some(spender) = json_address(message.get("spender")) else {
                return Vec::new();
            };
            let permitted: Vec<&Value> = match message.get("permitted") {
                Some(Value::Array(list)) => list.iter().collect(),
                Some(one) => vec![one],
                None => Vec::new(),
            };
            permitted
                .into_iter()
                .filter_map(|p| {
                    let mut g = grant(
                        json_address(p.get("token"))?,
                        spender,
                        Some(json_u256(p.get("amount")).unwrap_or(U256::MAX)),
                        GrantVia::Permit2,
                    );
                    g.expires = expiry(message.get("deadline"));
                    Some(g)
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evm::parse_typed_data;
    use alloy_primitives::keccak256;

    #[test]
    fn topics_are_the_event_hashes() {
        for (topic, event) in [
            (TRANSFER_TOPIC, "Transfer(address,address,uint256)"),
            (APPROVAL_TOPIC, "Approval(address,address,uint256)"),
            (
                APPROVAL_FOR_ALL_TOPIC,
                "ApprovalForAll(address,address,bool)",
            ),
            (
                TRANSFER_SINGLE_TOPIC,
                "TransferSingle(address,address,address,uint256,uint256)",
            ),
            (
                TRANSFER_BATCH_TOPIC,
                "TransferBatch(address,address,address,uint256[],uint256[])",
            ),
        ] {
            assert_eq!(topic, keccak256(event), "{event}");
        }
        assert_eq!(UNLIMITED_FROM, U256::from(1) << 96);
    }

    fn topic(a: Address) -> B256 {
        a.into_word()
    }

    #[test]
    fn logs_give_changes_and_grants_of_the_account_only() {
        let me = Address::repeat_byte(1);
        let them = Address::repeat_byte(2);
        let token = Address::repeat_byte(3);
        let amount = |n: u64| Bytes::from(U256::from(n).to_be_bytes::<32>().to_vec());
        let logs = vec![
            SimLog {
                address: NATIVE_TRANSFER_ADDRESS,
                topics: vec![TRANSFER_TOPIC, topic(me), topic(them)],
                data: amount(5),
            },
            SimLog {
                address: token,
                topics: vec![TRANSFER_TOPIC, topic(them), topic(me)],
                data: amount(7),
            },
            // Between two others: not the account's.
            SimLog {
                address: token,
                topics: vec![TRANSFER_TOPIC, topic(them), topic(token)],
                data: amount(9),
            },
            SimLog {
                address: token,
                topics: vec![
                    TRANSFER_TOPIC,
                    topic(me),
                    topic(them),
                    B256::with_last_byte(42),
                ],
                data: Bytes::new(),
            },
            SimLog {
                address: token,
                topics: vec![APPROVAL_TOPIC, topic(me), topic(them)],
                data: Bytes::from(U256::MAX.to_be_bytes::<32>().to_vec()),
            },
        ];
        let (changes, grants) = read_logs(me, &logs);
        assert_eq!(changes.len(), 3);
        assert_eq!(
            (changes[0].kind, changes[0].incoming, changes[0].amount),
            (AssetKind::Native, false, U256::from(5))
        );
        assert_eq!(
            (changes[1].kind, changes[1].incoming, changes[1].token),
            (AssetKind::Erc20, true, Some(token))
        );
        assert_eq!(
            (changes[2].kind, changes[2].token_id),
            (AssetKind::Erc721, Some(U256::from(42)))
        );
        assert_eq!(grants.len(), 1);
        assert!(grants[0].unlimited && grants[0].spender == them);
    }

    #[test]
    fn permits_are_grants() {
        let permit = parse_typed_data(
            &serde_json::json!({
                "types": {
                    "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}],
                    "Permit": [{"name": "owner", "type": "address"}, {"name": "spender", "type": "address"}, {"name": "value", "type": "uint256"}, {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}]
                },
                "primaryType": "Permit",
                "domain": {"name": "USD Coin", "chainId": 1, "verifyingContract": "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"},
                "message": {"owner": "0x1111111111111111111111111111111111111111", "spender": "0x2222222222222222222222222222222222222222",
                            "value": "115792089237316195423570985008687907853269984665640564039457584007913129639935", "nonce": 0, "deadline": 1900000000}
            })
            .to_string(),
        )
        .unwrap();
        let grants = grants_in_typed_data(&permit);
        assert_eq!(grants.len(), 1);
        assert!(grants[0].unlimited);
        assert_eq!(grants[0].expires, Some(1_900_000_000));
        assert_eq!(grants[0].via, GrantVia::Permit);
        let data = IApprovals::approveCall {
            spender: Address::repeat_byte(2),
            amount: U256::from(10),
        }
        .abi_encode();
        let g = grant_in_call(Address::repeat_byte(3), &data).unwrap();
        assert!(!g.unlimited && g.amount == Some(U256::from(10)));
    }
}
