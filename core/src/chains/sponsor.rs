//! Gas sponsor profiles: what a relay publishes (`/.well-known/harbor-sponsor/{key}`) so that one
//! link configures every network it sponsors — its bundler and paymaster URLs, the Harbor
//! contracts it works with, and what it pays for in its own words.

use alloy_primitives::Address;
use serde::{Deserialize, Serialize};

use super::{Chain, NativeCurrency, valid_url};
use crate::aa::{ENTRY_POINT_V07, HARBOR_ACCOUNT_FACTORY, HARBOR_ACCOUNT_IMPLEMENTATION};

/// The profile format version this wallet reads.
pub const SPONSOR_PROFILE_VERSION: u64 = 1;
/// Networks one profile may list, at most.
const MAX_CHAINS: usize = 64;

/// Why a sponsor profile was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SponsorError {
    /// The text is not a sponsor profile.
    #[error("this link does not give a gas sponsor profile: {0}")]
    Malformed(String),
    /// A profile version this wallet cannot read.
    #[error("the sponsor profile is version {0}; this Harbor reads version 1 (update Harbor)")]
    UnsupportedVersion(u64),
    /// The profile lists no network.
    #[error("the sponsor does not list any network")]
    NoChains,
    /// The profile lists a network twice.
    #[error("the sponsor lists chain {0} twice")]
    DuplicateChain(u64),
    /// A URL of the profile is not an http(s) URL.
    #[error(
        "the sponsor's {field} URL for chain {chain_id} is not a valid http:// or https:// address"
    )]
    InvalidUrl {
        /// The chain.
        chain_id: u64,
        /// "RPC", "bundler" or "paymaster".
        field: &'static str,
    },
    /// The sponsor works with account contracts this wallet does not use.
    #[error(
        "on chain {chain_id} the sponsor works with other account contracts than Harbor's; it \
         cannot pay for this wallet there"
    )]
    OtherContracts {
        /// The chain.
        chain_id: u64,
    },
    /// The link cannot be fetched.
    #[error("cannot reach the sponsor at {host}: {reason}")]
    Unreachable {
        /// The link's host.
        host: String,
        /// Why.
        reason: String,
    },
    /// A network's node answers as another chain.
    #[error("the sponsor's network {chain_id} answers as chain {answered}; it was not added")]
    WrongChain {
        /// The chain the profile names.
        chain_id: u64,
        /// The chain the node reports.
        answered: u64,
    },
    /// A network the wallet does not know comes without a node to read it from.
    #[error("the sponsor gives no node address for chain {0}, which Harbor does not know")]
    NoNode(u64),
    /// No sponsor was added with that link.
    #[error("no gas sponsor was added with this link")]
    NotFound,
}

crate::classified!(SponsorError, |e: &SponsorError| match e {
    SponsorError::Unreachable { .. } | SponsorError::WrongChain { .. } =>
        crate::error::ErrorKind::Network,
    SponsorError::NotFound => crate::error::ErrorKind::NotFound,
    _ => crate::error::ErrorKind::InvalidInput,
});

/// One network in a sponsor profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SponsoredChain {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// The network's name (used when the wallet does not know the chain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A JSON-RPC URL for the chain (needed when the wallet does not know the chain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpc_url: Option<String>,
    /// The ERC-7769 bundler.
    pub bundler_url: String,
    /// The ERC-7677 paymaster service.
    pub paymaster_url: String,
    /// The EntryPoint it bundles for.
    pub entry_point: Address,
    /// The account factory it sponsors.
    pub account_factory: Address,
    /// The account implementation it sponsors.
    pub account_implementation: Address,
    /// The paymaster contract.
    pub paymaster: Address,
    /// What it pays for, in the sponsor's words.
    #[serde(default)]
    pub pays: Vec<String>,
}

impl SponsoredChain {
    /// This network as the wallet knows it when it has no other definition of the chain
    /// (`None` without an RPC URL).
    pub fn to_chain(&self, sponsor: &str) -> Option<Chain> {
        Some(Chain {
            chain_id: self.chain_id,
            name: self
                .name
                .clone()
                .unwrap_or_else(|| format!("Chain {}", self.chain_id)),
            native_currency: NativeCurrency {
                name: "Ether".into(),
                symbol: "ETH".into(),
                decimals: 18,
            },
            rpc_urls: vec![self.rpc_url.clone()?],
            explorer_url: None,
            bundler_url: Some(self.bundler_url.clone()),
            paymaster_url: Some(self.paymaster_url.clone()),
            testnet: false,
            sponsor: Some(sponsor.to_owned()),
        })
    }
}

/// A gas sponsor's profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SponsorProfile {
    /// The format version.
    pub harbor_sponsor_profile: u64,
    /// The sponsor's name, shown wherever it pays.
    pub name: String,
    /// How to reach the sponsor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// The networks it sponsors.
    pub chains: Vec<SponsoredChain>,
    /// Where the wallet registers its accounts for recovery alerts and reads them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerts_url: Option<String>,
}

impl SponsorProfile {
    /// Reads and checks a profile: version, name, networks, URLs, and the Harbor contracts.
    pub fn parse(text: &str) -> Result<Self, SponsorError> {
        let profile: SponsorProfile =
            serde_json::from_str(text).map_err(|e| SponsorError::Malformed(e.to_string()))?;
        profile.check()?;
        Ok(profile)
    }

    /// Checks a profile already read.
    pub fn check(&self) -> Result<(), SponsorError> {
        if self.harbor_sponsor_profile != SPONSOR_PROFILE_VERSION {
            return Err(SponsorError::UnsupportedVersion(
                self.harbor_sponsor_profile,
            ));
        }
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
            return Err(SponsorError::Malformed(
                "the sponsor's name is empty, too long or not plain text".into(),
            ));
        }
        if self.chains.is_empty() {
            return Err(SponsorError::NoChains);
        }
        if self.chains.len() > MAX_CHAINS {
            return Err(SponsorError::Malformed(format!(
                "it lists {} networks (at most {MAX_CHAINS})",
                self.chains.len()
            )));
        }
        let mut seen = std::collections::BTreeSet::new();
        for chain in &self.chains {
            let id = chain.chain_id;
            if id == 0 {
                return Err(SponsorError::Malformed("a network has chain id 0".into()));
            }
            if !seen.insert(id) {
                return Err(SponsorError::DuplicateChain(id));
            }
            for (field, url) in [
                ("RPC", chain.rpc_url.as_ref()),
                ("bundler", Some(&chain.bundler_url)),
                ("paymaster", Some(&chain.paymaster_url)),
            ] {
                if url.is_some_and(|url| !valid_url(url)) {
                    return Err(SponsorError::InvalidUrl {
                        chain_id: id,
                        field,
                    });
                }
            }
            if chain.entry_point != ENTRY_POINT_V07
                || chain.account_factory != HARBOR_ACCOUNT_FACTORY
                || chain.account_implementation != HARBOR_ACCOUNT_IMPLEMENTATION
            {
                return Err(SponsorError::OtherContracts { chain_id: id });
            }
        }
        Ok(())
    }
}

/// A sponsor the user added, with the link it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sponsor {
    /// The link the profile was read from (identifies the sponsor in the wallet).
    pub link: String,
    /// Its profile when added.
    pub profile: SponsorProfile,
    /// When it was added (Unix seconds).
    pub added_at: u64,
    /// The id of the last recovery alert read from it.
    #[serde(default)]
    pub alerts_after: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> serde_json::Value {
        serde_json::json!({
            "harborSponsorProfile": 1,
            "name": "Acme",
            "contact": "help@acme.example",
            "chains": [{
                "chainId": 8453,
                "rpcUrl": "https://relay.example/rpc/8453/k",
                "bundlerUrl": "https://relay.example/rpc/8453/k",
                "paymasterUrl": "https://relay.example/rpc/8453/k",
                "entryPoint": ENTRY_POINT_V07,
                "accountFactory": HARBOR_ACCOUNT_FACTORY,
                "accountImplementation": HARBOR_ACCOUNT_IMPLEMENTATION,
                "paymaster": Address::repeat_byte(9),
                "pays": ["Any call."]
            }]
        })
    }

    #[test]
    fn a_relay_profile_reads() {
        let parsed = SponsorProfile::parse(&profile().to_string()).unwrap();
        assert_eq!(parsed.name, "Acme");
        let chain = parsed.chains[0].to_chain(&parsed.name).unwrap();
        assert_eq!(chain.name, "Chain 8453");
        assert_eq!(chain.sponsor.as_deref(), Some("Acme"));
        assert!(chain.validate().is_ok());
    }

    #[test]
    fn bad_profiles_are_refused_with_a_reason() {
        let with = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut p = profile();
            f(&mut p);
            SponsorProfile::parse(&p.to_string()).unwrap_err()
        };
        assert!(matches!(
            SponsorProfile::parse("<html>").unwrap_err(),
            SponsorError::Malformed(_)
        ));
        assert_eq!(
            with(&|p| p["harborSponsorProfile"] = 2.into()),
            SponsorError::UnsupportedVersion(2)
        );
        assert!(matches!(
            with(&|p| p["name"] = " ".into()),
            SponsorError::Malformed(_)
        ));
        assert_eq!(
            with(&|p| p["chains"] = serde_json::json!([])),
            SponsorError::NoChains
        );
        assert_eq!(
            with(&|p| {
                let c = p["chains"][0].clone();
                p["chains"].as_array_mut().unwrap().push(c);
            }),
            SponsorError::DuplicateChain(8453)
        );
        assert_eq!(
            with(&|p| p["chains"][0]["bundlerUrl"] = "ftp://x".into()),
            SponsorError::InvalidUrl {
                chain_id: 8453,
                field: "bundler"
            }
        );
        assert_eq!(
            with(&|p| p["chains"][0]["accountFactory"] = Address::repeat_byte(1).to_string().into()),
            SponsorError::OtherContracts { chain_id: 8453 }
        );
        assert!(
            with(&|p| p["harborSponsorProfile"] = 2.into())
                .to_string()
                .contains("update Harbor")
        );
    }

    #[test]
    fn sponsors_fill_networks_without_overriding_the_users_own() {
        use crate::chains::ChainRegistry;
        let sponsor = |name: &str, ids: &[u64]| {
            let mut p = SponsorProfile::parse(&profile().to_string()).unwrap();
            p.name = name.into();
            let template = p.chains[0].clone();
            p.chains = ids
                .iter()
                .map(|&id| SponsoredChain {
                    chain_id: id,
                    ..template.clone()
                })
                .collect();
            Sponsor {
                link: format!("https://{name}.example/p"),
                profile: p,
                added_at: 1,
                alerts_after: 0,
            }
        };
        // 8453 is built in; 999 is known only to the sponsor; 777 is the user's with its own
        // paymaster.
        let mut own = SponsoredChain {
            chain_id: 777,
            ..profile_chain()
        }
        .to_chain("me")
        .unwrap();
        own.sponsor = None;
        own.paymaster_url = Some("https://mine.example".into());
        let plain = ChainRegistry::new(vec![own.clone()]);
        let registry = ChainRegistry::new(vec![own.clone()]).with_sponsors(vec![
            sponsor("first", &[8453, 999, 777]),
            sponsor("second", &[8453]),
        ]);
        let base = registry.get(8453).unwrap();
        assert_eq!(
            base.sponsor.as_deref(),
            Some("first"),
            "the first added wins"
        );
        assert_eq!(
            base.name,
            plain.get(8453).unwrap().name,
            "the wallet's own definition"
        );
        assert_eq!(base.rpc_urls, plain.get(8453).unwrap().rpc_urls);
        assert!(base.bundler_url.is_some() && base.paymaster_url.is_some());
        assert_eq!(registry.get(999).unwrap().name, "Chain 999");
        assert_eq!(
            registry.get(777).unwrap(),
            &own,
            "the user's own paymaster stays"
        );
        assert!(plain.get(999).is_err());
        assert_eq!(registry.list().len(), plain.list().len() + 1);
    }

    fn profile_chain() -> SponsoredChain {
        SponsorProfile::parse(&profile().to_string())
            .unwrap()
            .chains[0]
            .clone()
    }
}
