//! `cargo xtask bench`: runs the criterion benchmarks and prints ratios measured in one run.

use std::path::Path;

use crate::{Result, cargo, run, target_dir};

/// Ratios worth reporting: (what, numerator benchmark, denominator benchmark).
const RATIOS: &[(&str, &str, &str)] = &[
    (
        "sign: harbor (k256) / libsecp256k1",
        "sign/harbor",
        "sign/libsecp256k1",
    ),
    (
        "verify: harbor (recover + compare) / libsecp256k1 verify",
        "verify/harbor",
        "verify/libsecp256k1",
    ),
    (
        "recover to address: harbor / libsecp256k1",
        "recover/harbor",
        "recover/libsecp256k1",
    ),
    (
        "EIP-1559 build+hash+sign+encode / one raw sign",
        "eip1559/build_hash_sign_encode",
        "eip1559/raw_sign",
    ),
    (
        "EIP-712 hash from dApp JSON / static sol! struct",
        "eip712/from_json",
        "eip712/static_sol_struct",
    ),
    (
        "vault unlock default / light preset",
        "vault_unlock/default_64MiB_t3_p4",
        "vault_unlock/light_19MiB_t2_p1",
    ),
];

/// Median time in nanoseconds of one benchmark of the last run.
fn median_ns(criterion: &Path, id: &str) -> Option<f64> {
    let text = std::fs::read_to_string(criterion.join(id).join("new/estimates.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["median"]["point_estimate"].as_f64()
}

fn human(ns: f64) -> String {
    match ns {
        n if n >= 1e6 => format!("{:.2} ms", n / 1e6),
        n if n >= 1e3 => format!("{:.2} µs", n / 1e3),
        n => format!("{n:.0} ns"),
    }
}

pub(crate) fn bench() -> Result {
    let criterion = target_dir().join("criterion");
    let _ = std::fs::remove_dir_all(&criterion);
    run(cargo().args([
        "bench",
        "-p",
        "harbor-core",
        "--bench",
        "core",
        "--",
        "--warm-up-time",
        "1",
        "--measurement-time",
        "4",
    ]))?;
    println!("\nMedians of this run:");
    let mut ids: Vec<String> = Vec::new();
    for group in std::fs::read_dir(&criterion)
        .map_err(|e| e.to_string())?
        .flatten()
    {
        for function in std::fs::read_dir(group.path())
            .map_err(|e| e.to_string())?
            .flatten()
        {
            if function.path().join("new").exists() {
                ids.push(format!(
                    "{}/{}",
                    group.file_name().to_string_lossy(),
                    function.file_name().to_string_lossy()
                ));
            }
        }
    }
    ids.sort();
    for id in &ids {
        if let Some(ns) = median_ns(&criterion, id) {
            println!("  {id:<40} {}", human(ns));
        }
    }
    println!("\nRatios (same run):");
    for (what, numerator, denominator) in RATIOS {
        match (
            median_ns(&criterion, numerator),
            median_ns(&criterion, denominator),
        ) {
            (Some(a), Some(b)) if b > 0.0 => println!("  {what:<58} {:.2}×", a / b),
            _ => println!("  {what:<58} (missing)"),
        }
    }
    println!();
    // The relay's load benchmark prints its own figures and ratio.
    run(cargo().args(["bench", "-p", "harbor-paymaster", "--bench", "relay"]))?;
    mobile()
}

/// The mobile library's size (stripped `mobile` profile cdylib, the x86_64 Linux proxy for a
/// phone ABI) and the FFI overhead seen from Python and Kotlin: a no-op call vs signing.
fn mobile() -> Result {
    let library = crate::bindings::build_library("mobile")?;
    let size = std::fs::metadata(&library)
        .map_err(|e| format!("{}: {e}", library.display()))?
        .len();
    println!(
        "\nMobile library (profile mobile, stripped): {:.2} MB ({size} bytes); goal <= 6 MB",
        size as f64 / 1_000_000.0
    );
    let generated = crate::bindings::bindings()?;
    run(
        std::process::Command::new(crate::root().join("tools/.venv/bin/python"))
            .env("PYTHONPATH", &generated.python)
            .arg(crate::root().join("mobile-bindings/python/bench_ffi.py")),
    )?;
    crate::bindings::kotlin_bench()
}
