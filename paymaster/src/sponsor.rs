//! What the relay signs for the HarborPaymaster contract, and the policy checks before it does.

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::SolValue;
use harbor_core::aa::{DUMMY_SIGNATURE, UserOperation, decode_calls};
use harbor_core::evm::{parse_signature, personal_message_hash, recover_address};
use harbor_core::keys::{SignError, Signer};

use crate::config::{Policy, parse_selector};

/// Gas the HarborPaymaster's validation gets (measured ≈ 12 k; generous for cold storage).
pub const PAYMASTER_VERIFICATION_GAS: u64 = 60_000;
/// HarborPaymaster has no post-operation hook.
pub const PAYMASTER_POST_OP_GAS: u64 = 0;
/// Length of `paymasterData`: validUntil (6) ‖ validAfter (6) ‖ signature (65).
pub const PAYMASTER_DATA_LEN: usize = 77;

/// A policy rule that said no.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule's name as in the configuration (`max_call_gas`, `allowed_targets` …).
    pub rule: &'static str,
    /// A sentence for the caller.
    pub message: String,
}

fn violation(rule: &'static str, message: String) -> Result<(), Violation> {
    Err(Violation { rule, message })
}

/// Checks an operation against the per-operation rules of `policy` (limits over time are the
/// store's job). Zero gas values (not estimated yet, at the stub stage) pass the caps.
pub fn check_operation(policy: &Policy, op: &UserOperation) -> Result<(), Violation> {
    let caps = [
        ("max_call_gas", op.call_gas_limit, policy.max_call_gas),
        (
            "max_verification_gas",
            op.verification_gas_limit,
            policy.max_verification_gas,
        ),
        (
            "max_pre_verification_gas",
            op.pre_verification_gas,
            policy.max_pre_verification_gas,
        ),
    ];
    for (rule, value, cap) in caps {
        if value > U256::from(cap) {
            return violation(
                rule,
                format!("{value} gas is above the sponsor's cap of {cap}"),
            );
        }
    }
    if op.max_fee_per_gas > policy.max_fee_per_gas_wei {
        return violation(
            "max_fee_per_gas_wei",
            format!(
                "maxFeePerGas {} wei is above the sponsor's cap of {} wei",
                op.max_fee_per_gas, policy.max_fee_per_gas_wei
            ),
        );
    }
    if op.max_priority_fee_per_gas > op.max_fee_per_gas {
        return violation("fees", "maxPriorityFeePerGas is above maxFeePerGas".into());
    }
    if let Some(limit) = op.paymaster_verification_gas_limit
        && limit > U256::from(PAYMASTER_VERIFICATION_GAS)
    {
        return violation(
            "paymaster_gas_limits",
            format!("paymasterVerificationGasLimit must be at most {PAYMASTER_VERIFICATION_GAS}"),
        );
    }
    if let Some(limit) = op.paymaster_post_op_gas_limit
        && limit > U256::from(PAYMASTER_POST_OP_GAS)
    {
        return violation(
            "paymaster_gas_limits",
            format!("paymasterPostOpGasLimit must be {PAYMASTER_POST_OP_GAS}"),
        );
    }
    let restricts = !policy.allowed_targets.is_empty()
        || !policy.allowed_selectors.is_empty()
        || !policy.allow_native_transfers;
    if !restricts {
        return Ok(());
    }
    let Some(calls) = decode_calls(&op.call_data) else {
        return violation(
            "allowed_targets",
            "the call data is not a Harbor account call (execute / executeBatch), so its targets cannot be checked".into(),
        );
    };
    let selectors: Vec<[u8; 4]> = policy
        .allowed_selectors
        .iter()
        .filter_map(|s| parse_selector(s))
        .collect();
    for call in &calls {
        if !policy.allowed_targets.is_empty() && !policy.allowed_targets.contains(&call.to) {
            return violation(
                "allowed_targets",
                format!("calls to {} are not sponsored", call.to),
            );
        }
        if call.data.is_empty() {
            if !policy.allow_native_transfers {
                return violation(
                    "allow_native_transfers",
                    "plain ETH transfers are not sponsored".into(),
                );
            }
            continue;
        }
        if !selectors.is_empty() {
            let selector: [u8; 4] = call
                .data
                .get(..4)
                .and_then(|s| s.try_into().ok())
                .unwrap_or_default();
            if !selectors.contains(&selector) {
                return violation(
                    "allowed_selectors",
                    format!(
                        "function 0x{} is not sponsored",
                        alloy_primitives::hex::encode(selector)
                    ),
                );
            }
        }
    }
    Ok(())
}

/// The hash `HarborPaymaster.getHash(userOp, validUntil, validAfter)` computes.
pub fn paymaster_hash(
    op: &UserOperation,
    chain_id: u64,
    paymaster: Address,
    valid_until: u64,
    valid_after: u64,
) -> B256 {
    let packed = op.pack();
    let gas_word = U256::from_be_slice(&packed.paymasterAndData[20..52]);
    keccak256(
        (
            packed.sender,
            packed.nonce,
            keccak256(&packed.initCode),
            keccak256(&packed.callData),
            packed.accountGasLimits,
            gas_word,
            packed.preVerificationGas,
            packed.gasFees,
            U256::from(chain_id),
            paymaster,
            U256::from(valid_until),
            U256::from(valid_after),
        )
            .abi_encode(),
    )
}

/// Sets the paymaster fields of `op` to this paymaster with its fixed gas limits.
pub fn attach_paymaster(op: &mut UserOperation, paymaster: Address) {
    op.paymaster = Some(paymaster);
    op.paymaster_verification_gas_limit = Some(U256::from(PAYMASTER_VERIFICATION_GAS));
    op.paymaster_post_op_gas_limit = Some(U256::from(PAYMASTER_POST_OP_GAS));
    if op.paymaster_data.as_ref().map(|d| d.len()) != Some(PAYMASTER_DATA_LEN) {
        op.paymaster_data = Some(Bytes::from(vec![0u8; PAYMASTER_DATA_LEN]));
    }
}

fn encode_data(valid_until: u64, valid_after: u64, signature: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(PAYMASTER_DATA_LEN);
    out.extend_from_slice(&valid_until.to_be_bytes()[2..]);
    out.extend_from_slice(&valid_after.to_be_bytes()[2..]);
    out.extend_from_slice(signature);
    out.into()
}

/// Stub `paymasterData`: the final length and validity window with a signature that fails
/// (same code path, same gas, no zero bytes in the signature).
pub fn stub_data(valid_until: u64, valid_after: u64) -> Bytes {
    encode_data(valid_until, valid_after, &DUMMY_SIGNATURE)
}

/// Signs `op` (with its paymaster fields attached) for `[valid_after, valid_until]`.
pub fn sign_data(
    signer: &dyn Signer,
    op: &UserOperation,
    chain_id: u64,
    paymaster: Address,
    valid_until: u64,
    valid_after: u64,
) -> Result<Bytes, SignError> {
    let hash = paymaster_hash(op, chain_id, paymaster, valid_until, valid_after);
    let signature = signer.sign_hash(&personal_message_hash(hash.as_slice()))?;
    Ok(encode_data(valid_until, valid_after, &signature.as_bytes()))
}

/// The signer of `op`'s paymaster data and its validity window, if it parses.
pub fn recover_sponsor(op: &UserOperation, chain_id: u64) -> Option<(Address, u64, u64)> {
    let paymaster = op.paymaster?;
    let data = op.paymaster_data.as_ref()?;
    if data.len() != PAYMASTER_DATA_LEN {
        return None;
    }
    let mut until = [0u8; 8];
    until[2..].copy_from_slice(&data[..6]);
    let mut after = [0u8; 8];
    after[2..].copy_from_slice(&data[6..12]);
    let (valid_until, valid_after) = (u64::from_be_bytes(until), u64::from_be_bytes(after));
    let hash = paymaster_hash(op, chain_id, paymaster, valid_until, valid_after);
    let signature = parse_signature(&data[12..]).ok()?;
    let signer = recover_address(&personal_message_hash(hash.as_slice()), &signature).ok()?;
    Some((signer, valid_until, valid_after))
}

#[cfg(test)]
mod tests {
    use super::*;
    use harbor_core::aa::{AccountCall, encode_calls};
    use harbor_core::keys::LocalSigner;

    fn op(calls: &[AccountCall]) -> UserOperation {
        UserOperation {
            sender: Address::repeat_byte(1),
            call_data: encode_calls(calls),
            call_gas_limit: U256::from(100_000),
            verification_gas_limit: U256::from(100_000),
            pre_verification_gas: U256::from(50_000),
            max_fee_per_gas: U256::from(2_000_000_000u64),
            max_priority_fee_per_gas: U256::from(1_000_000_000u64),
            ..UserOperation::default()
        }
    }

    fn transfer(to: Address) -> AccountCall {
        AccountCall {
            to,
            value: U256::from(1),
            data: Bytes::new(),
        }
    }

    #[test]
    fn caps_and_allowlists() {
        let mut policy = Policy::defaults(1);
        let base = op(&[transfer(Address::repeat_byte(2))]);
        assert_eq!(check_operation(&policy, &base), Ok(()));

        let mut big = base.clone();
        big.call_gas_limit = U256::from(policy.max_call_gas + 1);
        assert_eq!(
            check_operation(&policy, &big).unwrap_err().rule,
            "max_call_gas"
        );
        let mut big = base.clone();
        big.pre_verification_gas = U256::from(policy.max_pre_verification_gas + 1);
        assert_eq!(
            check_operation(&policy, &big).unwrap_err().rule,
            "max_pre_verification_gas"
        );
        let mut pricey = base.clone();
        pricey.max_fee_per_gas = policy.max_fee_per_gas_wei + U256::from(1);
        assert_eq!(
            check_operation(&policy, &pricey).unwrap_err().rule,
            "max_fee_per_gas_wei"
        );

        policy.allowed_targets = vec![Address::repeat_byte(3)];
        assert_eq!(
            check_operation(&policy, &base).unwrap_err().rule,
            "allowed_targets"
        );
        policy.allowed_targets = vec![Address::repeat_byte(2)];
        policy.allow_native_transfers = false;
        assert_eq!(
            check_operation(&policy, &base).unwrap_err().rule,
            "allow_native_transfers"
        );
        policy.allowed_selectors = vec!["0xa9059cbb".into()];
        let token_call = AccountCall {
            to: Address::repeat_byte(2),
            value: U256::ZERO,
            data: harbor_core::tokens::transfer_call_data(Address::ZERO, U256::from(1)),
        };
        assert_eq!(
            check_operation(&policy, &op(std::slice::from_ref(&token_call))),
            Ok(())
        );
        let other = AccountCall {
            data: Bytes::from(vec![0xde, 0xad, 0xbe, 0xef]),
            ..token_call
        };
        assert_eq!(
            check_operation(&policy, &op(&[other])).unwrap_err().rule,
            "allowed_selectors"
        );
        let mut opaque = base;
        opaque.call_data = Bytes::from(vec![1, 2, 3, 4]);
        assert_eq!(
            check_operation(&policy, &opaque).unwrap_err().rule,
            "allowed_targets"
        );
    }

    #[test]
    fn sign_and_recover() {
        let signer = LocalSigner::random().unwrap();
        let paymaster = Address::repeat_byte(9);
        let mut op = op(&[transfer(Address::repeat_byte(2))]);
        attach_paymaster(&mut op, paymaster);
        let stub = stub_data(1000, 0);
        assert_eq!(stub.len(), PAYMASTER_DATA_LEN);
        let data = sign_data(&signer, &op, 31337, paymaster, 1000, 0).unwrap();
        assert_eq!(data.len(), PAYMASTER_DATA_LEN);
        op.paymaster_data = Some(data);
        assert_eq!(
            recover_sponsor(&op, 31337),
            Some((signer.address(), 1000, 0))
        );
        // Another chain or a changed field gives another signer.
        assert_ne!(recover_sponsor(&op, 1).map(|r| r.0), Some(signer.address()));
        op.call_gas_limit += U256::from(1);
        assert_ne!(
            recover_sponsor(&op, 31337).map(|r| r.0),
            Some(signer.address())
        );
    }
}
