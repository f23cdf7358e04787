//! The browser extension in `extension/`: its unit tests and its build (unpacked folders and a
//! zip for Chromium-based browsers and for Firefox).

use std::path::PathBuf;
use std::process::Command;

use crate::{Result, root, run};

fn dir() -> PathBuf {
    root().join("extension")
}

fn npx(args: &[&str]) -> Command {
    let mut command = Command::new("npx");
    command.current_dir(dir()).arg("--no-install").args(args);
    command
}

/// Type check, unit tests (Vitest) and the build.
pub(crate) fn test() -> Result {
    crate::setup::npm_packages(&dir())?;
    run(&mut npx(&["tsc", "--noEmit", "-p", "."]))?;
    run(&mut npx(&["vitest", "run"]))?;
    build()
}

/// Builds `extension/dist/{chromium,firefox}` and their zips.
pub(crate) fn build() -> Result {
    crate::setup::npm_packages(&dir())?;
    run(Command::new("node").current_dir(dir()).arg("build.mjs"))
}
