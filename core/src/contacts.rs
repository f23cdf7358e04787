//! The address book and the checks made on a recipient before sending: first-time recipients and
//! look-alikes of known addresses (address poisoning).

use alloy_primitives::Address;
use serde::{Deserialize, Serialize};

/// How many hex characters at each end of an address people compare by eye.
const EYEBALLED_CHARS: usize = 4;

/// A known address: named by the user, or a past recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    /// The address.
    pub address: Address,
    /// The user's name for it (`None`: only sent to, never named).
    pub name: Option<String>,
    /// When it was last sent to (Unix seconds), if ever.
    pub last_sent_at: Option<i64>,
}

/// Something about a recipient the user should see before sending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum RecipientWarning {
    /// Never sent to and not in the address book.
    FirstTime,
    /// Starts and ends like a known address but is a different one: a classic trap where a
    /// scammer sends dust from a look-alike so it shows up in the history.
    LooksLike {
        /// The known address it imitates.
        known: Address,
        /// That address's name, if the user gave one.
        name: Option<String>,
    },
    /// The zero address: whatever is sent there is lost.
    ZeroAddress,
    /// One of the user's own accounts.
    OwnAccount,
}

/// What the wallet knows about a recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecipientCheck {
    /// The address in EIP-55 checksum form, to show in full.
    pub checksum: String,
    /// The address-book entry, when the address is known.
    pub contact: Option<Contact>,
    /// Warnings, most serious first.
    pub warnings: Vec<RecipientWarning>,
}

/// Checks `to` against the address book and the user's own addresses.
pub fn check_recipient(to: Address, contacts: &[Contact], own: &[Address]) -> RecipientCheck {
    let contact = contacts.iter().find(|c| c.address == to).cloned();
    let mut warnings = Vec::new();
    if to == Address::ZERO {
        warnings.push(RecipientWarning::ZeroAddress);
    }
    let known = contacts
        .iter()
        .map(|c| (c.address, c.name.clone()))
        .chain(own.iter().map(|a| (*a, None)));
    for (address, name) in known {
        if address != to && looks_alike(address, to) {
            warnings.push(RecipientWarning::LooksLike {
                known: address,
                name,
            });
        }
    }
    if own.contains(&to) {
        warnings.push(RecipientWarning::OwnAccount);
    } else if contact.is_none() {
        warnings.push(RecipientWarning::FirstTime);
    }
    RecipientCheck {
        checksum: to.to_checksum(None),
        contact,
        warnings,
    }
}

/// Whether two addresses share their first and last few hex characters.
pub fn looks_alike(a: Address, b: Address) -> bool {
    let (a, b) = (hex(a), hex(b));
    a[..EYEBALLED_CHARS] == b[..EYEBALLED_CHARS]
        && a[a.len() - EYEBALLED_CHARS..] == b[b.len() - EYEBALLED_CHARS..]
}

fn hex(a: Address) -> String {
    alloy_primitives::hex::encode(a.as_slice())
}

/// Cleans a contact name: trimmed, single-line, 1–64 characters.
pub fn clean_contact_name(name: &str) -> Option<String> {
    let cleaned: String = name
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(64)
        .collect();
    let cleaned = cleaned.trim().to_owned();
    (!cleaned.is_empty()).then_some(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    const FRIEND: Address = address!("0x1234567890abcdef1234567890abcdef12345678");
    const POISON: Address = address!("0x1234000000000000000000000000000000005678");

    fn book() -> Vec<Contact> {
        vec![Contact {
            address: FRIEND,
            name: Some("Alice".into()),
            last_sent_at: Some(1),
        }]
    }

    #[test]
    fn known_recipient_has_no_warning() {
        let check = check_recipient(FRIEND, &book(), &[]);
        assert!(check.warnings.is_empty());
        assert_eq!(check.contact.and_then(|c| c.name).as_deref(), Some("Alice"));
        assert_eq!(check.checksum, FRIEND.to_checksum(None));
    }

    #[test]
    fn look_alike_of_a_past_recipient_is_flagged_before_first_time() {
        let check = check_recipient(POISON, &book(), &[]);
        assert_eq!(
            check.warnings,
            vec![
                RecipientWarning::LooksLike {
                    known: FRIEND,
                    name: Some("Alice".into())
                },
                RecipientWarning::FirstTime
            ]
        );
    }

    #[test]
    fn unrelated_new_address_is_only_first_time() {
        let other = address!("0x9999000000000000000000000000000000001111");
        assert_eq!(
            check_recipient(other, &book(), &[]).warnings,
            vec![RecipientWarning::FirstTime]
        );
    }

    #[test]
    fn zero_and_own_addresses() {
        let zero = check_recipient(Address::ZERO, &[], &[]).warnings;
        assert_eq!(zero[0], RecipientWarning::ZeroAddress);
        let own = check_recipient(FRIEND, &[], &[FRIEND]).warnings;
        assert_eq!(own, vec![RecipientWarning::OwnAccount]);
        // A look-alike of one's own account is flagged too.
        let fake_own = check_recipient(POISON, &[], &[FRIEND]).warnings;
        assert!(
            matches!(fake_own[0], RecipientWarning::LooksLike { known, .. } if known == FRIEND)
        );
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(
            clean_contact_name("  Bob\n\tSmith "),
            Some("Bob  Smith".into())
        );
        assert_eq!(clean_contact_name(" \n "), None);
        assert_eq!(
            clean_contact_name(&"x".repeat(100)).map(|n| n.len()),
            Some(64)
        );
    }
}
