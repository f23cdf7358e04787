//! Tauri's build step: embeds the configuration and capabilities, checks the UI bundle exists.

fn main() {
    // Read at run time: a build script compiled in another clone must not look at that clone.
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default();
    let dist = std::path::Path::new(&manifest_dir).join("../ui/dist/index.html");
    println!("cargo:rerun-if-changed={}", dist.display());
    // The UI is embedded by a macro cargo cannot see into: a new bundle must change this crate's
    // compile inputs, or a rebuilt UI would not reach the binary. Vite names assets by content,
    // so index.html changes with any of them.
    let mut hasher = std::hash::DefaultHasher::new();
    std::hash::Hash::hash(&std::fs::read(&dist).unwrap_or_default(), &mut hasher);
    println!(
        "cargo:rustc-env=HARBOR_UI_BUNDLE={:016x}",
        std::hash::Hasher::finish(&hasher)
    );
    if !dist.exists() {
        println!(
            "cargo::error=the desktop UI is not built ({} is missing): run `cargo xtask desktop` \
             (or `npm ci && npm run build` in ui/) first",
            dist.display()
        );
    }
    tauri_build::build();
}
