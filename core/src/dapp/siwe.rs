//! Sign-In with Ethereum (EIP-4361): a `personal_sign` message read as a sign-in, and the signs
//! that it is a phishing attempt (another site's domain, another chain, expired, not yet valid).

use alloy_primitives::Address;
use serde::{Deserialize, Serialize};

/// A sign-in message, as much of it as the approval screen needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SiweMessage {
    /// The domain (host[:port]) asking for the sign-in.
    pub domain: String,
    /// The account that signs in.
    pub address: Address,
    /// The site's statement, if any.
    pub statement: Option<String>,
    /// The URI the sign-in is for.
    pub uri: String,
    /// The chain named.
    pub chain_id: u64,
    /// The nonce.
    pub nonce: String,
    /// When it was issued (RFC 3339).
    pub issued_at: String,
    /// When it expires (RFC 3339).
    pub expiration_time: Option<String>,
    /// When it becomes valid (RFC 3339).
    pub not_before: Option<String>,
}

/// Something wrong with a sign-in request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum SiweFlag {
    /// The message names a site other than the one asking: likely phishing.
    DomainMismatch {
        /// The domain in the message.
        message_domain: String,
        /// The site that asks.
        origin: String,
    },
    /// The message names another account.
    AddressMismatch,
    /// The message names another chain than the site is connected to.
    ChainMismatch {
        /// The chain in the message.
        message_chain: u64,
        /// The chain the site uses.
        session_chain: u64,
    },
    /// The message has expired.
    Expired,
    /// The message is not valid yet.
    NotYetValid,
}

const HEADER: &str = " wants you to sign in with your Ethereum account:";

/// Reads `text` as an EIP-4361 message; `None` when it is not one.
pub fn parse_siwe(text: &str) -> Option<SiweMessage> {
    let mut lines = text.split('\n');
    let first = lines.next()?;
    let domain = first.strip_suffix(HEADER)?;
    // An optional scheme ("https://example.com wants you …").
    let domain = domain.split_once("://").map_or(domain, |(_, d)| d);
    if domain.is_empty() || domain.contains(char::is_whitespace) {
        return None;
    }
    let address: Address = lines.next()?.trim().parse().ok()?;
    let rest: Vec<&str> = lines.collect();
    // The statement sits between two blank lines, before the fields.
    let mut statement = None;
    let mut fields = rest.as_slice();
    if let [blank, maybe_statement, blank2, tail @ ..] = fields
        && blank.is_empty()
        && blank2.is_empty()
        && !maybe_statement.contains(": ")
    {
        statement = Some((*maybe_statement).to_owned());
        fields = tail;
    } else if let [blank, tail @ ..] = fields
        && blank.is_empty()
    {
        fields = tail;
    }
    let field = |name: &str| {
        fields
            .iter()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(": "))
            .map(str::to_owned)
    };
    Some(SiweMessage {
        domain: domain.to_owned(),
        address,
        statement,
        uri: field("URI")?,
        chain_id: field("Chain ID")?.parse().ok()?,
        nonce: field("Nonce")?,
        issued_at: field("Issued At")?,
        expiration_time: field("Expiration Time"),
        not_before: field("Not Before"),
    })
}

/// The host (and port) of an origin such as `https://app.example.org:8443`.
pub fn origin_host(origin: &str) -> &str {
    let rest = origin.split_once("://").map_or(origin, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest)
}

/// Seconds since the Unix epoch of an RFC 3339 time (`2026-11-30T10:00:00Z`,
/// `…T10:00:00.123+02:00`); `None` when it does not parse.
pub fn rfc3339_seconds(text: &str) -> Option<i64> {
    let (date, time) = text.split_once(['T', 't'])?;
    let mut d = date.split('-');
    let (y, m, day): (i64, i64, i64) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    let (clock, offset) = if let Some(c) = time.strip_suffix(['Z', 'z']) {
        (c, 0)
    } else {
        let at = time.rfind(['+', '-'])?;
        let (c, o) = time.split_at(at);
        let sign = if o.starts_with('-') { -1 } else { 1 };
        let (oh, om) = o[1..].split_once(':')?;
        (
            c,
            sign * (oh.parse::<i64>().ok()? * 3600 + om.parse::<i64>().ok()? * 60),
        )
    };
    let clock = clock.split('.').next()?;
    let mut c = clock.split(':');
    let (h, min, s): (i64, i64, i64) = (
        c.next()?.parse().ok()?,
        c.next()?.parse().ok()?,
        c.next()?.parse().ok()?,
    );
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + min * 60 + s - offset)
}

impl SiweMessage {
    /// What is wrong with this sign-in asked by `origin` for `account` on `session_chain` at
    /// `now` (Unix seconds); empty when nothing is.
    pub fn flags(
        &self,
        origin: &str,
        account: Address,
        session_chain: u64,
        now: i64,
    ) -> Vec<SiweFlag> {
        let mut flags = Vec::new();
        let host = origin_host(origin);
        if !self.domain.eq_ignore_ascii_case(host) {
            flags.push(SiweFlag::DomainMismatch {
                message_domain: self.domain.clone(),
                origin: host.to_owned(),
            });
        }
        if self.address != account {
            flags.push(SiweFlag::AddressMismatch);
        }
        if self.chain_id != session_chain {
            flags.push(SiweFlag::ChainMismatch {
                message_chain: self.chain_id,
                session_chain,
            });
        }
        // An unreadable time counts as expired: the site wrote a broken message.
        if let Some(exp) = &self.expiration_time
            && rfc3339_seconds(exp).is_none_or(|t| t <= now)
        {
            flags.push(SiweFlag::Expired);
        }
        if let Some(nbf) = &self.not_before
            && rfc3339_seconds(nbf).is_none_or(|t| t > now)
        {
            flags.push(SiweFlag::NotYetValid);
        }
        flags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGE: &str = "app.example.org wants you to sign in with your Ethereum account:
0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266

Sign in to Example.

URI: https://app.example.org/login
Version: 1
Chain ID: 1
Nonce: 32891756
Issued At: 2026-11-30T10:00:00Z
Expiration Time: 2026-11-30T10:10:00.000Z";

    fn account() -> Address {
        "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
            .parse()
            .unwrap()
    }

    #[test]
    fn reads_the_eip_4361_fields() {
        let m = parse_siwe(MESSAGE).unwrap();
        assert_eq!(m.domain, "app.example.org");
        assert_eq!(m.address, account());
        assert_eq!(m.statement.as_deref(), Some("Sign in to Example."));
        assert_eq!(m.uri, "https://app.example.org/login");
        assert_eq!((m.chain_id, m.nonce.as_str()), (1, "32891756"));
        assert_eq!(
            m.expiration_time.as_deref(),
            Some("2026-11-30T10:10:00.000Z")
        );
        assert!(parse_siwe("hello").is_none());
        // Without a statement.
        let bare = MESSAGE.replace("\nSign in to Example.\n", "");
        let m = parse_siwe(&bare).unwrap();
        assert_eq!((m.statement, m.chain_id), (None, 1));
    }

    #[test]
    fn times_follow_rfc_3339() {
        assert_eq!(rfc3339_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(rfc3339_seconds("2026-11-30T10:00:00Z"), Some(1_796_032_800));
        assert_eq!(
            rfc3339_seconds("2026-11-30T12:00:00+02:00"),
            rfc3339_seconds("2026-11-30T10:00:00Z")
        );
        assert_eq!(rfc3339_seconds("2000-02-29T00:00:00.5Z"), Some(951_782_400));
        assert_eq!(rfc3339_seconds("yesterday"), None);
    }

    #[test]
    fn phishing_signs_are_flagged() {
        let m = parse_siwe(MESSAGE).unwrap();
        let issued = rfc3339_seconds("2026-11-30T10:00:00Z").unwrap();
        assert!(
            m.flags("https://app.example.org", account(), 1, issued + 60)
                .is_empty()
        );
        let flags = m.flags(
            "https://app-example.org.evil.test",
            Address::ZERO,
            10,
            issued + 3600,
        );
        assert_eq!(
            flags,
            vec![
                SiweFlag::DomainMismatch {
                    message_domain: "app.example.org".into(),
                    origin: "app-example.org.evil.test".into()
                },
                SiweFlag::AddressMismatch,
                SiweFlag::ChainMismatch {
                    message_chain: 1,
                    session_chain: 10
                },
                SiweFlag::Expired,
            ]
        );
    }
}
