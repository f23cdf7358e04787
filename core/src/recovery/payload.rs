//! What recovering users, owners and guardians hand each other: invitations, recovery requests
//! and approvals, as compact text that is also a `harbor://` link and QR code data.
//!
//! Format: `harbor://<kind>?v=1&d=<base64url of the JSON>`. Nothing in a payload is secret.

use alloy_primitives::{Address, Bytes, U256};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::{GuardianKind, RecoveryError};

/// Version of the payload format.
const VERSION: &str = "1";
/// Longest payload text accepted (a bound on what a paste or QR scan can make us parse).
const MAX_PAYLOAD_CHARS: usize = 16 * 1024;

/// A payload that travels as text, link or QR code.
pub trait Payload: Serialize + DeserializeOwned {
    /// The `harbor://<kind>` of this payload.
    const KIND: &'static str;

    /// The payload as a `harbor://` link (also the text to share and the QR code's data).
    fn to_link(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        format!(
            "harbor://{}?v={VERSION}&d={}",
            Self::KIND,
            URL_SAFE_NO_PAD.encode(json)
        )
    }

    /// Reads a payload from a link, pasted text or scanned QR data.
    fn from_link(text: &str) -> Result<Self, RecoveryError> {
        let text = text.trim();
        if text.len() > MAX_PAYLOAD_CHARS {
            return Err(RecoveryError::InvalidPayload(
                "the text is far too long to be a Harbor link".into(),
            ));
        }
        let rest = text.strip_prefix("harbor://").ok_or_else(|| {
            RecoveryError::InvalidPayload("this is not a Harbor link (harbor://…)".into())
        })?;
        let (kind, query) = rest.split_once('?').unwrap_or((rest, ""));
        let kind = kind.trim_end_matches('/');
        if kind != Self::KIND {
            return Err(RecoveryError::WrongPayload {
                expected: Self::KIND,
                found: kind.chars().take(32).collect(),
            });
        }
        let mut version = None;
        let mut data = None;
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("v", v)) => version = Some(v),
                Some(("d", d)) => data = Some(d),
                _ => {}
            }
        }
        if version != Some(VERSION) {
            return Err(RecoveryError::InvalidPayload(
                "this link was made by a different version of Harbor; update the app".into(),
            ));
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(data.unwrap_or_default())
            .map_err(|_| {
                RecoveryError::InvalidPayload("the link is damaged or incomplete".into())
            })?;
        serde_json::from_slice(&bytes)
            .map_err(|_| RecoveryError::InvalidPayload("the link is damaged or incomplete".into()))
    }
}

/// An owner asks someone to be a guardian of an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invitation {
    /// The account to guard.
    pub account: Address,
    /// Chains the account lives on.
    pub chains: Vec<u64>,
    /// Whom the guardian would help (the owner's name as they wrote it).
    pub owner_name: String,
    /// The kind of guardian asked for.
    pub kind: GuardianKind,
}

impl Payload for Invitation {
    const KIND: &'static str = "invite";
}

impl Invitation {
    /// The invited guardian's answer: it will approve with `guardian`, known as `name`.
    pub fn accept(&self, guardian: Address, name: &str) -> InvitationReply {
        InvitationReply {
            account: self.account,
            guardian,
            name: clean_note(name),
            kind: self.kind,
        }
    }
}

/// Longest note or name carried in a payload, in characters.
pub const MAX_NOTE_CHARS: usize = 120;

/// A note or name made safe to show: no control characters, at most [`MAX_NOTE_CHARS`].
pub fn clean_note(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(MAX_NOTE_CHARS)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A guardian's answer to an invitation: the address it will approve with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationReply {
    /// The account the invitation was for.
    pub account: Address,
    /// The guardian's approving address.
    pub guardian: Address,
    /// The guardian's name for themselves (the owner may rename it).
    pub name: String,
    /// What kind of guardian it is.
    pub kind: GuardianKind,
}

impl Payload for InvitationReply {
    const KIND: &'static str = "guardian";
}

/// One chain of a recovery request: the account's recovery nonce there and the deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainTarget {
    /// Chain id.
    pub chain_id: u64,
    /// The account's recovery nonce on that chain when the request was made.
    pub nonce: U256,
    /// Unix time after which approvals are void.
    pub deadline: u64,
}

/// A new device asks guardians to move an account to its new owner key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryRequest {
    /// The account to recover.
    pub account: Address,
    /// The new device's owner key.
    pub new_owner: Address,
    /// Chains where the account is deployed.
    pub chains: Vec<ChainTarget>,
    /// A short note from the requester ("Ana's new phone").
    #[serde(default)]
    pub note: String,
}

impl Payload for RecoveryRequest {
    const KIND: &'static str = "recover";
}

/// A guardian's approval for one chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainApproval {
    /// Chain id.
    pub chain_id: u64,
    /// The recovery nonce approved.
    pub nonce: U256,
    /// The deadline approved.
    pub deadline: u64,
    /// EIP-712 signature of `Recovery(account, newOwner, nonce, deadline)` (65 bytes for a key,
    /// anything the contract accepts for an ERC-1271 guardian).
    pub signature: Bytes,
}

/// A guardian's approvals of one request, for every chain it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalBundle {
    /// The account being recovered.
    pub account: Address,
    /// The new owner approved.
    pub new_owner: Address,
    /// The approving guardian.
    pub guardian: Address,
    /// One approval per chain.
    pub approvals: Vec<ChainApproval>,
}

impl Payload for ApprovalBundle {
    const KIND: &'static str = "approve";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitations_round_trip() {
        let invitation = Invitation {
            account: Address::repeat_byte(1),
            chains: vec![1, 8453],
            owner_name: "Ana".into(),
            kind: GuardianKind::Person,
        };
        let link = invitation.to_link();
        assert!(link.starts_with("harbor://invite?"));
        let received = Invitation::from_link(&link).unwrap();
        assert_eq!(received, invitation);
        let reply = received.accept(Address::repeat_byte(9), "Bob\u{7}\n");
        assert_eq!(reply.name, "Bob");
        let back = InvitationReply::from_link(&reply.to_link()).unwrap();
        assert_eq!(
            (back.account, back.guardian),
            (invitation.account, Address::repeat_byte(9))
        );
        assert_eq!(clean_note(&"x".repeat(500)).len(), MAX_NOTE_CHARS);
    }

    #[test]
    fn links_round_trip_and_bad_links_are_explained() {
        let request = RecoveryRequest {
            account: Address::repeat_byte(1),
            new_owner: Address::repeat_byte(2),
            chains: vec![ChainTarget {
                chain_id: 8453,
                nonce: U256::from(3),
                deadline: 1_900_000_000,
            }],
            note: "Ana's new phone".into(),
        };
        let link = request.to_link();
        assert!(link.starts_with("harbor://recover?v=1&d="), "{link}");
        assert_eq!(
            RecoveryRequest::from_link(&format!("  {link}\n")).unwrap(),
            request
        );
        assert!(matches!(
            ApprovalBundle::from_link(&link),
            Err(RecoveryError::WrongPayload {
                expected: "approve",
                ..
            })
        ));
        assert!(matches!(
            RecoveryRequest::from_link("https://example.com"),
            Err(RecoveryError::InvalidPayload(_))
        ));
        assert!(matches!(
            RecoveryRequest::from_link(&link[..link.len() - 7]),
            Err(RecoveryError::InvalidPayload(_))
        ));
        assert!(matches!(
            RecoveryRequest::from_link(&link.replace("v=1", "v=9")),
            Err(RecoveryError::InvalidPayload(m)) if m.contains("version")
        ));
    }
}
