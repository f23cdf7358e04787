//! Revert data and EntryPoint failure codes turned into sentences a person can act on.

use alloy_primitives::{U256, hex};
use alloy_sol_types::{SolError, sol};

sol! {
    error Error(string reason);
    error Panic(uint256 code);
    error FailedOp(uint256 opIndex, string reason);
    error FailedOpWithRevert(uint256 opIndex, string reason, bytes inner);
    error CallFailed(uint256 index, bytes reason);
    error NotAuthorized(address caller);
    error InvalidOwner(address owner);
    error InvalidGuardian(address guardian);
    error DuplicateGuardian(address guardian);
    error StaleConfig(uint256 version, uint256 currentVersion);
    error InvalidConfigSignature();
    error NotAGuardian(address guardian);
    error TooManyGuardians();
    error InvalidThreshold(uint256 threshold, uint256 guardians);
    error InvalidSecurityDelay(uint256 delay);
    error NoPendingRecovery();
    error ApprovalExpired(uint256 deadline);
    error LengthMismatch();
    error GuardiansNotSorted();
    error InvalidGuardianSignature(address guardian);
    error BelowThreshold(uint256 approvals, uint256 threshold);
    error RecoveryNotStronger(uint256 approvals, uint256 pendingApprovals);
    error RecoveryDelayNotOver(uint256 executeAfter);
    error RecoveryDelayOver(uint256 executeAfter);
    error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed);
    error ERC20InvalidReceiver(address receiver);
}

/// Explains an EntryPoint `AAxx` reason ("AA21 didn't pay prefund") in plain words.
pub fn explain_entry_point_reason(reason: &str) -> String {
    let code = reason.get(..4).unwrap_or_default();
    let plain = match code {
        "AA10" => "the account already exists, but the operation tried to create it",
        "AA13" => "the account could not be created (its factory failed)",
        "AA14" => "the factory created a different account than expected",
        "AA15" => "the account creation did not produce an account",
        "AA20" => "the account does not exist yet and the operation does not create it",
        "AA21" => "the account cannot pay for gas: it has too little ETH and no sponsor",
        "AA22" => "the operation expired or is not valid yet",
        "AA23" => "the account rejected the operation",
        "AA24" => "the signature does not match the account's owner",
        "AA25" => "the operation's sequence number is out of date; try again",
        "AA26" => "the operation's verification gas is too low",
        "AA30" => "the sponsor contract does not exist",
        "AA31" => "the sponsor has run out of funds",
        "AA32" => "the sponsorship expired or is not valid yet; try again",
        "AA33" => "the sponsor refused the operation",
        "AA34" => "the sponsor's signature is not valid for this operation or chain",
        "AA36" => "the sponsor's verification gas is too low",
        "AA40" => "the operation used more verification gas than it allowed",
        "AA41" => "the sponsor used more verification gas than it allowed",
        "AA50" => "the sponsor's post-operation step failed",
        "AA51" => "the actual gas cost was higher than the prefund",
        "AA90" => "the bundler's fee receiver is invalid",
        "AA91" => "the bundler failed to send the fee",
        "AA95" => "the bundle ran out of gas",
        "AA96" => "an aggregator is invalid",
        _ => return reason.to_owned(),
    };
    format!("{plain} ({reason})")
}

fn panic_text(code: U256) -> &'static str {
    match code.saturating_to::<u64>() {
        0x01 => "an assertion failed",
        0x11 => "an arithmetic overflow or underflow",
        0x12 => "a division by zero",
        0x21 => "an invalid enum value",
        0x31 => "pop from an empty array",
        0x32 => "an out-of-bounds array access",
        0x41 => "too much memory was allocated",
        0x51 => "a call to an uninitialised function",
        _ => "an internal error",
    }
}

/// Decodes revert bytes into a sentence: standard `Error(string)` and `Panic(uint256)`, the
/// EntryPoint's `FailedOp`, HarborAccount's `CallFailed` (recursively) and common ERC-20 errors.
pub fn decode_revert(data: &[u8]) -> String {
    decode_depth(data, 0)
}

fn decode_depth(data: &[u8], depth: u8) -> String {
    if data.is_empty() {
        return "the call reverted without a reason".into();
    }
    if let Ok(e) = Error::abi_decode(data) {
        return e.reason;
    }
    if let Ok(e) = Panic::abi_decode(data) {
        return format!("the contract stopped: {}", panic_text(e.code));
    }
    if let Ok(e) = FailedOp::abi_decode(data) {
        return explain_entry_point_reason(&e.reason);
    }
    if let Ok(e) = FailedOpWithRevert::abi_decode(data) {
        let inner = if depth < 4 {
            decode_depth(&e.inner, depth + 1)
        } else {
            hex::encode_prefixed(&e.inner)
        };
        return format!("{}: {inner}", explain_entry_point_reason(&e.reason));
    }
    if let Ok(e) = CallFailed::abi_decode(data) {
        let inner = if depth < 4 {
            decode_depth(&e.reason, depth + 1)
        } else {
            hex::encode_prefixed(&e.reason)
        };
        return format!(
            "call {} failed: {inner}",
            e.index.saturating_add(U256::from(1))
        );
    }
    if let Ok(e) = NotAuthorized::abi_decode(data) {
        return format!("{} is not allowed to control this account", e.caller);
    }
    if let Some(text) = account_error(data) {
        return text;
    }
    if let Ok(e) = ERC20InsufficientBalance::abi_decode(data) {
        return format!(
            "the token balance is too low: {} available, {} needed (base units)",
            e.balance, e.needed
        );
    }
    if let Ok(e) = ERC20InvalidReceiver::abi_decode(data) {
        return format!("the token cannot be sent to {}", e.receiver);
    }
    format!(
        "the call reverted with unrecognised data {}",
        hex::encode_prefixed(&data[..data.len().min(68)])
    )
}

/// The Harbor account's own errors (guardians and recovery) in words.
fn account_error(data: &[u8]) -> Option<String> {
    let text = if let Ok(e) = InvalidOwner::abi_decode(data) {
        format!(
            "{} cannot become the owner (it is empty, the account itself or a guardian)",
            e.owner
        )
    } else if let Ok(e) = InvalidGuardian::abi_decode(data) {
        format!("{} cannot be a guardian of this account", e.guardian)
    } else if let Ok(e) = DuplicateGuardian::abi_decode(data) {
        format!("{} is listed twice as a guardian", e.guardian)
    } else if let Ok(e) = StaleConfig::abi_decode(data) {
        format!(
            "these settings (version {}) are older than the account's (version {})",
            e.version, e.currentVersion
        )
    } else if InvalidConfigSignature::abi_decode(data).is_ok() {
        "the settings are not signed by the account's owner".into()
    } else if let Ok(e) = NotAGuardian::abi_decode(data) {
        format!("{} is not a guardian of this account", e.guardian)
    } else if TooManyGuardians::abi_decode(data).is_ok() {
        "an account can have at most 16 guardians".into()
    } else if let Ok(e) = InvalidThreshold::abi_decode(data) {
        format!(
            "{} approvals cannot be required with {} guardians",
            e.threshold, e.guardians
        )
    } else if let Ok(e) = InvalidSecurityDelay::abi_decode(data) {
        format!("a security delay of {} seconds is not allowed", e.delay)
    } else if NoPendingRecovery::abi_decode(data).is_ok() {
        "there is no pending recovery".into()
    } else if let Ok(e) = ApprovalExpired::abi_decode(data) {
        format!("the guardians' approvals expired (deadline {})", e.deadline)
    } else if LengthMismatch::abi_decode(data).is_ok() {
        "each approving guardian needs exactly one signature".into()
    } else if GuardiansNotSorted::abi_decode(data).is_ok() {
        "approvals must be from distinct guardians in ascending order".into()
    } else if let Ok(e) = InvalidGuardianSignature::abi_decode(data) {
        format!(
            "the approval of guardian {} is not valid for this recovery",
            e.guardian
        )
    } else if let Ok(e) = BelowThreshold::abi_decode(data) {
        format!(
            "{} approvals are not enough: {} are required",
            e.approvals, e.threshold
        )
    } else if let Ok(e) = RecoveryNotStronger::abi_decode(data) {
        format!(
            "a recovery with {} approvals is already pending; a new one needs more than that (has {})",
            e.pendingApprovals, e.approvals
        )
    } else if let Ok(e) = RecoveryDelayNotOver::abi_decode(data) {
        format!(
            "the security delay is not over yet (ends at {})",
            e.executeAfter
        )
    } else if let Ok(e) = RecoveryDelayOver::abi_decode(data) {
        format!(
            "the security delay ended at {}; the recovery can no longer be cancelled",
            e.executeAfter
        )
    } else {
        return None;
    };
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Address, Bytes};

    #[test]
    fn standard_errors() {
        let data = Error {
            reason: "nope".into(),
        }
        .abi_encode();
        assert_eq!(decode_revert(&data), "nope");
        let data = Panic {
            code: U256::from(0x11),
        }
        .abi_encode();
        assert!(decode_revert(&data).contains("overflow"));
        assert!(decode_revert(&[]).contains("without a reason"));
        assert!(decode_revert(&[1, 2, 3]).contains("0x010203"));
    }

    #[test]
    fn entry_point_and_nested() {
        let data = FailedOp {
            opIndex: U256::ZERO,
            reason: "AA24 signature error".into(),
        }
        .abi_encode();
        assert_eq!(
            decode_revert(&data),
            "the signature does not match the account's owner (AA24 signature error)"
        );
        let token_error = ERC20InsufficientBalance {
            sender: Address::ZERO,
            balance: U256::from(1),
            needed: U256::from(2),
        }
        .abi_encode();
        let data = CallFailed {
            index: U256::from(1),
            reason: Bytes::from(token_error),
        }
        .abi_encode();
        assert_eq!(
            decode_revert(&data),
            "call 2 failed: the token balance is too low: 1 available, 2 needed (base units)"
        );
        assert_eq!(explain_entry_point_reason("XX"), "XX");
    }
}
