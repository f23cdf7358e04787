//! xtask acts on the checkout it is run in, even when its binary was built in another clone that
//! shares the target directory (as CI's clones share `~/.cache/harbor/target`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail by panicking.

use std::path::{Path, PathBuf};
use std::process::Command;

fn run(command: &mut Command) -> String {
    let output = command.output().expect("command starts");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

fn clone(source: &Path, to: &Path) {
    run(Command::new("git")
        .args(["clone", "--quiet", "--no-hardlinks"])
        .arg(source)
        .arg(to));
}

/// A target directory kept between runs (outside any clone), so that only xtask rebuilds.
fn shared_target() -> PathBuf {
    let cache = std::env::var_os("HARBOR_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/harbor")))
        .unwrap_or_else(std::env::temp_dir);
    cache.join("checkout-test-target")
}

#[test]
fn a_binary_built_in_one_clone_acts_on_the_clone_it_runs_in() {
    let source = harbor_devnet::repo_root().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    let second = dir.path().join("second");
    // Both clones exist before the first one builds, as when an earlier CI clone is still on disk.
    clone(&source, &first);
    clone(&source, &second);
    std::fs::write(second.join("MARKER"), "second clone").unwrap();
    let target = shared_target();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());

    run(Command::new(&cargo)
        .current_dir(&first)
        .env("CARGO_TARGET_DIR", &target)
        .args(["build", "--quiet", "--locked", "-p", "xtask"]));
    let binary = target.join("debug/xtask");

    // The binary built from the first clone, started in the second clone (and in a folder of it).
    let second = second.canonicalize().unwrap();
    for cwd in [second.clone(), second.join("core/src")] {
        let root = run(Command::new(&binary).current_dir(&cwd).arg("root"));
        assert_eq!(PathBuf::from(&root), second, "run from {}", cwd.display());
        assert!(Path::new(&root).join("MARKER").exists());
    }
    // Through cargo, as `.ci/run` does, with the same target directory.
    let root = run(Command::new(&cargo)
        .current_dir(&second)
        .env("CARGO_TARGET_DIR", &target)
        .args(["xtask", "root"]));
    assert_eq!(PathBuf::from(root), second);

    // Outside any checkout it refuses instead of guessing.
    let output = Command::new(&binary)
        .current_dir(dir.path())
        .env_remove("CARGO_MANIFEST_DIR")
        .arg("root")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not inside a Harbor checkout"));
}
