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
        let text = crate::rpc::fetch_text(link, MAX_PROFILE_BYTES)
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
