//! What a sponsorship may cost the sponsor and what a bundle costs the relayer.
//!
//! - Fees signed are bounded by the chain's current fees plus a margin, so a sponsorship cannot
//!   be turned into cash by asking for a fee far above the market and submitting it oneself.
//! - `preVerificationGas` must cover the bundle's calldata at the EIP-7623 floor and the
//!   EntryPoint's overhead (so the relayer's refund covers its transaction), and may not be
//!   inflated above that.
//! - Gas limits are bounded by the relay's own estimate of the operation.

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::SolCall;
use harbor_core::aa::{IEntryPoint, UserOperation};

use crate::sponsor::Violation;

/// Gas the EntryPoint spends per bundle outside what it measures for the operation (loop,
/// events, the beneficiary's payment), paid through `preVerificationGas`.
pub const BUNDLE_OVERHEAD_GAS: u64 = 24_000;
/// Largest `preVerificationGas` signed above the required one, in percent of it.
pub const PRE_VERIFICATION_HEADROOM_PERCENT: u64 = 10;
/// Gas limits may exceed the relay's estimate by this much (percent) plus [`GAS_SLACK`], for
/// wallets and bundlers that add their own margin.
pub const ESTIMATE_HEADROOM_PERCENT: u64 = 50;
/// Absolute slack over the estimate.
pub const GAS_SLACK: u64 = 50_000;
/// The floor of the priority fee cap (some chains report zero tips).
pub const MIN_PRIORITY_CAP_WEI: u128 = 1_500_000_000;

/// The chain's current fees, as the watcher last read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NetworkFees {
    /// Base fee of the next block.
    pub base_fee: u128,
    /// A typical priority fee now.
    pub priority_fee: u128,
}

impl NetworkFees {
    /// Highest priority fee signed: twice today's tip (at least [`MIN_PRIORITY_CAP_WEI`]) plus
    /// the margin.
    pub fn priority_cap(&self, margin_percent: u64) -> u128 {
        with_margin(
            self.priority_fee
                .saturating_mul(2)
                .max(MIN_PRIORITY_CAP_WEI),
            margin_percent,
        )
    }

    /// Highest `maxFeePerGas` signed: room for the base fee to double, the tip cap, the margin.
    pub fn max_fee_cap(&self, margin_percent: u64) -> u128 {
        with_margin(
            self.base_fee
                .saturating_mul(2)
                .saturating_add(self.priority_cap(0)),
            margin_percent,
        )
    }
}

fn with_margin(value: u128, percent: u64) -> u128 {
    value.saturating_mul(100 + u128::from(percent)) / 100
}

/// Checks an operation's fees against the chain's current ones. Zero fees (not filled in yet,
/// at the stub stage) pass.
pub fn check_fees(
    op: &UserOperation,
    network: NetworkFees,
    margin_percent: u64,
) -> Result<(), Violation> {
    let max_fee = op.max_fee_per_gas.saturating_to::<u128>();
    let tip = op.max_priority_fee_per_gas.saturating_to::<u128>();
    if max_fee == 0 {
        return Ok(());
    }
    let tip_cap = network.priority_cap(margin_percent);
    if tip > tip_cap {
        return Err(Violation {
            rule: "fees",
            message: format!(
                "maxPriorityFeePerGas {tip} wei is above what this chain needs now (at most {tip_cap} wei)"
            ),
        });
    }
    let fee_cap = network.max_fee_cap(margin_percent);
    if max_fee > fee_cap {
        return Err(Violation {
            rule: "fees",
            message: format!(
                "maxFeePerGas {max_fee} wei is above what this chain needs now (at most {fee_cap} wei)"
            ),
        });
    }
    if max_fee < network.base_fee {
        return Err(Violation {
            rule: "fees",
            message: format!(
                "maxFeePerGas {max_fee} wei is below the chain's base fee ({} wei): the operation could not be included",
                network.base_fee
            ),
        });
    }
    Ok(())
}

/// Calldata gas of `bytes` in a transaction: the standard cost (EIP-2028) or the EIP-7623 floor
/// (10 per token, a zero byte one token, any other four), whichever is higher.
pub fn calldata_gas(bytes: &[u8]) -> u64 {
    let zeros = bytes.iter().filter(|b| **b == 0).count() as u64;
    let others = bytes.len() as u64 - zeros;
    let standard = zeros * 4 + others * 16;
    let floor = (zeros + others * 4) * 10;
    standard.max(floor)
}

/// The `preVerificationGas` an operation needs so that the bundle carrying it alone costs the
/// relayer no more than the operation pays: intrinsic gas, its calldata (at the EIP-7623 floor
/// when that is higher) and the EntryPoint's overhead.
pub fn required_pre_verification_gas(op: &UserOperation) -> u64 {
    let mut sized = op.clone();
    // Worst case for the fields a wallet and the sponsor fill in later: a 65-byte signature and
    // paymaster data of non-zero bytes, non-zero gas words.
    sized.signature = Bytes::from(vec![0xff; 65]);
    if let Some(data) = &sized.paymaster_data {
        sized.paymaster_data = Some(Bytes::from(vec![0xff; data.len()]));
    }
    // The answer must not depend on the value it is compared with: preVerificationGas always
    // counts as eight non-zero bytes.
    sized.pre_verification_gas = U256::from(u64::MAX);
    for field in [
        &mut sized.call_gas_limit,
        &mut sized.verification_gas_limit,
        &mut sized.max_fee_per_gas,
        &mut sized.max_priority_fee_per_gas,
    ] {
        if field.is_zero() {
            *field = U256::from(u64::MAX);
        }
    }
    let call = IEntryPoint::handleOpsCall {
        ops: vec![sized.pack()],
        beneficiary: Address::repeat_byte(0xff),
    };
    21_000 + calldata_gas(&call.abi_encode()) + BUNDLE_OVERHEAD_GAS
}

/// Checks that `preVerificationGas` is not inflated above what the operation needs
/// ([`required_pre_verification_gas`] plus headroom): the sponsor pays it in full. Zero (not
/// estimated yet) passes. Whether it is *enough* is the bundler's concern (another bundler may
/// price calldata differently); this relay checks that when it bundles.
pub fn check_pre_verification_gas(op: &UserOperation) -> Result<(), Violation> {
    if op.pre_verification_gas.is_zero() {
        return Ok(());
    }
    let required = required_pre_verification_gas(op);
    let given = op.pre_verification_gas.saturating_to::<u64>();
    let most = required + required * PRE_VERIFICATION_HEADROOM_PERCENT / 100;
    if given > most {
        return Err(Violation {
            rule: "pre_verification_gas",
            message: format!(
                "preVerificationGas {given} is more than the operation needs (at most {most})"
            ),
        });
    }
    Ok(())
}

/// The gas an operation needs, as the relay estimated it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GasEstimate {
    /// Account (and factory) validation.
    pub verification: u64,
    /// Execution.
    pub call: u64,
    /// The paymaster's validation.
    pub paymaster_verification: u64,
}

/// The key the relay files an estimate under: what decides the gas an operation needs.
pub fn estimate_key(op: &UserOperation) -> B256 {
    let mut bytes = Vec::with_capacity(20 + 32 + 64);
    bytes.extend_from_slice(op.sender.as_slice());
    bytes.extend_from_slice(&op.nonce.to_be_bytes::<32>());
    bytes.extend_from_slice(keccak256(op.pack().initCode).as_slice());
    bytes.extend_from_slice(keccak256(&op.call_data).as_slice());
    keccak256(bytes)
}

fn bound(estimate: u64) -> u64 {
    estimate + estimate * ESTIMATE_HEADROOM_PERCENT / 100 + GAS_SLACK
}

/// Checks the operation's gas limits against the relay's estimate of what it needs.
pub fn check_gas_limits(op: &UserOperation, estimate: &GasEstimate) -> Result<(), Violation> {
    for (name, given, needed) in [
        (
            "verificationGasLimit",
            op.verification_gas_limit,
            estimate.verification,
        ),
        ("callGasLimit", op.call_gas_limit, estimate.call),
    ] {
        let most = bound(needed);
        if given > U256::from(most) {
            return Err(Violation {
                rule: "gas_limits",
                message: format!(
                    "{name} {given} is far above what the operation needs ({needed} estimated, at most {most} signed)"
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op() -> UserOperation {
        UserOperation {
            sender: Address::repeat_byte(1),
            call_data: Bytes::from(vec![0xab; 200]),
            call_gas_limit: U256::from(100_000),
            verification_gas_limit: U256::from(100_000),
            max_fee_per_gas: U256::from(3_000_000_000u64),
            max_priority_fee_per_gas: U256::from(1_000_000_000u64),
            ..UserOperation::default()
        }
    }

    #[test]
    fn calldata_costs_the_eip7623_floor_when_higher() {
        assert_eq!(calldata_gas(&[0, 0]), 20); // floor 10 per zero byte beats 4
        assert_eq!(calldata_gas(&[1]), 40); // floor 40 per non-zero byte beats 16
        assert_eq!(calldata_gas(&[]), 0);
    }

    #[test]
    fn fees_are_bounded_by_the_market() {
        let network = NetworkFees {
            base_fee: 1_000_000_000,
            priority_fee: 1_000_000,
        };
        assert_eq!(check_fees(&op(), network, 25), Ok(()));
        let mut greedy = op();
        greedy.max_fee_per_gas = U256::from(200_000_000_000u64); // the 200 gwei attack
        assert_eq!(check_fees(&greedy, network, 25).unwrap_err().rule, "fees");
        let mut tip = op();
        tip.max_priority_fee_per_gas = U256::from(50_000_000_000u64);
        tip.max_fee_per_gas = U256::from(3_000_000_000u64);
        assert_eq!(check_fees(&tip, network, 25).unwrap_err().rule, "fees");
        let mut cheap = op();
        cheap.max_fee_per_gas = U256::from(999_999_999u64);
        cheap.max_priority_fee_per_gas = U256::from(1u64);
        assert!(
            check_fees(&cheap, network, 25)
                .unwrap_err()
                .message
                .contains("below the chain's base fee")
        );
        let mut stub = op();
        stub.max_fee_per_gas = U256::ZERO;
        assert_eq!(check_fees(&stub, network, 25), Ok(()));
    }

    #[test]
    fn pre_verification_gas_covers_calldata_and_is_never_inflated() {
        let mut o = op();
        let required = required_pre_verification_gas(&o);
        assert!(required > 21_000 + BUNDLE_OVERHEAD_GAS + 200 * 40);
        o.pre_verification_gas = U256::from(required);
        assert_eq!(check_pre_verification_gas(&o), Ok(()));
        // Less is the bundler's risk, not the sponsor's.
        o.pre_verification_gas = U256::from(required - 1);
        assert_eq!(check_pre_verification_gas(&o), Ok(()));
        o.pre_verification_gas = U256::from(required * 3);
        assert!(check_pre_verification_gas(&o).is_err());
    }

    #[test]
    fn gas_limits_follow_the_estimate() {
        let estimate = GasEstimate {
            verification: 80_000,
            call: 40_000,
            paymaster_verification: 20_000,
        };
        assert_eq!(check_gas_limits(&op(), &estimate), Ok(()));
        let mut big = op();
        big.call_gas_limit = U256::from(2_000_000);
        assert_eq!(
            check_gas_limits(&big, &estimate).unwrap_err().rule,
            "gas_limits"
        );
        // The limits are not part of the key; what the operation does is.
        assert_eq!(estimate_key(&op()), estimate_key(&big));
        big.call_data = Bytes::from(vec![1]);
        assert_ne!(estimate_key(&op()), estimate_key(&big));
    }
}
