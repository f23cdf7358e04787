//! The `harbor-paymaster` command.
#![allow(clippy::print_stdout)] // `deploy` prints its manifest.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use alloy_primitives::{Address, U256};
use clap::{Parser, Subcommand};
use harbor_paymaster::config::KeySource;
use harbor_paymaster::deploy::{DeployOptions, Deployment, deploy};
use harbor_paymaster::keys::load_key;
use harbor_paymaster::{Config, Relay, server};

/// Harbor's gas sponsorship relay (ERC-7677 paymaster service and ERC-7769 bundler).
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The TOML configuration file.
    #[arg(
        long,
        short,
        env = "HARBOR_PAYMASTER_CONFIG",
        default_value = "harbor-paymaster.toml",
        global = true
    )]
    config: PathBuf,
    /// Log as JSON lines (for log collectors).
    #[arg(long, env = "HARBOR_PAYMASTER_JSON_LOGS")]
    json_logs: bool,
    /// What to do (default: serve).
    #[command(subcommand)]
    command: Option<Command>,
}

/// The relay's commands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the relay (the default).
    Serve,
    /// Ready a chain for Harbor: deploy what it lacks (EntryPoint v0.7, the Harbor account
    /// implementation, factory and paymaster), top up the paymaster's deposit and stake, check
    /// every address, print the manifest (JSON). Safe to run again.
    Deploy(DeployArgs),
    /// Ask the running relay's admin API (`[admin]` in the configuration); JSON on stdout.
    #[command(subcommand)]
    Admin(AdminCommand),
}

/// `harbor-paymaster admin …`.
#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Spend per app, chain and day (settled, reserved, released).
    Spend {
        /// Only this app.
        #[arg(long)]
        app: Option<String>,
        /// Only this chain.
        #[arg(long)]
        chain: Option<u64>,
        /// Days back, today included.
        #[arg(long, default_value_t = 7)]
        days: u64,
        /// One line per account too.
        #[arg(long)]
        by_sender: bool,
    },
    /// Sponsorships signed and not used yet, newest first.
    Reservations {
        /// Only this app.
        #[arg(long)]
        app: Option<String>,
        /// Only this chain.
        #[arg(long)]
        chain: Option<u64>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Make an app (its first API key is printed once).
    CreateApp {
        /// Its name (letters, digits, '-', '_', '.').
        name: String,
    },
    /// Make another API key for an app (printed once): rotate by revoking the old one after.
    CreateKey {
        /// The app.
        app: String,
    },
    /// Revoke an API key by its id (`admin apps` lists them).
    RevokeKey {
        /// The app.
        app: String,
        /// The key's id.
        id: String,
    },
    /// Set an app's policy on a chain from a TOML or JSON file of its fields (overrides the
    /// configuration file's).
    SetPolicy {
        /// The app.
        app: String,
        /// The chain.
        #[arg(long)]
        chain: u64,
        /// The policy's fields (`.toml` or `.json`).
        file: PathBuf,
    },
    /// Stop sponsoring an app on a chain (its policy is kept for `enable-policy`).
    DisablePolicy {
        /// The app.
        app: String,
        /// The chain.
        #[arg(long)]
        chain: u64,
    },
    /// Sponsor an app on a chain again.
    EnablePolicy {
        /// The app.
        app: String,
        /// The chain.
        #[arg(long)]
        chain: u64,
    },
    /// The latest changes: who changed what, when.
    Audit {
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// The apps and their policies (API keys as fingerprints).
    Apps,
}

/// `harbor-paymaster deploy`.
#[derive(Debug, clap::Args)]
struct DeployArgs {
    /// The chain's JSON-RPC URL.
    #[arg(long)]
    rpc: String,
    /// Where the key that pays for the deployment comes from: env:NAME, file:PATH or
    /// keyring:SERVICE/USER.
    #[arg(long, default_value = "env:HARBOR_DEPLOYER_KEY")]
    deployer_key: KeySource,
    /// Who owns the paymaster (adds and removes signers, withdraws). Default: the deployer.
    #[arg(long)]
    owner: Option<Address>,
    /// A sponsorship signer the paymaster trusts (repeat for several). Default: the address of
    /// the relay's `signer_key` from the configuration file.
    #[arg(long = "signer")]
    signers: Vec<Address>,
    /// Keep at least this much ETH deposited for the paymaster in the EntryPoint.
    #[arg(long, default_value = "0.1")]
    deposit: String,
    /// Keep at least this much ETH staked for the paymaster (0: no stake).
    #[arg(long, default_value = "0.1")]
    stake: String,
    /// The stake's unstake delay in seconds (bundlers count a stake from one day).
    #[arg(long, default_value_t = 86_400)]
    unstake_delay: u32,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    if args.json_logs {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .init();
    } else if matches!(args.command, Some(Command::Deploy(_))) {
        // stdout carries the manifest.
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(%error, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    match args.command {
        Some(Command::Deploy(deploy_args)) => {
            runtime.block_on(run_deploy(&args.config, deploy_args))
        }
        Some(Command::Admin(what)) => runtime.block_on(run_admin(&args.config, what)),
        Some(Command::Serve) | None => serve(&args.config, &runtime),
    }
}

/// SIGTERM or Ctrl-C.
async fn stop_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            let _ = interrupt.await;
            return;
        };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

fn serve(config: &std::path::Path, runtime: &tokio::runtime::Runtime) -> ExitCode {
    let config = match Config::load(config) {
        Ok(config) => config,
        Err(error) => {
            tracing::error!(%error, "cannot start");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        let relay = Arc::new(Relay::new(config)?);
        tokio::select! {
            served = server::serve(relay.clone()) => served,
            () = stop_signal() => {
                // Another instance takes the chains over at once instead of after the lease.
                relay.release_leases();
                tracing::info!("stopped");
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "stopped");
            ExitCode::FAILURE
        }
    }
}

async fn run_admin(config: &std::path::Path, what: AdminCommand) -> ExitCode {
    let config = match Config::load(config) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("harbor-paymaster admin: {error}");
            return ExitCode::from(2);
        }
    };
    let mut query: Vec<(&str, String)> = Vec::new();
    let mut method = reqwest::Method::GET;
    let mut body = None;
    let path = match what {
        AdminCommand::Spend {
            app,
            chain,
            days,
            by_sender,
        } => {
            query.extend(app.map(|a| ("app", a)));
            query.extend(chain.map(|c| ("chain", c.to_string())));
            query.push(("days", days.to_string()));
            if by_sender {
                query.push(("by", "sender".into()));
            }
            "/admin/spend".into()
        }
        AdminCommand::Reservations { app, chain, limit } => {
            query.extend(app.map(|a| ("app", a)));
            query.extend(chain.map(|c| ("chain", c.to_string())));
            query.push(("limit", limit.to_string()));
            "/admin/reservations".into()
        }
        AdminCommand::Apps => "/admin/apps".into(),
        AdminCommand::CreateApp { name } => {
            method = reqwest::Method::POST;
            body = Some(serde_json::json!({ "name": name }));
            "/admin/apps".into()
        }
        AdminCommand::CreateKey { app } => {
            method = reqwest::Method::POST;
            format!("/admin/apps/{app}/keys")
        }
        AdminCommand::RevokeKey { app, id } => {
            method = reqwest::Method::DELETE;
            format!("/admin/apps/{app}/keys/{id}")
        }
        AdminCommand::SetPolicy { app, chain, file } => {
            let text = match std::fs::read_to_string(&file) {
                Ok(text) => text,
                Err(error) => {
                    eprintln!("harbor-paymaster admin: {}: {error}", file.display());
                    return ExitCode::from(2);
                }
            };
            let parsed: Result<serde_json::Value, String> =
                if file.extension().is_some_and(|e| e == "json") {
                    serde_json::from_str(&text).map_err(|e| e.to_string())
                } else {
                    toml::from_str(&text).map_err(|e| e.to_string())
                };
            match parsed {
                Ok(policy) => body = Some(policy),
                Err(error) => {
                    eprintln!("harbor-paymaster admin: {}: {error}", file.display());
                    return ExitCode::from(2);
                }
            }
            method = reqwest::Method::PUT;
            format!("/admin/apps/{app}/policies/{chain}")
        }
        AdminCommand::DisablePolicy { app, chain } => {
            method = reqwest::Method::POST;
            format!("/admin/apps/{app}/policies/{chain}/disable")
        }
        AdminCommand::EnablePolicy { app, chain } => {
            method = reqwest::Method::POST;
            format!("/admin/apps/{app}/policies/{chain}/enable")
        }
        AdminCommand::Audit { limit } => {
            query.push(("limit", limit.to_string()));
            "/admin/audit".into()
        }
    };
    match harbor_paymaster::admin::call(&config, method, &path, &query, body).await {
        Ok(answer) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&answer).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("harbor-paymaster admin: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Says `message` on stderr and fails with exit code 2 (bad input).
fn refuse(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("harbor-paymaster deploy: {message}");
    ExitCode::from(2)
}

async fn run_deploy(config: &std::path::Path, args: DeployArgs) -> ExitCode {
    harbor_core::rpc::install_tls_provider();
    let ether = |text: &str, what: &str| {
        harbor_core::tokens::parse_amount(text, 18)
            .map_err(|e| format!("--{what} {text:?} is not an amount of ETH: {e}"))
    };
    let (deposit, stake): (U256, U256) =
        match (ether(&args.deposit, "deposit"), ether(&args.stake, "stake")) {
            (Ok(d), Ok(s)) => (d, s),
            (Err(e), _) | (_, Err(e)) => return refuse(e),
        };
    let deployer = match load_key(&args.deployer_key, "deployer") {
        Ok(key) => key,
        Err(e) => return refuse(e),
    };
    let signers = if args.signers.is_empty() {
        let signer = Config::load(config)
            .map_err(|e| e.to_string())
            .and_then(|c| load_key(&c.signer_key, "signer").map_err(|e| e.to_string()));
        match signer {
            Ok(key) => vec![harbor_core::keys::Signer::address(&key)],
            Err(e) => {
                return refuse(format!(
                    "no --signer given and the relay's signer is unknown ({e})"
                ));
            }
        }
    } else {
        args.signers
    };
    let node = match harbor_core::rpc::NodeClient::new(&args.rpc) {
        Ok(node) => node,
        Err(e) => return refuse(format!("--rpc {}: {e}", args.rpc)),
    };
    let options = DeployOptions {
        owner: args.owner,
        signers,
        deposit,
        stake,
        unstake_delay: args.unstake_delay,
    };
    match deploy(&node, &deployer, &options, |step| eprintln!("{step}")).await {
        Ok(deployment) => {
            print_manifest(&deployment, &args.rpc);
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("harbor-paymaster deploy: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The manifest on stdout (JSON) and the relay's configuration block on stderr.
fn print_manifest(deployment: &Deployment, rpc: &str) {
    match serde_json::to_string_pretty(deployment) {
        Ok(json) => println!("{json}"),
        Err(e) => eprintln!("harbor-paymaster deploy: cannot print the manifest: {e}"),
    }
    eprintln!(
        "\nchain {} is ready. In harbor-paymaster.toml:\n\n[[chains]]\nchain_id = {}\nrpc_url = \"{rpc}\"\npaymaster = \"{}\"",
        deployment.chain_id, deployment.chain_id, deployment.paymaster
    );
}
