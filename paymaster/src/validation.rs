//! The ERC-7562 validation rules, checked on an opcode trace of the bundle transaction before
//! the relay sends it (`debug_traceCall` with the standard struct logger).
//!
//! In the validation phase (everything the EntryPoint runs before it first calls itself to
//! execute an operation), code of the account, its factory and its paymaster may not use the
//! opcodes whose result can change between simulation and inclusion (block values, balances,
//! the origin, gas left except right before a call), may not create contracts except the
//! factory creating the sender, and may touch storage only of the sender, the EntryPoint, or
//! their own when staked. An operation that breaks a rule would let its sender pass the relay's
//! simulation and fail on chain at the relayer's cost.
//!
//! Stricter than ERC-7562 in one way: storage "associated" with the sender in other contracts
//! (a token balance keyed by the sender) is refused too, since the struct logger does not show
//! the hashed keys; Harbor accounts never need it.

use alloy_primitives::Address;
use harbor_core::aa::UserOperation;
use serde_json::Value;

/// Opcodes forbidden during validation (ERC-7562 [OP-011] … [OP-080]).
const BANNED: &[&str] = &[
    "GASPRICE",
    "GASLIMIT",
    "DIFFICULTY",
    "PREVRANDAO",
    "TIMESTAMP",
    "BASEFEE",
    "BLOCKHASH",
    "NUMBER",
    "SELFBALANCE",
    "BALANCE",
    "ORIGIN",
    "COINBASE",
    "SELFDESTRUCT",
    "BLOBHASH",
    "BLOBBASEFEE",
    "CREATE",
    "INVALID",
];

const CALLS: &[&str] = &["CALL", "STATICCALL", "DELEGATECALL", "CALLCODE"];

/// A rule broken during validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleBreak {
    /// Who broke it: `account`, `factory` or `paymaster`.
    pub entity: &'static str,
    /// The contract whose code did it.
    pub contract: Address,
    /// What it did.
    pub rule: String,
}

impl std::fmt::Display for RuleBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the {}'s validation ({}) {}, which the ERC-7562 rules forbid",
            self.entity, self.contract, self.rule
        )
    }
}

struct Frame {
    /// Whose storage the code works on.
    storage: Address,
    /// Whose code runs.
    code: Address,
}

fn address_from_word(word: &str) -> Address {
    let hex = word.trim_start_matches("0x");
    let hex = format!("{hex:0>40}");
    hex[hex.len() - 40..].parse().unwrap_or_default()
}

/// Checks the struct-logger trace of `handleOps([op])` against the validation rules. `staked`:
/// entities (paymaster, factory) with enough stake to use their own storage.
pub fn check_trace(
    trace: &Value,
    entry_point: Address,
    op: &UserOperation,
    staked: &[Address],
) -> Result<(), RuleBreak> {
    let Some(steps) = trace["structLogs"].as_array() else {
        return Ok(());
    };
    // frames[d - 1] is the frame at depth d; depth 1 is the EntryPoint.
    let mut frames = vec![Frame {
        storage: entry_point,
        code: entry_point,
    }];
    let mut entity: (&'static str, Address) = ("account", op.sender);
    let mut created = false;
    for (i, step) in steps.iter().enumerate() {
        let depth = step["depth"].as_u64().unwrap_or(1) as usize;
        let op_name = step["op"].as_str().unwrap_or_default();
        frames.truncate(depth.max(1));
        while frames.len() < depth {
            // Entered a frame we did not see the call of: keep the caller's context.
            let last = frames.last().map_or(entry_point, |f| f.storage);
            frames.push(Frame {
                storage: last,
                code: last,
            });
        }
        let stack: Vec<&str> = step["stack"]
            .as_array()
            .map(|s| s.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let next_depth = steps
            .get(i + 1)
            .and_then(|s| s["depth"].as_u64())
            .unwrap_or(0) as usize;
        if depth == 1 {
            // The EntryPoint calling itself starts the execution phase: validation is over.
            if op_name == "CALL"
                && stack.len() >= 2
                && address_from_word(stack[stack.len() - 2]) == entry_point
            {
                return Ok(());
            }
            if CALLS.contains(&op_name) && stack.len() >= 2 {
                let target = address_from_word(stack[stack.len() - 2]);
                entity = if target == op.sender {
                    ("account", target)
                } else if Some(target) == op.paymaster {
                    ("paymaster", target)
                } else {
                    ("factory", op.factory.unwrap_or(target))
                };
            }
        } else {
            let here = frames.last().map_or(entry_point, |f| f.code);
            let storage = frames.last().map_or(entry_point, |f| f.storage);
            let broke = |rule: String| RuleBreak {
                entity: entity.0,
                contract: here,
                rule,
            };
            if BANNED.contains(&op_name) {
                return Err(broke(format!("uses {op_name}")));
            }
            if op_name == "GAS" {
                let next = steps
                    .get(i + 1)
                    .and_then(|s| s["op"].as_str())
                    .unwrap_or_default();
                if !CALLS.contains(&next) {
                    return Err(broke("reads GAS other than for a call".into()));
                }
            }
            if op_name == "CREATE2" {
                if entity.0 != "factory" || created {
                    return Err(broke("creates a contract".into()));
                }
                created = true;
            }
            if matches!(op_name, "SLOAD" | "SSTORE" | "TLOAD" | "TSTORE") {
                let allowed = storage == op.sender
                    || storage == entry_point
                    || (storage == entity.1 && staked.contains(&entity.1));
                if !allowed {
                    return Err(broke(format!(
                        "accesses the storage of {storage} ({op_name})"
                    )));
                }
            }
        }
        // Entering a new frame: record whose code and storage it runs with.
        if next_depth == depth + 1 {
            let target = stack
                .len()
                .checked_sub(2)
                .map(|i| address_from_word(stack[i]))
                .unwrap_or_default();
            let current = frames.last().map_or(entry_point, |f| f.storage);
            let frame = match op_name {
                "CALL" | "STATICCALL" => Frame {
                    storage: target,
                    code: target,
                },
                "DELEGATECALL" | "CALLCODE" => Frame {
                    storage: current,
                    code: target,
                },
                // The factory creating the account: its constructor runs as the sender.
                "CREATE2" | "CREATE" => Frame {
                    storage: op.sender,
                    code: op.sender,
                },
                _ => Frame {
                    storage: current,
                    code: current,
                },
            };
            frames.push(frame);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const EP: &str = "0x0000000071727de22e5e9d8baf0edac6f37da032";

    fn step(op: &str, depth: u64, stack: &[&str]) -> Value {
        json!({"op": op, "depth": depth, "stack": stack})
    }

    fn op() -> UserOperation {
        UserOperation {
            sender: Address::repeat_byte(0x5e),
            paymaster: Some(Address::repeat_byte(0x9a)),
            ..UserOperation::default()
        }
    }

    fn word(a: Address) -> String {
        format!("{a:#x}")
    }

    fn trace(validation: Vec<Value>) -> Value {
        let sender = word(Address::repeat_byte(0x5e));
        let mut steps = vec![step("CALL", 1, &["0x0", &sender, "0x0"])];
        steps.extend(validation);
        // Execution: the EntryPoint calls itself; anything goes after that.
        steps.push(step("CALL", 1, &["0x0", EP, "0x0"]));
        steps.push(step("TIMESTAMP", 2, &[]));
        json!({ "structLogs": steps })
    }

    #[test]
    fn clean_validation_passes_and_execution_is_free() {
        let t = trace(vec![
            step("SLOAD", 2, &[]),
            step("GAS", 2, &[]),
            step("STATICCALL", 2, &["0x0", "0x1"]),
        ]);
        let ep: Address = EP.parse().unwrap();
        assert_eq!(check_trace(&t, ep, &op(), &[]), Ok(()));
    }

    #[test]
    fn banned_opcodes_gas_and_foreign_storage_are_caught() {
        let ep: Address = EP.parse().unwrap();
        for (steps, expected) in [
            (vec![step("ORIGIN", 2, &[])], "uses ORIGIN"),
            (vec![step("BALANCE", 2, &[])], "uses BALANCE"),
            (vec![step("TIMESTAMP", 2, &[])], "uses TIMESTAMP"),
            (vec![step("GAS", 2, &[]), step("ADD", 2, &[])], "reads GAS"),
        ] {
            let err = check_trace(&trace(steps), ep, &op(), &[]).unwrap_err();
            assert!(err.rule.contains(expected), "{err}");
            assert_eq!(err.entity, "account");
        }
        // The account calling another contract that reads its own storage.
        let other = word(Address::repeat_byte(0x77));
        let t = trace(vec![
            step("CALL", 2, &["0x0", &other, "0x0"]),
            step("SLOAD", 3, &[]),
        ]);
        let err = check_trace(&t, ep, &op(), &[]).unwrap_err();
        assert!(err.rule.contains("accesses the storage"), "{err}");
        // Through DELEGATECALL the storage stays the account's own.
        let t = trace(vec![
            step("DELEGATECALL", 2, &["0x0", &other, "0x0"]),
            step("SLOAD", 3, &[]),
        ]);
        assert_eq!(check_trace(&t, ep, &op(), &[]), Ok(()));
    }

    #[test]
    fn a_paymaster_uses_its_own_storage_only_when_staked() {
        let ep: Address = EP.parse().unwrap();
        let paymaster = Address::repeat_byte(0x9a);
        let steps = vec![
            step("CALL", 1, &["0x0", &word(paymaster), "0x0"]),
            step("SLOAD", 2, &[]),
            step("CALL", 1, &["0x0", EP, "0x0"]),
        ];
        let t = json!({ "structLogs": steps });
        assert!(check_trace(&t, ep, &op(), &[]).is_err());
        assert_eq!(check_trace(&t, ep, &op(), &[paymaster]), Ok(()));
    }
}
