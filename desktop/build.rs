//! Tauri's build step: embeds the configuration and capabilities, checks the UI bundle exists.

fn main() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/dist/index.html");
    println!("cargo:rerun-if-changed={}", dist.display());
    if !dist.exists() {
        println!(
            "cargo::error=the desktop UI is not built ({} is missing): run `cargo xtask desktop` \
             (or `npm ci && npm run build` in ui/) first",
            dist.display()
        );
    }
    tauri_build::build();
}
