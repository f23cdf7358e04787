//! `cargo xtask`: developer tasks (set-up, tests, benchmarks, dev chain, demo).
//!
//! Every external tool is installed by `setup`, pinned: npm packages from `tools/package-lock.json`,
//! Python packages from `tools/requirements.txt`, cargo tools at fixed versions.
#![allow(clippy::print_stdout)] // A command-line tool: printing is its output.

mod bench;
mod bindings;
mod contracts;
mod desktop;
mod devnet;
mod extension;
mod setup;

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::sync::OnceLock;

const USAGE: &str = "\
usage: cargo xtask <task> [options]

tasks:
  demo                a tour of the wallet engine, then a gasless send and a recovery on a dev chain
  setup               install the pinned test tools (npm, PyPI, cargo-fuzz)
  test [--no-fuzz]    setup, fmt check, clippy -D warnings, every test, a short fuzz run
  fuzz [SECONDS]      run every fuzz target for SECONDS each (default 60)
  artifacts [--check] compile the contracts and write (or check) contracts/artifacts
  devnet [--chain-id N]... [--port P] [--relay-port R] [--detach]
                      local anvil chains with the EntryPoint and Harbor contracts deployed
  bench               criterion benchmarks, summarised as ratios measured in the same run
  bindings [--test]   build harbor-mobile and generate its Kotlin, Swift and Python bindings;
                      --test also runs the Python and Kotlin suites (offline + live on a
                      dev chain; Kotlin compiled with the pinned compiler, run on the JVM)
  mobile android|ios  app packages: the JVM jar + POM always, the Android .aar where the NDK
                      exists; the iOS xcframework + Package.swift on macOS with Xcode
  desktop             the desktop app against a local dev chain and relay (started if not running)
  desktop --bindings  regenerate the UI's TypeScript for the app's commands and events
  desktop --test      the UI's component tests (Vitest)
  desktop --e2e       end-to-end tests of the real app (tauri-driver, Xvfb, dev chain)
  desktop --bundle    shipped build and Debian package; size, cold start and memory as
                      ratios to a Tauri hello world built in the same run
  extension           build the browser extension (extension/dist: unpacked folders and zips)
  fund ADDRESS        10 ETH and 1000 dev tokens for ADDRESS on the running dev chain
  root                print the repository root every task works in (found at run time)
";

/// A failed task step, with the message shown to the developer.
type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // The checkout is found from the current directory at run time, never from a path compiled
    // in: CI shares one target directory between clones, so this binary may have been built in
    // another one.
    match harbor_devnet::repo_root() {
        Ok(root) => {
            let _ = ROOT.set(root);
        }
        Err(e) => {
            eprintln!("xtask: {e}");
            return ExitCode::FAILURE;
        }
    }
    let result = match args.first().map(String::as_str) {
        Some("root") => {
            println!("{}", root().display());
            Ok(())
        }
        Some("setup") => setup::setup().map(|_| ()),
        Some("test") => test(&args[1..]),
        Some("fuzz") => {
            let seconds = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(60);
            setup::setup().and_then(|tools| fuzz(&tools, seconds))
        }
        Some("bench") => bench::bench(),
        Some("bindings") => setup::setup().and_then(|_| {
            if args.get(1).is_some_and(|a| a == "--test") {
                bindings::binding_tests()
            } else {
                bindings::bindings().map(|_| ())
            }
        }),
        Some("mobile") => bindings::mobile(&args[1..]),
        Some("devnet") => devnet::devnet(&args[1..]),
        Some("desktop") => setup::setup().and_then(|_| desktop::desktop(&args[1..])),
        Some("fund") => desktop::fund(&args[1..]),
        Some("extension") => setup::setup().and_then(|_| extension::build()),
        Some("artifacts") => setup::setup()
            .and_then(|_| contracts::artifacts(args.get(1).is_some_and(|a| a == "--check"))),
        Some("demo") => {
            run(cargo().args(["run", "--quiet", "-p", "harbor-core", "--example", "demo"]))
                .and_then(|_| setup::setup())
                .and_then(|_| {
                    run(cargo().args([
                        "run",
                        "--quiet",
                        "-p",
                        "harbor-paymaster",
                        "--example",
                        "gasless",
                    ]))
                })
        }
        Some("help" | "--help" | "-h") | None => {
            eprint!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown task {other:?}\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

static ROOT: OnceLock<PathBuf> = OnceLock::new();

/// The repository root, found at start-up from the current directory.
fn root() -> PathBuf {
    ROOT.get().cloned().unwrap_or_default()
}

/// Where downloaded tools and build caches live, outside the clone (`$HARBOR_CACHE` or
/// `~/.cache/harbor`).
fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("HARBOR_CACHE") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    home.join(".cache/harbor")
}

/// Runs a command to completion, failing with its description.
fn run(command: &mut Command) -> Result {
    eprintln!("xtask: $ {}", describe(command));
    let status = command
        .status()
        .map_err(|e| format!("cannot start {}: {e}", describe(command)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", describe(command)))
    }
}

fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|s| s.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The target directory cargo builds into (`CARGO_TARGET_DIR`, else `target/` in the root).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// Builds every library and program of the workspace once, with the one feature set and profile
/// the tests use (whole workspace, all features, `dev`). Later steps (the app, the mobile library
/// and its bindgen, the relay) take their binaries from this build: asking cargo for one package
/// alone would unify features differently and compile much of the tree again.
fn build_workspace() -> Result {
    static BUILT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if BUILT.load(std::sync::atomic::Ordering::Relaxed) {
        return Ok(());
    }
    // The targets and features of `cargo test`: its dev-dependencies' features are unified in,
    // so nextest, the doc tests, the bindings, the relay and the app all reuse this one build.
    run(cargo().args([
        "build",
        "--workspace",
        "--all-features",
        "--lib",
        "--bins",
        "--tests",
        "--examples",
    ]))?;
    BUILT.store(true, std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(root());
    command
}

fn has_program(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn test(args: &[String]) -> Result {
    let fuzz_seconds = if args.iter().any(|a| a == "--no-fuzz") {
        0
    } else {
        5
    };
    eprintln!("xtask: testing the checkout at {}", root().display());
    let tools = setup::setup()?;
    // The desktop crate embeds the built UI, so build it before anything compiles the workspace.
    desktop::prepare()?;
    run(cargo().args(["fmt", "--all", "--check"]))?;
    // One build of the workspace for everything below (clippy checks separately: its lint pass
    // cannot reuse compiled code).
    build_workspace()?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]))?;
    if has_program("cargo-nextest") {
        let profile = if std::env::var_os("CI").is_some() {
            "ci"
        } else {
            "default"
        };
        run(cargo().args([
            "nextest",
            "run",
            "--workspace",
            "--all-features",
            "--profile",
            profile,
        ]))?;
    } else {
        run(cargo().args(["test", "--workspace", "--all-features"]))?;
    }
    run(cargo().args(["test", "--workspace", "--all-features", "--doc"]))?;
    bindings::binding_tests()?;
    // The WebView provider apps inject (plain JavaScript, Node's own test runner).
    run(Command::new("node")
        .current_dir(root().join("mobile-bindings/js"))
        .args(["--test", "test/"]))?;
    desktop::desktop(&["--test".into()])?;
    extension::test()?;
    desktop::desktop(&["--e2e".into()])?;
    contracts::test()?;
    if fuzz_seconds > 0 {
        fuzz(&tools, fuzz_seconds)?;
    }
    eprintln!("xtask: all checks passed");
    Ok(())
}

/// The fuzz targets of `core/fuzz`.
const FUZZ_TARGETS: &[&str] = &[
    "mnemonic_parse",
    "derivation_path",
    "typed_data_json",
    "transaction_decode",
    "vault_file",
    "dapp_request",
];

fn fuzz(tools: &setup::Tools, seconds: u32) -> Result {
    let fuzz_dir = root().join("core/fuzz");
    for target in FUZZ_TARGETS {
        run(Command::new(&tools.cargo_fuzz)
            .current_dir(&fuzz_dir)
            .env("CARGO_TARGET_DIR", cache_dir().join("fuzz-target"))
            .args(["run", "-s", "none", "-O", target, "--"])
            .arg(format!("-max_total_time={seconds}")))?;
    }
    Ok(())
}
