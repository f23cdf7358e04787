//! The sponsor profile (`GET /.well-known/harbor-sponsor/{apiKey}`): one link a wallet is given
//! to configure every chain this relay sponsors for an app — the sponsor's name and contact, per
//! chain its bundler and paymaster URLs, the Harbor contract addresses and what it pays for, in
//! plain words taken from the app's policies.
//!
//! Format (version 1), camelCase JSON:
//! `{ "harborSponsorProfile": 1, "name", "contact"?, "chains": [{ "chainId", "name"?, "rpcUrl"?,
//! "bundlerUrl", "paymasterUrl", "entryPoint", "accountFactory", "accountImplementation",
//! "paymaster", "pays": [sentence…] }], "alertsUrl" }` — `alertsUrl` is where the wallet
//! registers its accounts for recovery alerts (`/accounts`) and reads them (`/events`).

use alloy_primitives::U256;
use harbor_core::tokens::format_amount;
use serde_json::{Value, json};

use crate::config::{AppConfig, Config, Policy};

/// The profile format version this relay writes.
pub const PROFILE_VERSION: u64 = 1;

/// The sponsor profile of `app`, its URLs under `base_url` (no trailing slash).
pub fn profile(config: &Config, app: &AppConfig, base_url: &str) -> Value {
    let chains: Vec<Value> = app
        .policies
        .iter()
        .filter_map(|policy| {
            let chain = config
                .chains
                .iter()
                .find(|c| c.chain_id == policy.chain_id)?;
            let service = format!("{base_url}/rpc/{}/{}", chain.chain_id, app.api_key);
            let mut entry = json!({
                "chainId": chain.chain_id,
                "bundlerUrl": service,
                "paymasterUrl": service,
                "entryPoint": chain.entry_point.to_string(),
                "accountFactory": chain.account_factory.to_string(),
                "accountImplementation": chain.account_implementation.to_string(),
                "paymaster": chain.paymaster.to_string(),
                "pays": pays(policy),
            });
            if let Some(name) = &chain.name {
                entry["name"] = json!(name);
            }
            if let Some(rpc) = &chain.public_rpc_url {
                entry["rpcUrl"] = json!(rpc);
            }
            Some(entry)
        })
        .collect();
    let mut profile = json!({
        "harborSponsorProfile": PROFILE_VERSION,
        "name": config.sponsor_name,
        "chains": chains,
        "alertsUrl": format!("{base_url}/alerts/{}", app.api_key),
    });
    if let Some(contact) = &config.sponsor_contact {
        profile["contact"] = json!(contact);
    }
    profile
}

/// "day", "hour", "week" or "N hours" / "N minutes" for a window of `seconds`.
fn window(seconds: u64) -> String {
    match seconds {
        86_400 => "day".into(),
        3_600 => "hour".into(),
        604_800 => "week".into(),
        s if s % 86_400 == 0 => format!("{} days", s / 86_400),
        s if s % 3_600 == 0 => format!("{} hours", s / 3_600),
        s => format!("{} minutes", s.div_ceil(60)),
    }
}

/// What `policy` pays for, one sentence each.
pub fn pays(policy: &Policy) -> Vec<String> {
    let per = window(policy.reset_interval_seconds);
    let mut sentences = vec![format!(
        "Gas for up to {} operations and {} ETH per account each {per}.",
        policy.max_ops_per_sender,
        format_amount(policy.max_spend_per_sender_wei, 18)
    )];
    sentences.push(
        match (policy.allowed_targets.len(), policy.allowed_selectors.len()) {
            (0, 0) => "Any call from a Harbor account.".into(),
            (0, _) => format!(
                "Only calls to the functions {}.",
                policy.allowed_selectors.join(", ")
            ),
            (_, 0) => format!(
                "Only calls to {}.",
                policy
                    .allowed_targets
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ => format!(
                "Only calls to {} (functions {}).",
                policy
                    .allowed_targets
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                policy.allowed_selectors.join(", ")
            ),
        },
    );
    sentences.push(if policy.allow_native_transfers {
        "Plain ETH transfers included.".into()
    } else {
        "Plain ETH transfers not included.".into()
    });
    let gwei = policy.max_fee_per_gas_wei / U256::from(1_000_000_000u64);
    sentences.push(format!("While gas costs at most {gwei} gwei."));
    if policy.bundle_unsponsored {
        sentences.push("Also sends operations whose gas the account pays itself.".into());
    }
    sentences
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ChainConfig, KeySource};
    use alloy_primitives::Address;

    fn config() -> Config {
        let mut chain =
            ChainConfig::new(8453, "https://secret.example/KEY", Address::repeat_byte(9));
        chain.name = Some("Base".into());
        let mut config = Config::new(
            vec![
                chain,
                ChainConfig::new(10, "https://op.example/KEY", Address::repeat_byte(8)),
            ],
            vec![AppConfig {
                name: "wallet".into(),
                api_key: "k1".into(),
                policies: vec![Policy::defaults(8453)],
                webhook: None,
            }],
            "/tmp/x.sqlite".into(),
        );
        config.sponsor_name = "Acme".into();
        config.sponsor_contact = Some("https://acme.example/help".into());
        config.signer_key = KeySource::Env("S".into());
        config
    }

    #[test]
    fn lists_the_chains_the_app_has_a_policy_on_without_private_urls() {
        let config = config();
        let profile = profile(&config, &config.apps[0], "https://relay.example");
        assert_eq!(profile["harborSponsorProfile"], 1);
        assert_eq!(profile["name"], "Acme");
        assert_eq!(profile["contact"], "https://acme.example/help");
        let chains = profile["chains"].as_array().unwrap();
        assert_eq!(chains.len(), 1, "chain 10 has no policy for this app");
        let base = &chains[0];
        assert_eq!(base["chainId"], 8453);
        assert_eq!(base["name"], "Base");
        assert_eq!(base["bundlerUrl"], "https://relay.example/rpc/8453/k1");
        assert_eq!(base["paymasterUrl"], base["bundlerUrl"]);
        assert!(base.get("rpcUrl").is_none(), "no public RPC configured");
        assert!(
            !profile.to_string().contains("secret.example"),
            "the node URL stays private"
        );
        assert_eq!(
            base["entryPoint"],
            "0x0000000071727De22E5E9d8BAf0edAc6f37da032"
        );
    }

    #[test]
    fn policies_read_as_sentences() {
        let mut policy = Policy::defaults(1);
        assert_eq!(
            pays(&policy),
            [
                "Gas for up to 50 operations and 0.05 ETH per account each day.",
                "Any call from a Harbor account.",
                "Plain ETH transfers included.",
                "While gas costs at most 200 gwei."
            ]
        );
        policy.reset_interval_seconds = 7_200;
        policy.allowed_selectors = vec!["0xa9059cbb".into()];
        policy.allow_native_transfers = false;
        let words = pays(&policy);
        assert!(words[0].ends_with("each 2 hours."), "{words:?}");
        assert_eq!(words[1], "Only calls to the functions 0xa9059cbb.");
        assert_eq!(words[2], "Plain ETH transfers not included.");
    }
}
