//! The registry of EVM chains: built-in networks plus the user's custom ones.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod sponsor;
pub use sponsor::{SPONSOR_PROFILE_VERSION, Sponsor, SponsorError, SponsorProfile, SponsoredChain};

/// Chain id of the local development chain (anvil).
pub const DEV_CHAIN_ID: u64 = 31337;

/// Why a chain definition was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// Chain id 0 is not a chain.
    #[error("chain id must be a positive number")]
    InvalidChainId,
    /// The name is empty.
    #[error("the network needs a name")]
    EmptyName,
    /// The currency symbol is empty or too long.
    #[error("the currency symbol must have 1 to 12 characters")]
    InvalidSymbol,
    /// More than 36 decimals is not a real currency.
    #[error("the currency must have at most 36 decimals; got {0}")]
    InvalidDecimals(u8),
    /// A network needs at least one RPC URL.
    #[error("the network needs at least one RPC URL")]
    NoRpcUrl,
    /// A URL is not an http(s) URL with a host.
    #[error("the {field} URL is not a valid http:// or https:// address")]
    InvalidUrl {
        /// Which field ("RPC", "explorer", "bundler", "paymaster").
        field: &'static str,
    },
    /// No chain with that id.
    #[error("no network with chain id {0}")]
    UnknownChain(u64),
    /// Built-in networks can be edited but not removed.
    #[error("built-in networks cannot be removed; their settings can be reset instead")]
    BuiltinCannotBeRemoved,
}

crate::classified!(ChainError, |e: &ChainError| match e {
    ChainError::InvalidChainId
    | ChainError::EmptyName
    | ChainError::InvalidSymbol
    | ChainError::InvalidDecimals(_)
    | ChainError::NoRpcUrl
    | ChainError::InvalidUrl { .. }
    | ChainError::BuiltinCannotBeRemoved => crate::error::ErrorKind::InvalidInput,
    ChainError::UnknownChain(_) => crate::error::ErrorKind::NotFound,
});

/// A chain's native currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NativeCurrency {
    /// Display name ("Ether").
    pub name: String,
    /// Ticker ("ETH").
    pub symbol: String,
    /// Decimals (18 on every EVM chain so far).
    pub decimals: u8,
}

/// An EVM network and the services the wallet uses on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Chain {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// Display name.
    pub name: String,
    /// The native coin.
    pub native_currency: NativeCurrency,
    /// JSON-RPC endpoints, preferred first.
    pub rpc_urls: Vec<String>,
    /// Block explorer base URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explorer_url: Option<String>,
    /// ERC-4337 bundler (ERC-7769) endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundler_url: Option<String>,
    /// ERC-7677 paymaster endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paymaster_url: Option<String>,
    /// A test network whose coins have no value.
    #[serde(default)]
    pub testnet: bool,
    /// The gas sponsor (its own name) whose profile set this network's bundler and paymaster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sponsor: Option<String>,
}

fn valid_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty()
                && !host.starts_with(':')
                && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

impl Chain {
    /// Checks that the definition is usable.
    pub fn validate(&self) -> Result<(), ChainError> {
        if self.chain_id == 0 {
            return Err(ChainError::InvalidChainId);
        }
        if self.name.trim().is_empty() {
            return Err(ChainError::EmptyName);
        }
        let symbol = self.native_currency.symbol.trim();
        if symbol.is_empty() || symbol.chars().count() > 12 {
            return Err(ChainError::InvalidSymbol);
        }
        if self.native_currency.decimals > 36 {
            return Err(ChainError::InvalidDecimals(self.native_currency.decimals));
        }
        if self.rpc_urls.is_empty() {
            return Err(ChainError::NoRpcUrl);
        }
        if !self.rpc_urls.iter().all(|u| valid_url(u)) {
            return Err(ChainError::InvalidUrl { field: "RPC" });
        }
        for (field, url) in [
            ("explorer", &self.explorer_url),
            ("bundler", &self.bundler_url),
            ("paymaster", &self.paymaster_url),
        ] {
            if url.as_deref().is_some_and(|u| !valid_url(u)) {
                return Err(ChainError::InvalidUrl { field });
            }
        }
        Ok(())
    }

    /// Who pays the gas on this network: the sponsor's name when its profile set the network
    /// up, the paymaster's host otherwise; `None` when the account pays.
    pub fn payer_name(&self) -> Option<String> {
        let url = self.paymaster_url.as_deref()?;
        Some(self.sponsor.clone().unwrap_or_else(|| {
            let rest = url.split_once("://").map_or(url, |(_, r)| r);
            let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
            host.rsplit('@').next().unwrap_or(host).to_owned()
        }))
    }

    /// The explorer page of a transaction, when the chain has an explorer.
    pub fn explorer_tx_url(&self, tx_hash: &str) -> Option<String> {
        self.explorer_url
            .as_ref()
            .map(|base| format!("{}/tx/{tx_hash}", base.trim_end_matches('/')))
    }

    /// The explorer page of an address, when the chain has an explorer.
    pub fn explorer_address_url(&self, address: &str) -> Option<String> {
        self.explorer_url
            .as_ref()
            .map(|base| format!("{}/address/{address}", base.trim_end_matches('/')))
    }
}

fn builtin(
    chain_id: u64,
    name: &str,
    currency: (&str, &str),
    rpc: &str,
    explorer: Option<&str>,
    testnet: bool,
) -> Chain {
    Chain {
        chain_id,
        name: name.to_owned(),
        native_currency: NativeCurrency {
            name: currency.0.to_owned(),
            symbol: currency.1.to_owned(),
            decimals: 18,
        },
        rpc_urls: vec![rpc.to_owned()],
        explorer_url: explorer.map(str::to_owned),
        bundler_url: None,
        paymaster_url: None,
        testnet,
        sponsor: None,
    }
}

/// The networks Harbor knows out of the box.
pub fn builtin_chains() -> Vec<Chain> {
    let eth = ("Ether", "ETH");
    vec![
        builtin(
            1,
            "Ethereum",
            eth,
            "https://ethereum-rpc.publicnode.com",
            Some("https://etherscan.io"),
            false,
        ),
        builtin(
            11155111,
            "Sepolia",
            ("Sepolia Ether", "ETH"),
            "https://ethereum-sepolia-rpc.publicnode.com",
            Some("https://sepolia.etherscan.io"),
            true,
        ),
        builtin(
            8453,
            "Base",
            eth,
            "https://mainnet.base.org",
            Some("https://basescan.org"),
            false,
        ),
        builtin(
            84532,
            "Base Sepolia",
            ("Sepolia Ether", "ETH"),
            "https://sepolia.base.org",
            Some("https://sepolia.basescan.org"),
            true,
        ),
        builtin(
            10,
            "OP Mainnet",
            eth,
            "https://mainnet.optimism.io",
            Some("https://optimistic.etherscan.io"),
            false,
        ),
        builtin(
            42161,
            "Arbitrum One",
            eth,
            "https://arb1.arbitrum.io/rpc",
            Some("https://arbiscan.io"),
            false,
        ),
        builtin(
            137,
            "Polygon PoS",
            ("POL", "POL"),
            "https://polygon-rpc.com",
            Some("https://polygonscan.com"),
            false,
        ),
        builtin(
            56,
            "BNB Smart Chain",
            ("BNB", "BNB"),
            "https://bsc-dataseed.bnbchain.org",
            Some("https://bscscan.com"),
            false,
        ),
        builtin(
            43114,
            "Avalanche C-Chain",
            ("Avalanche", "AVAX"),
            "https://api.avax.network/ext/bc/C/rpc",
            Some("https://snowtrace.io"),
            false,
        ),
        builtin(
            100,
            "Gnosis",
            ("xDAI", "XDAI"),
            "https://rpc.gnosischain.com",
            Some("https://gnosisscan.io"),
            false,
        ),
        builtin(
            59144,
            "Linea",
            eth,
            "https://rpc.linea.build",
            Some("https://lineascan.build"),
            false,
        ),
        builtin(
            534352,
            "Scroll",
            eth,
            "https://rpc.scroll.io",
            Some("https://scrollscan.com"),
            false,
        ),
        builtin(
            DEV_CHAIN_ID,
            "Harbor dev chain",
            eth,
            "http://127.0.0.1:8545",
            None,
            true,
        ),
    ]
}

/// Built-in networks merged with the user's custom networks and overrides, and with the networks
/// of the gas sponsors the user added.
///
/// A sponsor sets the bundler and paymaster of a network that has no paymaster of the user's own
/// (the first sponsor added wins); a network only a sponsor knows comes from its profile.
/// Removing the sponsor leaves the user's own settings as they were.
#[derive(Debug, Clone)]
pub struct ChainRegistry {
    builtins: BTreeMap<u64, Chain>,
    custom: BTreeMap<u64, Chain>,
    sponsors: Vec<Sponsor>,
    sponsored: BTreeMap<u64, Chain>,
}

impl Default for ChainRegistry {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl ChainRegistry {
    /// A registry of the built-in networks plus `custom` ones (which override built-ins of the
    /// same id). Invalid custom entries are skipped with a warning rather than failing start-up.
    pub fn new(custom: Vec<Chain>) -> Self {
        let builtins = builtin_chains()
            .into_iter()
            .map(|c| (c.chain_id, c))
            .collect();
        let custom = custom
            .into_iter()
            .filter(|c| match c.validate() {
                Ok(()) => true,
                Err(e) => {
                    tracing::warn!(chain_id = c.chain_id, error = %e, "skipping invalid stored network");
                    false
                }
            })
            .map(|c| (c.chain_id, c))
            .collect();
        Self {
            builtins,
            custom,
            sponsors: Vec::new(),
            sponsored: BTreeMap::new(),
        }
    }

    /// This registry with the networks of `sponsors` (oldest first) merged in.
    pub fn with_sponsors(mut self, sponsors: Vec<Sponsor>) -> Self {
        self.sponsors = sponsors;
        self.merge_sponsors();
        self
    }

    fn merge_sponsors(&mut self) {
        self.sponsored.clear();
        for sponsor in &self.sponsors {
            for offered in &sponsor.profile.chains {
                let id = offered.chain_id;
                if self.sponsored.contains_key(&id) {
                    continue;
                }
                let chain = match self.custom.get(&id).or_else(|| self.builtins.get(&id)) {
                    Some(own) if own.paymaster_url.is_some() => continue,
                    Some(own) => Chain {
                        bundler_url: Some(offered.bundler_url.clone()),
                        paymaster_url: Some(offered.paymaster_url.clone()),
                        sponsor: Some(sponsor.profile.name.clone()),
                        ..own.clone()
                    },
                    None => match offered.to_chain(&sponsor.profile.name) {
                        Some(chain) => chain,
                        None => continue,
                    },
                };
                self.sponsored.insert(id, chain);
            }
        }
    }

    /// Every network, ordered by chain id.
    pub fn list(&self) -> Vec<Chain> {
        let mut all = self.builtins.clone();
        all.extend(self.custom.clone());
        all.extend(self.sponsored.clone());
        all.into_values().collect()
    }

    /// The network with `chain_id`.
    pub fn get(&self, chain_id: u64) -> Result<&Chain, ChainError> {
        self.sponsored
            .get(&chain_id)
            .or_else(|| self.custom.get(&chain_id))
            .or_else(|| self.builtins.get(&chain_id))
            .ok_or(ChainError::UnknownChain(chain_id))
    }

    /// Whether `chain_id` is a built-in network.
    pub fn is_builtin(&self, chain_id: u64) -> bool {
        self.builtins.contains_key(&chain_id)
    }

    /// Adds a network or replaces the settings of an existing one.
    pub fn upsert(&mut self, chain: Chain) -> Result<(), ChainError> {
        chain.validate()?;
        self.custom.insert(chain.chain_id, chain);
        self.merge_sponsors();
        Ok(())
    }

    /// Removes a custom network, or resets a built-in one to its defaults.
    /// Returns whether a built-in was reset.
    pub fn remove(&mut self, chain_id: u64) -> Result<bool, ChainError> {
        let removed = self.custom.remove(&chain_id);
        self.merge_sponsors();
        match (removed, self.is_builtin(chain_id)) {
            (Some(_), builtin) => Ok(builtin),
            (None, true) => Err(ChainError::BuiltinCannotBeRemoved),
            (None, false) => Err(ChainError::UnknownChain(chain_id)),
        }
    }

    /// The user's custom networks and overrides (what the vault stores).
    pub fn custom(&self) -> Vec<Chain> {
        self.custom.values().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom() -> Chain {
        Chain {
            chain_id: 777,
            name: "My chain".into(),
            native_currency: NativeCurrency {
                name: "Coin".into(),
                symbol: "COIN".into(),
                decimals: 18,
            },
            rpc_urls: vec!["https://rpc.example.org".into()],
            explorer_url: Some("https://scan.example.org/".into()),
            bundler_url: None,
            paymaster_url: None,
            testnet: false,
            sponsor: None,
        }
    }

    #[test]
    fn builtins_are_valid_and_complete() {
        let chains = builtin_chains();
        for c in &chains {
            c.validate().unwrap();
        }
        let ids: Vec<u64> = chains.iter().map(|c| c.chain_id).collect();
        for id in [
            1, 11155111, 8453, 84532, 10, 42161, 137, 56, 43114, 100, 59144, 534352, 31337,
        ] {
            assert!(ids.contains(&id), "missing {id}");
        }
    }

    #[test]
    fn add_edit_remove() {
        let mut reg = ChainRegistry::default();
        assert_eq!(reg.get(777), Err(ChainError::UnknownChain(777)));
        reg.upsert(custom()).unwrap();
        assert_eq!(reg.get(777).unwrap().name, "My chain");
        assert_eq!(
            reg.get(777).unwrap().payer_name(),
            None,
            "no paymaster: the account pays"
        );
        let mut sponsored = custom();
        sponsored.paymaster_url = Some("https://key:secret@relay.example:8443/rpc/777/KEY".into());
        assert_eq!(
            sponsored.payer_name().as_deref(),
            Some("relay.example:8443")
        );
        sponsored.sponsor = Some("Acme".into());
        assert_eq!(sponsored.payer_name().as_deref(), Some("Acme"));
        assert_eq!(
            reg.get(777).unwrap().explorer_tx_url("0xabc").unwrap(),
            "https://scan.example.org/tx/0xabc"
        );
        let mut base = reg.get(8453).unwrap().clone();
        base.rpc_urls = vec!["https://my-base-node.example".into()];
        reg.upsert(base).unwrap();
        assert_eq!(
            reg.get(8453).unwrap().rpc_urls[0],
            "https://my-base-node.example"
        );
        assert_eq!(reg.remove(8453), Ok(true));
        assert_eq!(
            reg.get(8453).unwrap().rpc_urls[0],
            "https://mainnet.base.org"
        );
        assert_eq!(reg.remove(8453), Err(ChainError::BuiltinCannotBeRemoved));
        assert_eq!(reg.remove(777), Ok(false));
        assert_eq!(reg.remove(777), Err(ChainError::UnknownChain(777)));
    }

    #[test]
    fn validation_errors() {
        let check = |f: fn(&mut Chain)| {
            let mut c = custom();
            f(&mut c);
            c.validate().unwrap_err()
        };
        assert_eq!(check(|c| c.chain_id = 0), ChainError::InvalidChainId);
        assert_eq!(check(|c| c.name = "  ".into()), ChainError::EmptyName);
        assert_eq!(
            check(|c| c.native_currency.symbol = "".into()),
            ChainError::InvalidSymbol
        );
        assert_eq!(
            check(|c| c.native_currency.decimals = 40),
            ChainError::InvalidDecimals(40)
        );
        assert_eq!(check(|c| c.rpc_urls.clear()), ChainError::NoRpcUrl);
        assert_eq!(
            check(|c| c.rpc_urls = vec!["ftp://x".into()]),
            ChainError::InvalidUrl { field: "RPC" }
        );
        assert_eq!(
            check(|c| c.rpc_urls = vec!["https://".into()]),
            ChainError::InvalidUrl { field: "RPC" }
        );
        assert_eq!(
            check(|c| c.bundler_url = Some("http://bad host".into())),
            ChainError::InvalidUrl { field: "bundler" }
        );
        assert_eq!(
            check(|c| c.paymaster_url = Some("localhost:3000".into())),
            ChainError::InvalidUrl { field: "paymaster" }
        );
    }

    #[test]
    fn invalid_stored_chain_is_skipped() {
        let mut bad = custom();
        bad.rpc_urls.clear();
        let reg = ChainRegistry::new(vec![bad]);
        assert!(reg.get(777).is_err());
    }
}
