//! Token amounts and ERC-20 call encoding: human strings ("1.5") to base units and back, exactly.

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{SolCall, sol};

sol! {
    /// The ERC-20 functions the wallet uses.
    interface IERC20 {
        function balanceOf(address owner) external view returns (uint256);
        function decimals() external view returns (uint8);
        function symbol() external view returns (string);
        function transfer(address to, uint256 amount) external returns (bool);
    }
}

/// Why an amount typed by a person was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Nothing was typed.
    #[error("enter an amount")]
    Empty,
    /// A character other than digits and one decimal point.
    #[error("an amount has only digits and at most one decimal point; found {0:?}")]
    InvalidCharacter(char),
    /// More decimal places than the token has.
    #[error("this token has {decimals} decimal places; the amount has {found}")]
    TooManyDecimals {
        /// The token's decimals.
        decimals: u8,
        /// Decimal places typed.
        found: usize,
    },
    /// Larger than any token balance can be.
    #[error("the amount is too large")]
    TooLarge,
    /// Decimals above 77 cannot be represented in 256 bits.
    #[error("a token with {0} decimals is not supported")]
    UnsupportedDecimals(u8),
}

crate::classified!(AmountError, |e: &AmountError| match e {
    AmountError::Empty
    | AmountError::InvalidCharacter(_)
    | AmountError::TooManyDecimals { .. }
    | AmountError::TooLarge
    | AmountError::UnsupportedDecimals(_) => crate::error::ErrorKind::InvalidInput,
});

/// Parses a decimal amount such as `"1.5"`, `"0.000001"` or `"1,000.25"` into base units.
///
/// Accepts a `.` or `,` decimal point only when unambiguous: `","` is a decimal point when it is
/// the only separator; grouping with `_` or spaces is ignored. No floating point is involved.
pub fn parse_amount(text: &str, decimals: u8) -> Result<U256, AmountError> {
    if decimals > 77 {
        return Err(AmountError::UnsupportedDecimals(decimals));
    }
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| *c != '_' && *c != ' ' && *c != '\u{a0}')
        .collect();
    if cleaned.is_empty() {
        return Err(AmountError::Empty);
    }
    // "1,000.25" → thousands commas; "1,5" → decimal comma.
    let normalised = if cleaned.contains('.') {
        cleaned.replace(',', "")
    } else if cleaned.matches(',').count() == 1 {
        cleaned.replace(',', ".")
    } else {
        cleaned.replace(',', "")
    };
    let (whole, fraction) = match normalised.split_once('.') {
        Some((w, f)) => (w, f),
        None => (normalised.as_str(), ""),
    };
    if let Some(bad) = whole
        .chars()
        .chain(fraction.chars())
        .find(|c| !c.is_ascii_digit())
    {
        return Err(AmountError::InvalidCharacter(bad));
    }
    if whole.is_empty() && fraction.is_empty() {
        return Err(AmountError::Empty);
    }
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > usize::from(decimals) {
        return Err(AmountError::TooManyDecimals {
            decimals,
            found: fraction.len(),
        });
    }
    let scale = U256::from(10).pow(U256::from(decimals));
    let whole_units = if whole.is_empty() {
        U256::ZERO
    } else {
        U256::from_str_radix(whole, 10).map_err(|_| AmountError::TooLarge)?
    };
    let mut fraction_digits = fraction.to_owned();
    fraction_digits.extend(std::iter::repeat_n(
        '0',
        usize::from(decimals) - fraction.len(),
    ));
    let fraction_units = if fraction_digits.is_empty() {
        U256::ZERO
    } else {
        U256::from_str_radix(&fraction_digits, 10).map_err(|_| AmountError::TooLarge)?
    };
    whole_units
        .checked_mul(scale)
        .and_then(|w| w.checked_add(fraction_units))
        .ok_or(AmountError::TooLarge)
}

/// Formats base units as a decimal string without trailing zeros (`1500000`, 6 → `"1.5"`).
pub fn format_amount(amount: U256, decimals: u8) -> String {
    let digits = amount.to_string();
    let decimals = usize::from(decimals);
    if decimals == 0 {
        return digits;
    }
    let padded = format!("{digits:0>width$}", width = decimals + 1);
    let (whole, fraction) = padded.split_at(padded.len() - decimals);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        whole.to_owned()
    } else {
        format!("{whole}.{fraction}")
    }
}

/// Call data of `transfer(to, amount)`.
pub fn transfer_call_data(to: Address, amount: U256) -> Bytes {
    IERC20::transferCall { to, amount }.abi_encode().into()
}

/// A transfer recognised in call data: recipient and amount.
pub fn decode_transfer(data: &[u8]) -> Option<(Address, U256)> {
    IERC20::transferCall::abi_decode(data)
        .ok()
        .map(|c| (c.to, c.amount))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly() {
        assert_eq!(parse_amount("1.5", 6), Ok(U256::from(1_500_000)));
        assert_eq!(parse_amount("0.000001", 6), Ok(U256::from(1)));
        assert_eq!(parse_amount(".5", 2), Ok(U256::from(50)));
        assert_eq!(parse_amount("7.", 2), Ok(U256::from(700)));
        assert_eq!(parse_amount("1,5", 2), Ok(U256::from(150)));
        assert_eq!(parse_amount("1,000.25", 2), Ok(U256::from(100_025)));
        assert_eq!(parse_amount("1 000 000", 0), Ok(U256::from(1_000_000)));
        assert_eq!(parse_amount("1.50000000", 6), Ok(U256::from(1_500_000)));
        // 0.1 + 0.2 style float errors cannot happen.
        assert_eq!(
            parse_amount("0.3", 18),
            Ok(U256::from(300_000_000_000_000_000u64))
        );
        assert_eq!(
            parse_amount("123456789.123456789123456789", 18),
            Ok(U256::from_str_radix("123456789123456789123456789", 10).unwrap())
        );
    }

    #[test]
    fn rejects_with_reasons() {
        assert_eq!(parse_amount("  ", 6), Err(AmountError::Empty));
        assert_eq!(parse_amount(".", 6), Err(AmountError::Empty));
        assert_eq!(
            parse_amount("1.0000001", 6),
            Err(AmountError::TooManyDecimals {
                decimals: 6,
                found: 7
            })
        );
        assert_eq!(
            parse_amount("-1", 6),
            Err(AmountError::InvalidCharacter('-'))
        );
        assert_eq!(
            parse_amount("1e18", 6),
            Err(AmountError::InvalidCharacter('e'))
        );
        assert_eq!(
            parse_amount("1.2.3", 6),
            Err(AmountError::InvalidCharacter('.'))
        );
        assert_eq!(parse_amount(&"9".repeat(80), 0), Err(AmountError::TooLarge));
        assert_eq!(
            parse_amount("1", 78),
            Err(AmountError::UnsupportedDecimals(78))
        );
    }

    #[test]
    fn formats() {
        assert_eq!(format_amount(U256::from(1_500_000), 6), "1.5");
        assert_eq!(format_amount(U256::from(1), 6), "0.000001");
        assert_eq!(format_amount(U256::ZERO, 18), "0");
        assert_eq!(format_amount(U256::from(42), 0), "42");
        assert_eq!(format_amount(U256::from(2_000_000), 6), "2");
    }

    #[test]
    fn transfer_round_trip() {
        let data = transfer_call_data(Address::repeat_byte(5), U256::from(10));
        assert_eq!(&data[..4], &[0xa9, 0x05, 0x9c, 0xbb]);
        assert_eq!(
            decode_transfer(&data),
            Some((Address::repeat_byte(5), U256::from(10)))
        );
    }
}
