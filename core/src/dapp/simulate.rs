//! Calls run on the person's own node before they approve them, from their account: what
//! moves in and out, what spending rights are granted, and whether it would fail. Uses
//! `eth_simulateV1` (with `traceTransfers` for ETH); a node without it gets one `eth_call` per
//! call (failures still show; asset changes then come from the call data only). No third party.

use alloy_primitives::{Address, Bytes, U256};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::assets::{self, AssetChange, AssetKind, Grant, SimLog};
use super::request::DappCall;
use crate::aa::decode_revert;
use crate::rpc::{NodeClient, RpcError};
use crate::tokens::format_amount;

/// What running the calls showed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Simulation {
    /// Whether the node could simulate (`false`: only failures and call data were checked).
    pub simulated: bool,
    /// Assets in and out of the account.
    pub changes: Vec<AssetChange>,
    /// Spending rights granted.
    pub grants: Vec<Grant>,
    /// Why the batch would fail (it is atomic: nothing happens then).
    pub reverted: Option<String>,
}

fn call_json(from: Address, call: &DappCall) -> Value {
    json!({"from": from, "to": call.to, "value": format!("{:#x}", call.value), "input": call.data})
}

/// Runs `calls` from `account` on `node` and reads what they do.
pub async fn simulate(
    node: &NodeClient,
    account: Address,
    calls: &[DappCall],
) -> Result<Simulation, RpcError> {
    let params = json!([{
        "blockStateCalls": [{"calls": calls.iter().map(|c| call_json(account, c)).collect::<Vec<_>>()}],
        "traceTransfers": true,
        "validation": false,
    }, "latest"]);
    let mut simulation = match node.raw("eth_simulateV1", params).await {
        Ok(result) => read_simulation(account, calls.len(), &result),
        Err(RpcError::Server { code, .. })
            if code == crate::codes::METHOD_NOT_FOUND || code == crate::codes::INVALID_PARAMS =>
        {
            call_by_call(node, account, calls).await?
        }
        Err(other) => return Err(other),
    };
    name_assets(node, &mut simulation).await;
    Ok(simulation)
}

fn read_simulation(account: Address, count: usize, result: &Value) -> Simulation {
    let results = result
        .get(0)
        .and_then(|block| block.get("calls"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut logs = Vec::new();
    for (index, call) in results.iter().enumerate() {
        let ok = call.get("status").and_then(Value::as_str) == Some("0x1");
        if !ok {
            let data: Bytes = call
                .get("returnData")
                .and_then(|d| serde_json::from_value(d.clone()).ok())
                .unwrap_or_default();
            let reason = if data.is_empty() {
                call.pointer("/error/message")
                    .and_then(Value::as_str)
                    .map_or_else(|| decode_revert(&data), str::to_owned)
            } else {
                decode_revert(&data)
            };
            return Simulation {
                simulated: true,
                reverted: Some(if count > 1 {
                    format!("call {} fails: {reason}", index + 1)
                } else {
                    reason
                }),
                ..Simulation::default()
            };
        }
        if let Some(list) = call.get("logs") {
            logs.extend(serde_json::from_value::<Vec<SimLog>>(list.clone()).unwrap_or_default());
        }
    }
    if results.len() != count {
        return Simulation {
            simulated: false,
            reverted: None,
            ..Simulation::default()
        };
    }
    let (changes, grants) = assets::read_logs(account, &logs);
    Simulation {
        simulated: true,
        changes,
        grants,
        reverted: None,
    }
}

async fn call_by_call(
    node: &NodeClient,
    account: Address,
    calls: &[DappCall],
) -> Result<Simulation, RpcError> {
    let mut simulation = Simulation::default();
    for (index, call) in calls.iter().enumerate() {
        match node
            .raw("eth_call", json!([call_json(account, call), "latest"]))
            .await
        {
            Ok(_) => {}
            Err(e @ RpcError::Server { .. }) => {
                let reason = e
                    .revert_data()
                    .map_or_else(|| e.to_string(), |data| decode_revert(&data));
                simulation.reverted = Some(format!("call {} fails: {reason}", index + 1));
                return Ok(simulation);
            }
            Err(other) => return Err(other),
        }
        if call.value > U256::ZERO {
            simulation.changes.push(AssetChange {
                kind: AssetKind::Native,
                token: None,
                token_id: None,
                amount: call.value,
                incoming: false,
                counterparty: call.to,
                symbol: None,
                formatted: None,
            });
        }
        if let Some(grant) = assets::grant_in_call(call.to, &call.data) {
            simulation.grants.push(grant);
        }
    }
    Ok(simulation)
}

/// A token's symbol (printable, at most 12 characters) and decimals (at most 36), when the
/// contract reports them.
pub async fn token_info(node: &NodeClient, token: Address) -> (Option<String>, Option<u8>) {
    let symbol = node
        .erc20_symbol(token)
        .await
        .ok()
        .map(|s| s.chars().filter(|c| !c.is_control()).take(12).collect());
    let decimals = node.erc20_decimals(token).await.ok().filter(|d| *d <= 36);
    (symbol, decimals)
}

/// Fills in symbols and formatted amounts from the token contracts.
pub async fn name_assets(node: &NodeClient, simulation: &mut Simulation) {
    let mut known: std::collections::HashMap<Address, (Option<String>, Option<u8>)> =
        std::collections::HashMap::new();
    for change in &mut simulation.changes {
        let Some(token) = change.token else {
            change.formatted = Some(format_amount(change.amount, 18));
            continue;
        };
        if let std::collections::hash_map::Entry::Vacant(slot) = known.entry(token) {
            slot.insert(token_info(node, token).await);
        }
        let (symbol, decimals) = known.get(&token).cloned().unwrap_or_default();
        change.symbol = symbol;
        if change.kind == AssetKind::Erc20 {
            change.formatted = decimals.map(|d| format_amount(change.amount, d));
        }
    }
    for grant in &mut simulation.grants {
        if let std::collections::hash_map::Entry::Vacant(slot) = known.entry(grant.token) {
            slot.insert(token_info(node, grant.token).await);
        }
        let (symbol, decimals) = known.get(&grant.token).cloned().unwrap_or_default();
        grant.symbol = symbol;
        if let (Some(amount), Some(d), None) = (grant.amount, decimals, grant.token_id)
            && !grant.unlimited
        {
            grant.formatted = Some(format_amount(amount, d));
        }
    }
}
