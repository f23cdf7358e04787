//! EIP-1193 requests as a site sends them, parsed into typed requests (no state, no network).

use alloy_primitives::{Address, Bytes, U256, hex};
use serde_json::{Map, Value};

use super::DappError;
use crate::evm::{TypedData, typed_data_from_value, typed_data_hash};

/// The most calls Harbor sends in one batch (`wallet_sendCalls`).
pub const MAX_BATCH_CALLS: usize = 32;

/// Read-only methods forwarded to the chain's node unchanged.
pub const FORWARDED_READS: &[&str] = &[
    "eth_blobBaseFee",
    "eth_blockNumber",
    "eth_call",
    "eth_estimateGas",
    "eth_feeHistory",
    "eth_gasPrice",
    "eth_getBalance",
    "eth_getBlockByHash",
    "eth_getBlockByNumber",
    "eth_getBlockReceipts",
    "eth_getBlockTransactionCountByHash",
    "eth_getBlockTransactionCountByNumber",
    "eth_getCode",
    "eth_getFilterChanges",
    "eth_getFilterLogs",
    "eth_getLogs",
    "eth_getProof",
    "eth_getStorageAt",
    "eth_getTransactionByBlockHashAndIndex",
    "eth_getTransactionByBlockNumberAndIndex",
    "eth_getTransactionByHash",
    "eth_getTransactionCount",
    "eth_getTransactionReceipt",
    "eth_getUncleCountByBlockHash",
    "eth_getUncleCountByBlockNumber",
    "eth_maxPriorityFeePerGas",
    "eth_newBlockFilter",
    "eth_newFilter",
    "eth_protocolVersion",
    "eth_syncing",
    "eth_uninstallFilter",
    "web3_clientVersion",
];

/// One call a site asks the account to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DappCall {
    /// The contract or person called.
    pub to: Address,
    /// Wei sent with the call.
    pub value: U256,
    /// The call data.
    pub data: Bytes,
}

/// An ERC-7677 paymaster service a site asks Harbor to use (EIP-5792 `paymasterService`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymasterService {
    /// The service's URL.
    pub url: String,
    /// The `context` to pass to it.
    pub context: Value,
}

/// `wallet_sendCalls` (EIP-5792, version 2.0.0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendCalls {
    /// The version the site speaks.
    pub version: String,
    /// The site's batch id, if it chose one.
    pub id: Option<String>,
    /// The account the site expects to send.
    pub from: Option<Address>,
    /// The chain to send on.
    pub chain_id: u64,
    /// Whether the site requires all calls to happen together (Harbor always does).
    pub atomic_required: bool,
    /// The calls, in order.
    pub calls: Vec<DappCall>,
    /// The paymaster service the site names, if any.
    pub paymaster_service: Option<PaymasterService>,
}

/// A network a site asks to add (EIP-3085 `wallet_addEthereumChain`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddChain {
    /// Chain id.
    pub chain_id: u64,
    /// Its name.
    pub name: String,
    /// The coin's name, symbol and decimals.
    pub currency: (String, String, u8),
    /// Node URLs (https, or loopback http).
    pub rpc_urls: Vec<String>,
    /// Explorer URL.
    pub explorer_url: Option<String>,
}

/// A token a site suggests to show (EIP-747 `wallet_watchAsset`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchAsset {
    /// The token contract.
    pub address: Address,
    /// The site's symbol for it (checked against the chain before showing).
    pub symbol: Option<String>,
    /// The site's decimals for it.
    pub decimals: Option<u8>,
}

/// An EIP-1193 request, parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum DappRequest {
    /// `eth_requestAccounts`: connect the site.
    RequestAccounts,
    /// `eth_accounts`: the connected account, if any.
    Accounts,
    /// `eth_chainId`.
    ChainId,
    /// `net_version`.
    NetVersion,
    /// `wallet_switchEthereumChain`.
    SwitchChain(u64),
    /// `wallet_addEthereumChain`.
    AddChain(AddChain),
    /// `wallet_getPermissions` (EIP-2255).
    GetPermissions,
    /// `wallet_requestPermissions` for `eth_accounts` (EIP-2255).
    RequestPermissions,
    /// `wallet_revokePermissions` for `eth_accounts` (EIP-2255).
    RevokePermissions,
    /// `wallet_watchAsset` (EIP-747).
    WatchAsset(WatchAsset),
    /// `personal_sign`.
    PersonalSign {
        /// The message bytes.
        message: Bytes,
        /// The account the site names.
        address: Address,
    },
    /// `eth_signTypedData_v4`.
    SignTypedData {
        /// The account the site names.
        address: Address,
        /// The document.
        data: Box<TypedData>,
    },
    /// `eth_sendTransaction`: one call from the account.
    SendTransaction {
        /// The account the site names.
        from: Option<Address>,
        /// The call.
        call: DappCall,
        /// The chain the site names, if any.
        chain_id: Option<u64>,
    },
    /// `wallet_sendCalls` (EIP-5792).
    SendCalls(Box<SendCalls>),
    /// `wallet_getCallsStatus` (EIP-5792).
    GetCallsStatus(String),
    /// `wallet_showCallsStatus` (EIP-5792).
    ShowCallsStatus(String),
    /// `wallet_getCapabilities` (EIP-5792).
    GetCapabilities {
        /// The account asked about.
        address: Address,
        /// The chains asked about (every chain when `None`).
        chain_ids: Option<Vec<u64>>,
    },
    /// A read-only method forwarded to the node ([`FORWARDED_READS`]).
    Read {
        /// The method.
        method: String,
        /// Its parameters, unchanged.
        params: Value,
    },
}

impl DappRequest {
    /// Whether answering needs the site to be connected first.
    pub fn needs_connection(&self) -> bool {
        matches!(
            self,
            Self::PersonalSign { .. }
                | Self::SignTypedData { .. }
                | Self::SendTransaction { .. }
                | Self::SendCalls(_)
                | Self::GetCallsStatus(_)
                | Self::ShowCallsStatus(_)
                | Self::WatchAsset(_)
                | Self::AddChain(_)
        )
    }

    /// Parses the JSON-RPC `method` and `params` a site sent.
    pub fn parse(method: &str, params: &Value) -> Result<Self, DappError> {
        let list: &[Value] = match params {
            Value::Array(list) => list,
            Value::Null => &[],
            // EIP-747 sends wallet_watchAsset's parameters as an object.
            Value::Object(_) if method == "wallet_watchAsset" => &[],
            _ => return Err(DappError::invalid(method, "params must be an array")),
        };
        let bad = |reason: &str| DappError::invalid(method, reason);
        Ok(match method {
            "eth_requestAccounts" => Self::RequestAccounts,
            "eth_accounts" => Self::Accounts,
            "eth_chainId" => Self::ChainId,
            "net_version" => Self::NetVersion,
            "eth_sign" => return Err(DappError::EthSignRefused),
            "eth_signTransaction" => return Err(DappError::SignTransactionRefused),
            "wallet_switchEthereumChain" => {
                let object = first_object(method, list)?;
                Self::SwitchChain(quantity_u64(method, "chainId", object.get("chainId"))?)
            }
            "wallet_addEthereumChain" => Self::AddChain(parse_add_chain(method, list)?),
            "wallet_getPermissions" => Self::GetPermissions,
            "wallet_requestPermissions" | "wallet_revokePermissions" => {
                let object = first_object(method, list)?;
                if !object.contains_key("eth_accounts") || object.len() != 1 {
                    return Err(bad("Harbor grants only the eth_accounts permission"));
                }
                if method == "wallet_requestPermissions" {
                    Self::RequestPermissions
                } else {
                    Self::RevokePermissions
                }
            }
            "wallet_watchAsset" => Self::WatchAsset(parse_watch_asset(method, params)?),
            "personal_sign" => {
                let [message, address, ..] = list else {
                    return Err(bad("expected [message, address]"));
                };
                let text = message
                    .as_str()
                    .ok_or_else(|| bad("the message must be a string"))?;
                Self::PersonalSign {
                    message: super::personal_message_bytes(text),
                    address: address_param(method, "address", Some(address))?,
                }
            }
            "eth_signTypedData_v4" => {
                let [address, data, ..] = list else {
                    return Err(bad("expected [address, typedData]"));
                };
                let address = address_param(method, "address", Some(address))?;
                let data = typed_data_from_value(data)?;
                typed_data_hash(&data)?;
                Self::SignTypedData {
                    address,
                    data: Box::new(data),
                }
            }
            "eth_sendTransaction" => {
                let object = first_object(method, list)?;
                let from = optional_address(method, "from", object.get("from"))?;
                let chain_id = match object.get("chainId") {
                    None | Some(Value::Null) => None,
                    some => Some(quantity_u64(method, "chainId", some)?),
                };
                Self::SendTransaction {
                    from,
                    call: parse_call(method, object)?,
                    chain_id,
                }
            }
            "wallet_sendCalls" => Self::SendCalls(Box::new(parse_send_calls(method, list)?)),
            "wallet_getCallsStatus" | "wallet_showCallsStatus" => {
                let id = list
                    .first()
                    .and_then(Value::as_str)
                    .filter(|id| !id.is_empty() && id.len() <= 4096)
                    .ok_or_else(|| bad("expected [batchId]"))?
                    .to_owned();
                if method == "wallet_getCallsStatus" {
                    Self::GetCallsStatus(id)
                } else {
                    Self::ShowCallsStatus(id)
                }
            }
            "wallet_getCapabilities" => {
                let address = address_param(method, "address", list.first())?;
                let chain_ids = match list.get(1) {
                    None | Some(Value::Null) => None,
                    Some(Value::Array(ids)) => Some(
                        ids.iter()
                            .map(|id| quantity_u64(method, "chainId", Some(id)))
                            .collect::<Result<_, _>>()?,
                    ),
                    Some(_) => return Err(bad("the chain ids must be an array")),
                };
                Self::GetCapabilities { address, chain_ids }
            }
            read if FORWARDED_READS.contains(&read) => Self::Read {
                method: read.to_owned(),
                params: Value::Array(list.to_vec()),
            },
            other => return Err(DappError::UnsupportedMethod(truncate(other))),
        })
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(80).collect()
}

fn first_object<'a>(method: &str, list: &'a [Value]) -> Result<&'a Map<String, Value>, DappError> {
    list.first()
        .and_then(Value::as_object)
        .ok_or_else(|| DappError::invalid(method, "expected an object as the first parameter"))
}

/// A hex quantity (`0x1`) or, leniently, a JSON number.
fn quantity_u64(method: &str, field: &str, value: Option<&Value>) -> Result<u64, DappError> {
    let bad = || DappError::invalid(method, format!("{field} must be a hex number like 0x1"));
    match value {
        Some(Value::String(s)) => {
            let digits = s.strip_prefix("0x").ok_or_else(bad)?;
            if digits.is_empty() || digits.len() > 16 {
                return Err(bad());
            }
            u64::from_str_radix(digits, 16).map_err(|_| bad())
        }
        Some(Value::Number(n)) => n.as_u64().ok_or_else(bad),
        _ => Err(bad()),
    }
}

fn quantity_u256(method: &str, field: &str, value: Option<&Value>) -> Result<U256, DappError> {
    match value {
        None | Some(Value::Null) => Ok(U256::ZERO),
        Some(Value::String(s)) if s.starts_with("0x") && s.len() > 2 && s.len() <= 66 => {
            U256::from_str_radix(&s[2..], 16)
                .map_err(|_| DappError::invalid(method, format!("{field} is not a hex number")))
        }
        Some(Value::Number(n)) if n.as_u64().is_some() => Ok(U256::from(n.as_u64().unwrap_or(0))),
        _ => Err(DappError::invalid(
            method,
            format!("{field} must be a hex number like 0x1"),
        )),
    }
}

fn address_param(method: &str, field: &str, value: Option<&Value>) -> Result<Address, DappError> {
    value
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| DappError::invalid(method, format!("{field} must be an address")))
}

fn optional_address(
    method: &str,
    field: &str,
    value: Option<&Value>,
) -> Result<Option<Address>, DappError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        some => address_param(method, field, some).map(Some),
    }
}

fn hex_bytes(method: &str, field: &str, value: Option<&Value>) -> Result<Bytes, DappError> {
    match value {
        None | Some(Value::Null) => Ok(Bytes::new()),
        Some(Value::String(s)) if s.starts_with("0x") => hex::decode(s)
            .map(Bytes::from)
            .map_err(|_| DappError::invalid(method, format!("{field} is not hex data"))),
        _ => Err(DappError::invalid(
            method,
            format!("{field} must be 0x-prefixed hex"),
        )),
    }
}

fn parse_call(method: &str, object: &Map<String, Value>) -> Result<DappCall, DappError> {
    let to = optional_address(method, "to", object.get("to"))?.ok_or_else(|| {
        DappError::invalid(
            method,
            "a call needs a `to` address (the account does not create contracts for sites)",
        )
    })?;
    let data = match (object.get("data"), object.get("input")) {
        (Some(data), Some(input)) if !data.is_null() && !input.is_null() && data != input => {
            return Err(DappError::invalid(method, "data and input differ"));
        }
        (Some(data), _) if !data.is_null() => hex_bytes(method, "data", Some(data))?,
        (_, input) => hex_bytes(method, "input", input)?,
    };
    Ok(DappCall {
        to,
        value: quantity_u256(method, "value", object.get("value"))?,
        data,
    })
}

fn parse_send_calls(method: &str, list: &[Value]) -> Result<SendCalls, DappError> {
    let object = first_object(method, list)?;
    let bad = |reason: &str| DappError::invalid(method, reason);
    let version = object
        .get("version")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("version is required (\"2.0.0\")"))?
        .to_owned();
    if !(version.starts_with("2.") || version == "1.0") {
        return Err(bad("Harbor speaks EIP-5792 version 2.0.0"));
    }
    let id = match object.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) if !id.is_empty() && id.len() <= 4096 => Some(id.clone()),
        Some(_) => {
            return Err(bad(
                "id must be a non-empty string of at most 4096 characters",
            ));
        }
    };
    let calls = object
        .get("calls")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("calls must be an array"))?;
    if calls.is_empty() {
        return Err(bad("calls is empty"));
    }
    if calls.len() > MAX_BATCH_CALLS {
        return Err(DappError::BatchTooLarge {
            max: MAX_BATCH_CALLS,
        });
    }
    let mut parsed = Vec::with_capacity(calls.len());
    let mut paymaster_service = capabilities(method, object.get("capabilities"))?;
    for call in calls {
        let call = call
            .as_object()
            .ok_or_else(|| bad("each call must be an object"))?;
        if let Some(service) = capabilities(method, call.get("capabilities"))? {
            paymaster_service.get_or_insert(service);
        }
        parsed.push(parse_call(method, call)?);
    }
    let atomic_required = match object.get("atomicRequired") {
        None | Some(Value::Null) if version == "1.0" => false,
        Some(Value::Bool(b)) => *b,
        _ => return Err(bad("atomicRequired must be true or false")),
    };
    Ok(SendCalls {
        version,
        id,
        from: optional_address(method, "from", object.get("from"))?,
        chain_id: quantity_u64(method, "chainId", object.get("chainId"))?,
        atomic_required,
        calls: parsed,
        paymaster_service,
    })
}

/// Reads EIP-5792 capabilities: `paymasterService` is understood; any other capability not
/// marked `optional: true` is refused (5700).
fn capabilities(
    method: &str,
    value: Option<&Value>,
) -> Result<Option<PaymasterService>, DappError> {
    let object = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(object)) => object,
        Some(_) => return Err(DappError::invalid(method, "capabilities must be an object")),
    };
    let mut service = None;
    for (name, capability) in object {
        let optional = capability.get("optional").and_then(Value::as_bool) == Some(true);
        match name.as_str() {
            "paymasterService" => {
                let url = capability
                    .get("url")
                    .and_then(Value::as_str)
                    .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                    .ok_or_else(|| {
                        DappError::invalid(method, "paymasterService.url must be an http(s) URL")
                    })?;
                service = Some(PaymasterService {
                    url: url.to_owned(),
                    context: capability.get("context").cloned().unwrap_or(Value::Null),
                });
            }
            _ if optional => {}
            other => return Err(DappError::UnsupportedCapability(truncate(other))),
        }
    }
    Ok(service)
}

fn parse_add_chain(method: &str, list: &[Value]) -> Result<AddChain, DappError> {
    let object = first_object(method, list)?;
    let bad = |reason: &str| DappError::invalid(method, reason);
    let chain_id = quantity_u64(method, "chainId", object.get("chainId"))?;
    let name = object
        .get("chainName")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty() && n.chars().count() <= 64)
        .ok_or_else(|| bad("chainName must be a name of 1 to 64 characters"))?
        .to_owned();
    let currency = object
        .get("nativeCurrency")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("nativeCurrency is required"))?;
    let symbol = currency
        .get("symbol")
        .and_then(Value::as_str)
        .filter(|s| (2..=6).contains(&s.chars().count()))
        .ok_or_else(|| bad("nativeCurrency.symbol must have 2 to 6 characters"))?;
    let currency_name = currency
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(symbol);
    let decimals = currency
        .get("decimals")
        .and_then(Value::as_u64)
        .filter(|d| *d == 18)
        .ok_or_else(|| bad("nativeCurrency.decimals must be 18"))? as u8;
    let rpc_urls: Vec<String> = object
        .get("rpcUrls")
        .and_then(Value::as_array)
        .map(|urls| {
            urls.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if rpc_urls.is_empty() {
        return Err(bad("rpcUrls must list at least one URL"));
    }
    let explorer_url = object
        .get("blockExplorerUrls")
        .and_then(Value::as_array)
        .and_then(|urls| urls.first())
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(AddChain {
        chain_id,
        name,
        currency: (currency_name.to_owned(), symbol.to_owned(), decimals),
        rpc_urls,
        explorer_url,
    })
}

fn parse_watch_asset(method: &str, params: &Value) -> Result<WatchAsset, DappError> {
    // EIP-747 sends an object; some sites wrap it in an array.
    let object = match params {
        Value::Object(object) => object,
        Value::Array(list) => first_object(method, list)?,
        _ => return Err(DappError::invalid(method, "expected {type, options}")),
    };
    if object.get("type").and_then(Value::as_str) != Some("ERC20") {
        return Err(DappError::invalid(method, "Harbor shows ERC20 tokens only"));
    }
    let options = object
        .get("options")
        .and_then(Value::as_object)
        .ok_or_else(|| DappError::invalid(method, "options are required"))?;
    Ok(WatchAsset {
        address: address_param(method, "options.address", options.get("address"))?,
        symbol: options.get("symbol").and_then(Value::as_str).map(truncate),
        decimals: options
            .get("decimals")
            .and_then(Value::as_u64)
            .and_then(|d| u8::try_from(d).ok()),
    })
}
