//! Gas sponsors added by their profile link: one link configures every network the sponsor
//! pays on; removing the sponsor removes only what it added.

use super::*;
use crate::chains::{Sponsor, SponsorError, SponsorProfile};

/// The largest sponsor profile read.
const MAX_PROFILE_BYTES: usize = 256 * 1024;

impl Wallet {
    /// Reads the sponsor profile at `link`, checks that every network it lists answers as that
    /// chain (the node the wallet will use, and the sponsor's bundler), and adds the sponsor —
    /// or refreshes its profile when the link was added before.
    pub async fn add_sponsor(&self, link: &str) -> WalletResult<Sponsor> {
        let link = link.trim();
        let host = crate::rpc::host_of(link).ok_or_else(|| {
            SponsorError::Malformed("the link is not an http:// or https:// address".into())
        })?;
        let text = crate::rpc::fetch_text(&*self.connector.http(), link, MAX_PROFILE_BYTES)
            .await
            .map_err(|e| SponsorError::Unreachable {
                host: host.clone(),
                reason: match e {
                    crate::rpc::RpcError::Unreachable { message, .. } => message,
                    other => other.to_string(),
                },
            })?;
        let profile = SponsorProfile::parse(&text)?;
        self.check_sponsor(&profile).await?;
        lock(&self.vault).save_sponsor(link, &profile)?;
        let added = self
            .sponsors()?
            .into_iter()
            .find(|s| s.link == link)
            .ok_or(SponsorError::NotFound)?;
        tracing::info!(sponsor = %added.profile.name, chains = added.profile.chains.len(), "gas sponsor added");
        Ok(added)
    }

    /// Checks each network of `profile` against the chain it names.
    async fn check_sponsor(&self, profile: &SponsorProfile) -> WalletResult<()> {
        let registry = self.registry()?;
        for offered in &profile.chains {
            let id = offered.chain_id;
            // The node the wallet will read this chain from: its own when it knows the chain.
            let rpc = registry
                .get(id)
                .ok()
                .and_then(|c| c.rpc_urls.first().cloned())
                .or_else(|| offered.rpc_url.clone())
                .ok_or(SponsorError::NoNode(id))?;
            for url in [rpc.as_str(), offered.bundler_url.as_str()] {
                let transport = self.connector.connect(url)?;
                let host = transport.host().to_owned();
                let answered = NodeClient::from_transport(transport)
                    .chain_id()
                    .await
                    .map_err(|e| SponsorError::Unreachable {
                        host,
                        reason: e.to_string(),
                    })?;
                if answered != id {
                    return Err(SponsorError::WrongChain {
                        chain_id: id,
                        answered,
                    }
                    .into());
                }
            }
        }
        Ok(())
    }

    /// The gas sponsors added, oldest first.
    pub fn sponsors(&self) -> WalletResult<Vec<Sponsor>> {
        Ok(lock(&self.vault).sponsors()?)
    }

    /// Removes the sponsor added with `link`; its networks go back to what they were.
    pub fn remove_sponsor(&self, link: &str) -> WalletResult<()> {
        if lock(&self.vault).remove_sponsor(link.trim())? {
            Ok(())
        } else {
            Err(SponsorError::NotFound.into())
        }
    }
}

/// Recovery alerts read from a sponsor's relay at most this large.
const MAX_ALERTS_BYTES: usize = 1024 * 1024;

/// What happened to a recovery of one of the wallet's accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum NoticeKind {
    /// Guardians started a recovery: the owner can cancel it until `execute_after`.
    Started,
    /// The recovery was cancelled.
    Cancelled,
    /// The recovery completed: another key owns the account.
    Executed,
}

/// A recovery event of one of the wallet's accounts, reported by a sponsor's relay (which
/// watches the chain while the app is closed).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryNotice {
    /// What happened.
    pub kind: NoticeKind,
    /// The account.
    pub account: Address,
    /// The network.
    pub chain_id: u64,
    /// Its name.
    pub chain_name: String,
    /// The key that would take (or took) the account.
    pub new_owner: Address,
    /// When a started recovery can complete (Unix time).
    pub execute_after: Option<u64>,
    /// The sponsor that reported it.
    pub sponsor: String,
    /// In plain words.
    pub message: String,
}

impl Wallet {
    /// Registers every account of the wallet for recovery alerts with each sponsor that offers
    /// them, on each network it serves; returns how many registrations were made. Fails only when
    /// none could be made.
    pub async fn register_for_alerts(&self) -> WalletResult<usize> {
        let accounts: Vec<Address> = self.accounts()?.into_iter().map(|a| a.address).collect();
        self.register_for_alerts_of(&accounts).await
    }

    /// [`Wallet::register_for_alerts`] for `accounts` (works while the vault is locked).
    pub async fn register_for_alerts_of(&self, accounts: &[Address]) -> WalletResult<usize> {
        if accounts.is_empty() {
            return Ok(0);
        }
        let http = self.connector.http();
        let mut done = 0;
        let mut first_error = None;
        for sponsor in self.sponsors()? {
            let Some(base) = &sponsor.profile.alerts_url else {
                continue;
            };
            for chain in &sponsor.profile.chains {
                let body = serde_json::json!({"chainId": chain.chain_id, "accounts": accounts});
                match crate::rpc::post_json(&*http, &format!("{base}/accounts"), &body, 64 * 1024)
                    .await
                {
                    Ok(_) => done += 1,
                    Err(e) => {
                        tracing::warn!(sponsor = %sponsor.profile.name, chain = chain.chain_id, error = %e, "alerts not registered");
                        first_error.get_or_insert(e);
                    }
                }
            }
        }
        match first_error {
            Some(e) if done == 0 => Err(e.into()),
            _ => Ok(done),
        }
    }

    /// Recovery events of the wallet's accounts the sponsors reported since the last call
    /// (each once: the position is kept in the vault). Waits up to `wait` for the first sponsor
    /// to report something (a long poll); a sponsor that cannot be reached is skipped.
    pub async fn recovery_notices(
        &self,
        wait: std::time::Duration,
    ) -> WalletResult<Vec<RecoveryNotice>> {
        let accounts: Vec<Address> = self.accounts()?.into_iter().map(|a| a.address).collect();
        self.recovery_notices_for(&accounts, wait).await
    }

    /// [`Wallet::recovery_notices`] for `accounts` (known from an earlier unlock): works while
    /// the vault is locked, which reading the accounts does not.
    pub async fn recovery_notices_for(
        &self,
        accounts: &[Address],
        wait: std::time::Duration,
    ) -> WalletResult<Vec<RecoveryNotice>> {
        // Networks and sponsors are not secret: read without unlocking.
        let registry = lock(&self.vault).chain_registry()?;
        let list = accounts
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let http = self.connector.http();
        let mut notices = Vec::new();
        let mut wait = wait;
        for sponsor in self.sponsors()? {
            let Some(base) = &sponsor.profile.alerts_url else {
                continue;
            };
            let url = format!(
                "{base}/events?after={}&wait={}&accounts={list}",
                sponsor.alerts_after,
                wait.as_secs()
            );
            let text = match crate::rpc::http_text(&*http, &url, None, wait, MAX_ALERTS_BYTES).await
            {
                Ok(text) => text,
                Err(e) => {
                    tracing::warn!(sponsor = %sponsor.profile.name, error = %e, "alerts not read");
                    continue;
                }
            };
            // Only the first sponsor is waited for.
            wait = std::time::Duration::ZERO;
            let page: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| crate::rpc::RpcError::InvalidResponse {
                    host: crate::rpc::host_of(base).unwrap_or_default(),
                    message: e.to_string(),
                })?;
            for event in page["events"].as_array().into_iter().flatten() {
                if let Some(notice) = notice(event, &sponsor.profile.name, accounts, |id| {
                    self.chain_name(&registry, id)
                }) {
                    notices.push(notice);
                }
            }
            if let Some(next) = page["next"].as_i64().filter(|n| *n > sponsor.alerts_after) {
                lock(&self.vault).set_sponsor_alerts_after(&sponsor.link, next)?;
            }
        }
        Ok(notices)
    }
}

/// A relay's event as a notice, when it is about one of `accounts`.
fn notice(
    event: &serde_json::Value,
    sponsor: &str,
    accounts: &[Address],
    chain_name: impl Fn(u64) -> String,
) -> Option<RecoveryNotice> {
    let address = |key: &str| event[key].as_str()?.parse::<Address>().ok();
    let account = address("account").filter(|a| accounts.contains(a))?;
    let new_owner = address("newOwner")?;
    let chain_id = event["chainId"].as_u64()?;
    let chain_name = chain_name(chain_id);
    let execute_after = event["executeAfter"].as_u64();
    let (kind, message) = match event["type"].as_str()? {
        "recovery.started" => (
            NoticeKind::Started,
            format!(
                "Guardians started a recovery of your account on {chain_name}: the key {new_owner} \
                 would take it over. If this was not you, cancel it now."
            ),
        ),
        "recovery.cancelled" => (
            NoticeKind::Cancelled,
            format!("The recovery of your account on {chain_name} was cancelled."),
        ),
        "recovery.executed" => (
            NoticeKind::Executed,
            format!("Your account on {chain_name} was recovered: the key {new_owner} owns it now."),
        ),
        _ => return None,
    };
    Some(RecoveryNotice {
        kind,
        account,
        chain_id,
        chain_name,
        new_owner,
        execute_after: execute_after.filter(|_| kind == NoticeKind::Started),
        sponsor: sponsor.to_owned(),
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_events_read_as_notices_for_own_accounts_only() {
        let mine = Address::repeat_byte(1);
        let event = serde_json::json!({
            "id": 3, "type": "recovery.started", "chainId": 8453, "account": mine.to_string(),
            "newOwner": Address::repeat_byte(2).to_string(), "executeAfter": 1_796_300_000u64,
        });
        let n = notice(&event, "Acme", &[mine], |_| "Base".into()).unwrap();
        assert_eq!(n.kind, NoticeKind::Started);
        assert_eq!(n.execute_after, Some(1_796_300_000));
        assert!(n.message.contains("cancel it now"), "{}", n.message);
        assert!(n.message.contains("on Base"), "{}", n.message);
        assert!(
            notice(&event, "Acme", &[Address::repeat_byte(9)], |_| String::new(
            ))
            .is_none()
        );
        let mut other = event.clone();
        other["type"] = "recovery.unknown".into();
        assert!(notice(&other, "Acme", &[mine], |_| String::new()).is_none());
        other["type"] = "recovery.cancelled".into();
        let n = notice(&other, "Acme", &[mine], |_| "Base".into()).unwrap();
        assert_eq!((n.kind, n.execute_after), (NoticeKind::Cancelled, None));
    }
}
