//! Local dev chains for Harbor's demo and tests.
//!
//! [`Devnet::start`] runs anvil (Osaka, for the P256VERIFY precompile) on 127.0.0.1, deploys
//! the canonical EntryPoint v0.7 through the deterministic deployer (it lands at
//! `0x0000000071727De22E5E9d8BAf0edAc6f37da032`), then the Harbor account implementation,
//! factory and paymaster the same way, funds and stakes the paymaster, and describes it all in
//! a [`Manifest`]. Dropping the [`Devnet`] stops the chain.
//!
//! The tools (`anvil`, `cast`) come from the pinned npm packages in `tools/`, installed by
//! `cargo xtask setup`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

pub mod postgres;
mod root;
pub use root::{find_root_from, repo_root};

/// The deterministic deployment proxy (pre-deployed on anvil and most chains).
pub const DETERMINISTIC_DEPLOYER: &str = "0x4e59b44847b379578588920ca78fbf26c0b4956c";
/// The canonical EntryPoint v0.7 address.
pub const ENTRY_POINT_V07: &str = "0x0000000071727De22E5E9d8BAf0edAc6f37da032";
/// The salt that puts EntryPoint v0.7 at its canonical address.
const ENTRY_POINT_SALT: &str = "0x90d8084deab30c2a37c45e8d47f49f2f7965183cb6990a98943ef94940681de3";
/// Salt of the Harbor contracts (version 1).
const HARBOR_SALT: &str = "0x0000000000000000000000000000000000000000000000000000000000000001";
/// anvil's first dev key (public knowledge; dev chains only): deploys, owns the paymaster.
pub const DEV_DEPLOYER_KEY: &str =
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
/// anvil's tenth dev key (public knowledge; dev chains only): the paymaster's sponsor signer.
pub const DEV_SPONSOR_KEY: &str =
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6";
/// The address of [`DEV_SPONSOR_KEY`].
pub const DEV_SPONSOR_ADDRESS: &str = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720";
/// Anvil's 9th key: the paymaster relay's relayer (sends bundle transactions) on dev chains.
pub const DEV_RELAYER_KEY: &str =
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97";
/// Anvil's 8th key: the executor of the independent bundler (Alto) in interop tests.
pub const DEV_BUNDLER_KEY: &str =
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356";
/// Anvil's 7th key: the utility key of the independent bundler (Alto) in interop tests.
pub const DEV_BUNDLER_UTILITY_KEY: &str =
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e";
/// The address of [`DEV_DEPLOYER_KEY`].
pub const DEV_DEPLOYER_ADDRESS: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

/// Why a dev chain could not be started.
#[derive(Debug, thiserror::Error)]
pub enum DevnetError {
    /// A tool is missing.
    #[error("{0} is not installed; run `cargo xtask setup`")]
    MissingTool(PathBuf),
    /// A process could not be started or failed.
    #[error("{command} failed: {message}")]
    Command {
        /// What was run.
        command: String,
        /// Its error output.
        message: String,
    },
    /// anvil did not answer in time.
    #[error("anvil did not start on {0} within 30 s")]
    Timeout(String),
    /// A contract did not land where it should.
    #[error("{name} was not deployed at {address}")]
    NotDeployed {
        /// The contract.
        name: &'static str,
        /// Where it should be.
        address: String,
    },
    /// The current directory is not inside a Harbor checkout.
    #[error("not inside a Harbor checkout: run this from the repository (or a folder in it)")]
    NoCheckout,
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// Where everything of one dev chain is; read by tests, the paymaster relay and the apps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// JSON-RPC URL of anvil.
    pub rpc_url: String,
    /// The deterministic deployer used.
    pub deterministic_deployer: String,
    /// EntryPoint v0.7.
    pub entry_point: String,
    /// HarborAccount implementation.
    pub account_implementation: String,
    /// HarborAccountFactory.
    pub account_factory: String,
    /// HarborPaymaster.
    pub paymaster: String,
    /// Owner of the paymaster (dev key).
    pub paymaster_owner: String,
    /// Trusted sponsor signer of the paymaster (dev key).
    pub paymaster_signer: String,
    /// A 6-decimal ERC-20 anyone may mint (dev chains only).
    pub dev_token: String,
}

/// A running dev chain; stopped when dropped.
#[derive(Debug)]
pub struct Devnet {
    anvil: Option<Child>,
    manifest: Manifest,
}

/// The Foundry binary `name`: the platform package's executable itself (the `.bin` entry is a
/// Node wrapper, and killing the wrapper would leave the real process running).
fn tool(name: &str) -> Result<PathBuf, DevnetError> {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        "windows" => "win32",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    let exe = if os == "win32" {
        format!("{name}.exe")
    } else {
        name.to_owned()
    };
    let native = repo_root()?
        .join("tools/node_modules/@foundry-rs")
        .join(format!("{name}-{os}-{arch}"))
        .join("bin")
        .join(exe);
    if native.exists() {
        return Ok(native);
    }
    let path = repo_root()?.join("tools/node_modules/.bin").join(name);
    if path.exists() {
        Ok(path)
    } else {
        Err(DevnetError::MissingTool(path))
    }
}

/// Gives `to` (a hex address) `eth_wei` wei of ETH and `token_units` base units of the dev token
/// on the dev chain described by `manifest` (for trying the wallet out; dev chains only).
pub fn fund(
    manifest: &Manifest,
    to: &str,
    eth_wei: &str,
    token_units: &str,
) -> Result<(), DevnetError> {
    cast(&[
        "rpc",
        "--rpc-url",
        &manifest.rpc_url,
        "anvil_setBalance",
        to,
        eth_wei,
    ])?;
    cast(&[
        "send",
        "--rpc-url",
        &manifest.rpc_url,
        "--private-key",
        DEV_DEPLOYER_KEY,
        &manifest.dev_token,
        "mint(address,uint256)",
        to,
        token_units,
    ])
    .map(drop)
}

/// A TCP port on 127.0.0.1 that is free right now.
pub fn free_port() -> Result<u16, DevnetError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| DevnetError::Command {
        command: "bind 127.0.0.1:0".into(),
        message: e.to_string(),
    })?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| DevnetError::Command {
            command: "local_addr".into(),
            message: e.to_string(),
        })
}

fn cast(args: &[&str]) -> Result<String, DevnetError> {
    let output = Command::new(tool("cast")?)
        .args(args)
        .output()
        .map_err(|e| DevnetError::Command {
            command: format!("cast {}", args.first().unwrap_or(&"")),
            message: e.to_string(),
        })?;
    if !output.status.success() {
        return Err(DevnetError::Command {
            command: format!("cast {}", args.first().unwrap_or(&"")),
            message: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn read_json(path: &Path) -> Result<serde_json::Value, DevnetError> {
    let io = |message: String| DevnetError::Io {
        path: path.to_owned(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| io(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| io(e.to_string()))
}

fn bytecode(path: &Path) -> Result<String, DevnetError> {
    let json = read_json(path)?;
    json["bytecode"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| DevnetError::Io {
            path: path.to_owned(),
            message: "no bytecode".into(),
        })
}

/// Deploys `init_code` through the deterministic deployer; returns the address (idempotent).
fn deploy(
    rpc: &str,
    name: &'static str,
    salt: &str,
    init_code: &str,
) -> Result<String, DevnetError> {
    let data = format!("{salt}{}", init_code.trim_start_matches("0x"));
    let returned = cast(&["call", "--rpc-url", rpc, DETERMINISTIC_DEPLOYER, &data])?;
    let address = format!("0x{}", returned.trim_start_matches("0x"));
    let code = cast(&["code", "--rpc-url", rpc, &address])?;
    if code == "0x" {
        cast(&[
            "send",
            "--rpc-url",
            rpc,
            "--private-key",
            DEV_DEPLOYER_KEY,
            DETERMINISTIC_DEPLOYER,
            &data,
        ])?;
    }
    if cast(&["code", "--rpc-url", rpc, &address])? == "0x" {
        return Err(DevnetError::NotDeployed { name, address });
    }
    cast(&["to-check-sum-address", &address])
}

impl Devnet {
    /// Starts anvil with `chain_id` on `port` (0 picks a free one) and deploys everything.
    pub fn start(chain_id: u64, port: u16) -> Result<Self, DevnetError> {
        let mut devnet = Self::bare(chain_id, port)?;
        devnet.deploy_all()?;
        Ok(devnet)
    }

    /// Starts anvil alone, as a fresh chain is: only the deterministic deployer is there (the
    /// manifest names no contract).
    pub fn bare(chain_id: u64, port: u16) -> Result<Self, DevnetError> {
        let port = if port == 0 { free_port()? } else { port };
        let rpc_url = format!("http://127.0.0.1:{port}");
        let anvil = Command::new(tool("anvil")?)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--chain-id",
                &chain_id.to_string(),
                "--hardfork",
                "osaka",
                "--silent",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| DevnetError::Command {
                command: "anvil".into(),
                message: e.to_string(),
            })?;
        let mut devnet = Devnet {
            anvil: Some(anvil),
            manifest: Manifest {
                chain_id,
                rpc_url: rpc_url.clone(),
                deterministic_deployer: DETERMINISTIC_DEPLOYER.into(),
                entry_point: String::new(),
                account_implementation: String::new(),
                account_factory: String::new(),
                paymaster: String::new(),
                paymaster_owner: DEV_DEPLOYER_ADDRESS.into(),
                paymaster_signer: DEV_SPONSOR_ADDRESS.into(),
                dev_token: String::new(),
            },
        };
        devnet.wait_ready()?;
        Ok(devnet)
    }

    fn wait_ready(&mut self) -> Result<(), DevnetError> {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if cast(&["chain-id", "--rpc-url", &self.manifest.rpc_url]).is_ok() {
                return Ok(());
            }
            if let Some(Ok(Some(status))) = self.anvil.as_mut().map(Child::try_wait) {
                return Err(DevnetError::Command {
                    command: "anvil".into(),
                    message: format!("exited with {status}"),
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(DevnetError::Timeout(self.manifest.rpc_url.clone()))
    }

    fn deploy_all(&mut self) -> Result<(), DevnetError> {
        let root = repo_root()?;
        let rpc = self.manifest.rpc_url.clone();
        let entry_point_code = bytecode(&root.join(
            "contracts/node_modules/@account-abstraction/contracts/artifacts/EntryPoint.json",
        ))?;
        let entry_point = deploy(&rpc, "EntryPoint", ENTRY_POINT_SALT, &entry_point_code)?;
        if !entry_point.eq_ignore_ascii_case(ENTRY_POINT_V07) {
            return Err(DevnetError::NotDeployed {
                name: "EntryPoint",
                address: ENTRY_POINT_V07.into(),
            });
        }
        let artifacts = root.join("contracts/artifacts");
        let with_args =
            |code: String, signature: &str, args: &[&str]| -> Result<String, DevnetError> {
                let mut cast_args = vec!["abi-encode", signature];
                cast_args.extend_from_slice(args);
                Ok(format!(
                    "{code}{}",
                    cast(&cast_args)?.trim_start_matches("0x")
                ))
            };
        let implementation = deploy(
            &rpc,
            "HarborAccount",
            HARBOR_SALT,
            &with_args(
                bytecode(&artifacts.join("HarborAccount.json"))?,
                "f(address)",
                &[&entry_point],
            )?,
        )?;
        let factory = deploy(
            &rpc,
            "HarborAccountFactory",
            HARBOR_SALT,
            &with_args(
                bytecode(&artifacts.join("HarborAccountFactory.json"))?,
                "f(address)",
                &[&implementation],
            )?,
        )?;
        let signers = format!("[{DEV_SPONSOR_ADDRESS}]");
        let paymaster = deploy(
            &rpc,
            "HarborPaymaster",
            HARBOR_SALT,
            &with_args(
                bytecode(&artifacts.join("HarborPaymaster.json"))?,
                "f(address,address,address[])",
                &[&entry_point, DEV_DEPLOYER_ADDRESS, &signers],
            )?,
        )?;
        let dev_token = deploy(
            &rpc,
            "DevToken",
            HARBOR_SALT,
            &bytecode(&artifacts.join("DevToken.json"))?,
        )?;
        let send = |args: &[&str]| -> Result<String, DevnetError> {
            let mut all = vec![
                "send",
                "--rpc-url",
                rpc.as_str(),
                "--private-key",
                DEV_DEPLOYER_KEY,
            ];
            all.extend_from_slice(args);
            cast(&all)
        };
        send(&[&paymaster, "deposit()", "--value", "100ether"])?;
        send(&[&paymaster, "addStake(uint32)", "86400", "--value", "1ether"])?;
        self.manifest.entry_point = entry_point;
        self.manifest.account_implementation = implementation;
        self.manifest.account_factory = factory;
        self.manifest.paymaster = paymaster;
        self.manifest.dev_token = dev_token;
        Ok(())
    }

    /// Mints `amount` base units of the dev token to `to` (a hex address) and waits for it.
    pub fn mint_dev_token(&self, to: &str, amount: &str) -> Result<(), DevnetError> {
        cast(&[
            "send",
            "--rpc-url",
            &self.manifest.rpc_url,
            "--private-key",
            DEV_DEPLOYER_KEY,
            &self.manifest.dev_token,
            "mint(address,uint256)",
            to,
            amount,
        ])
        .map(drop)
    }

    /// Where everything is.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Writes the manifest as JSON to `path`.
    pub fn write_manifest(&self, path: &Path) -> Result<(), DevnetError> {
        let io = |message: String| DevnetError::Io {
            path: path.to_owned(),
            message,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io(e.to_string()))?;
        }
        let text = serde_json::to_string_pretty(&self.manifest).map_err(|e| io(e.to_string()))?;
        std::fs::write(path, text + "\n").map_err(|e| io(e.to_string()))
    }

    /// Leaves anvil running after this value is dropped (for `--detach`); returns its pid.
    pub fn detach(mut self) -> Option<u32> {
        self.anvil.take().map(|child| child.id())
    }

    /// Waits until anvil exits (Ctrl-C reaches it through the terminal's process group).
    pub fn wait(mut self) -> Result<(), DevnetError> {
        if let Some(child) = self.anvil.as_mut() {
            child.wait().map_err(|e| DevnetError::Command {
                command: "anvil".into(),
                message: e.to_string(),
            })?;
        }
        Ok(())
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        if let Some(mut child) = self.anvil.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
