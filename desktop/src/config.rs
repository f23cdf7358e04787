//! The desktop app's settings from the environment, read once into [`DesktopConfig`].

use std::ffi::OsString;
use std::path::PathBuf;

use harbor_core::vault::KdfParams;

/// A chain the app was started with (the local dev chain and its relay).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PresetChain {
    /// Chain id.
    pub chain_id: u64,
    /// Display name.
    pub name: String,
    /// Node.
    pub rpc_url: String,
    /// Bundler.
    pub bundler_url: String,
    /// Paymaster.
    pub paymaster_url: String,
    /// Tokens to show on it.
    #[serde(default)]
    pub tokens: Vec<String>,
    /// The name of the sponsor behind the paymaster (the dev relay's).
    #[serde(default)]
    pub sponsor: Option<String>,
}

/// What the environment asks of the app.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DesktopConfig {
    /// `HARBOR_DATA_DIR`: the data folder (else the platform's app data folder).
    pub data_dir: Option<PathBuf>,
    /// `HARBOR_DEV_CHAINS`: networks to add at start (a JSON file written by `cargo xtask
    /// desktop`).
    pub presets: Vec<PresetChain>,
    /// `HARBOR_NO_KEYRING`: keep the keyring key in memory only (tests, machines without one).
    pub no_keyring: bool,
    /// `HARBOR_LIGHT_KDF`: fast password hashing for new wallet files (tests only).
    pub light_kdf: bool,
    /// `HARBOR_PROVIDER_PORT`: the local provider's port (else the default one or the next
    /// free of its fallbacks).
    pub provider_port: u16,
}

impl DesktopConfig {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, String> {
        Self::from_vars(|name| std::env::var_os(name))
    }

    /// Reads the settings through `var` (a variable's value, if set).
    pub fn from_vars(var: impl Fn(&str) -> Option<OsString>) -> Result<Self, String> {
        let presets = match var("HARBOR_DEV_CHAINS") {
            None => Vec::new(),
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    format!(
                        "HARBOR_DEV_CHAINS ({}): {e}",
                        PathBuf::from(&path).display()
                    )
                })?;
                serde_json::from_str(&text).map_err(|e| format!("HARBOR_DEV_CHAINS: {e}"))?
            }
        };
        Ok(DesktopConfig {
            data_dir: var("HARBOR_DATA_DIR").map(PathBuf::from),
            presets,
            no_keyring: var("HARBOR_NO_KEYRING").is_some(),
            light_kdf: var("HARBOR_LIGHT_KDF").is_some(),
            provider_port: match var("HARBOR_PROVIDER_PORT") {
                None => 0,
                Some(port) => port
                    .to_str()
                    .and_then(|p| p.parse().ok())
                    .ok_or("HARBOR_PROVIDER_PORT must be a port number")?,
            },
        })
    }

    /// Argon2 parameters for new wallet files.
    pub fn kdf(&self) -> KdfParams {
        if self.light_kdf {
            KdfParams::LIGHT
        } else {
            KdfParams::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_setting_and_explains_a_bad_chains_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let chains = dir.path().join("chains.json");
        std::fs::write(
            &chains,
            r#"[{"chainId":31337,"name":"Dev","rpcUrl":"http://127.0.0.1:8545",
                "bundlerUrl":"http://127.0.0.1:4337","paymasterUrl":"http://127.0.0.1:4337"}]"#,
        )
        .expect("write");
        let vars = |name: &str| match name {
            "HARBOR_DEV_CHAINS" => Some(chains.clone().into_os_string()),
            "HARBOR_DATA_DIR" => Some("/data".into()),
            "HARBOR_LIGHT_KDF" => Some("1".into()),
            _ => None,
        };
        let config = DesktopConfig::from_vars(vars).expect("config");
        assert_eq!(config.presets[0].chain_id, 31337);
        assert_eq!(config.data_dir, Some(PathBuf::from("/data")));
        assert!(config.light_kdf && !config.no_keyring);
        assert_eq!(config.kdf(), KdfParams::LIGHT);

        std::fs::write(&chains, "not json").expect("write");
        let error = DesktopConfig::from_vars(vars).unwrap_err();
        assert!(error.starts_with("HARBOR_DEV_CHAINS"), "{error}");
        assert_eq!(
            DesktopConfig::from_vars(|_| None),
            Ok(DesktopConfig::default())
        );
    }
}
