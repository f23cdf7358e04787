//! The Foundry project in `contracts/`: build, test, coverage gate, gas snapshot, artifacts.

use std::path::PathBuf;
use std::process::Command;

use crate::{Result, root, run};

/// Harbor's production contracts, held to the coverage gate.
const GATED: &[&str] = &[
    "HarborAccount",
    "HarborAccountFactory",
    "HarborPaymaster",
    "OwnerSignature",
];
/// Contracts whose ABI and creation bytecode the Rust side uses (the proxy's creation code gives
/// the counterfactual account address; the dev tokens are deployed on dev chains only; the
/// attacker accounts only in the relay's attack tests).
const ARTIFACTS: &[&str] = &[
    "HarborAccount",
    "HarborAccountFactory",
    "HarborPaymaster",
    "ERC1967Proxy",
    "DevToken",
    "DevCollectible",
    "DevItems",
    "ChainStateAccount",
    "LookAlikeAccount",
];
/// Minimum line coverage of every Harbor contract.
const MIN_LINE_COVERAGE: f64 = 95.0;

fn contracts_dir() -> PathBuf {
    root().join("contracts")
}

/// `forge` from the pinned npm package, run in `contracts/`.
pub(crate) fn forge() -> Command {
    let mut command = Command::new(root().join("tools/node_modules/.bin/forge"));
    command.current_dir(contracts_dir());
    command
}

/// The committed artifact of `name`: `{ "abi": …, "bytecode": "0x…" }`.
fn artifact_json(name: &str) -> Result<String> {
    let path = contracts_dir().join(format!("out/{name}.sol/{name}.json"));
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let compiled: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let artifact = serde_json::json!({
        "contractName": name,
        "abi": compiled["abi"],
        "bytecode": compiled["bytecode"]["object"],
    });
    serde_json::to_string_pretty(&artifact)
        .map(|s| s + "\n")
        .map_err(|e| e.to_string())
}

/// The EntryPoint v0.7 creation code from the pinned npm package, as `deploy` needs it on chains
/// that lack the EntryPoint (it lands at its canonical address through the deterministic
/// deployer).
fn entry_point_artifact() -> Result<String> {
    let path = contracts_dir()
        .join("node_modules/@account-abstraction/contracts/artifacts/EntryPoint.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let npm: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let artifact = serde_json::json!({
        "contractName": "EntryPoint",
        "source": "@account-abstraction/contracts 0.7.0 (npm), artifacts/EntryPoint.json",
        "bytecode": npm["bytecode"],
    });
    serde_json::to_string_pretty(&artifact)
        .map(|s| s + "\n")
        .map_err(|e| e.to_string())
}

fn artifact_path(name: &str) -> PathBuf {
    contracts_dir().join(format!("artifacts/{name}.json"))
}

/// Compiles and writes `contracts/artifacts/*.json` (`check`: fail if they differ instead).
pub(crate) fn artifacts(check: bool) -> Result {
    run(forge().args(["build", "--skip", "test"]))?;
    std::fs::create_dir_all(contracts_dir().join("artifacts")).map_err(|e| e.to_string())?;
    for name in ARTIFACTS.iter().chain(&["EntryPoint"]) {
        let fresh = if *name == "EntryPoint" {
            entry_point_artifact()?
        } else {
            artifact_json(name)?
        };
        let path = artifact_path(name);
        if check {
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            if committed != fresh {
                return Err(format!(
                    "{} does not match a fresh compile; run `cargo xtask artifacts` and commit it",
                    path.display()
                ));
            }
        } else {
            std::fs::write(&path, fresh).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}

/// forge fmt check, tests, gas snapshot check, coverage gate and artifact check.
pub(crate) fn test() -> Result {
    run(forge().args(["fmt", "--check"]))?;
    run(forge().args(["test"]))?;
    // Chains without the P256VERIFY precompile: P-256 owners through the Solidity verifier.
    run(forge()
        .args([
            "test",
            "--evm-version",
            "cancun",
            "--match-test",
            "WithAndWithout",
        ])
        .env("HARBOR_EXPECT_P256", "false"))?;
    run(forge().args(["snapshot", "--check"]))?;
    coverage()?;
    artifacts(true)
}

fn coverage() -> Result {
    eprintln!("xtask: $ forge coverage --report summary (gate: {MIN_LINE_COVERAGE} % of lines)");
    let output = forge()
        .args([
            "coverage",
            // Without the optimizer, OpenZeppelin's P256 assembly is too deep for the legacy
            // pipeline: coverage compiles through the IR with minimal optimization.
            "--ir-minimum",
            "--report",
            "summary",
            "--no-match-coverage",
            "^test/",
        ])
        .output()
        .map_err(|e| format!("cannot run forge coverage: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "forge coverage failed:\n{text}{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    for name in GATED {
        let line = text
            .lines()
            .find(|l| l.contains(&format!("src/{name}.sol")))
            .ok_or_else(|| format!("no coverage line for {name}"))?;
        let percent: f64 = line
            .split('|')
            .nth(2)
            .and_then(|cell| cell.trim().split('%').next())
            .and_then(|p| p.trim().parse().ok())
            .ok_or_else(|| format!("cannot read coverage from {line:?}"))?;
        eprintln!("xtask: {name}: {percent:.2} % of lines covered");
        if percent < MIN_LINE_COVERAGE {
            return Err(format!(
                "{name} has {percent:.2} % line coverage; the gate is {MIN_LINE_COVERAGE} %"
            ));
        }
    }
    Ok(())
}
