//! Installs the pinned external tools the tests use, once per change of their pins.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Result, cache_dir, has_program, root, run};

/// The cargo-fuzz release used for fuzzing (built from crates.io).
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// Paths of the installed tools.
pub(crate) struct Tools {
    /// The `cargo-fuzz` executable.
    pub(crate) cargo_fuzz: PathBuf,
}

/// Installs whatever is missing or out of date and returns where the tools are.
pub(crate) fn setup() -> Result<Tools> {
    for program in ["node", "npm", "python3"] {
        if !has_program(program) {
            return Err(format!("{program} is required but not installed"));
        }
    }
    let tools = root().join("tools");
    npm_packages(&tools)?;
    npm_packages(&root().join("contracts"))?;
    python_packages(&tools)?;
    let cargo_fuzz = cargo_fuzz()?;
    Ok(Tools { cargo_fuzz })
}

/// Whether `stamp` records exactly `content` (the pin file installed last time).
fn up_to_date(stamp: &Path, content: &str) -> bool {
    std::fs::read_to_string(stamp).is_ok_and(|s| s == content)
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn write(path: &Path, content: &str) -> Result {
    std::fs::write(path, content).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

pub(crate) fn npm_packages(dir: &Path) -> Result {
    let lock = read(&dir.join("package-lock.json"))?;
    let stamp = dir.join("node_modules/.harbor-installed");
    if up_to_date(&stamp, &lock) {
        return Ok(());
    }
    run(Command::new("npm").current_dir(dir).args([
        "ci",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
    ]))?;
    write(&stamp, &lock)
}

fn python_packages(tools: &Path) -> Result {
    let requirements = read(&tools.join("requirements.txt"))?;
    let venv = tools.join(".venv");
    let stamp = venv.join(".harbor-installed");
    if up_to_date(&stamp, &requirements) {
        return Ok(());
    }
    run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    run(Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(tools.join("requirements.txt")))?;
    write(&stamp, &requirements)
}

fn cargo_fuzz() -> Result<PathBuf> {
    let install_root = cache_dir().join("tools");
    let binary = install_root.join("bin/cargo-fuzz");
    let version = Command::new(&binary).arg("--version").output().ok();
    let installed = version
        .map(|o| String::from_utf8_lossy(&o.stdout).contains(CARGO_FUZZ_VERSION))
        .unwrap_or(false);
    if !installed {
        run(crate::cargo()
            .args([
                "install",
                "cargo-fuzz",
                "--locked",
                "--version",
                CARGO_FUZZ_VERSION,
                "--root",
            ])
            .arg(&install_root))?;
    }
    Ok(binary)
}
