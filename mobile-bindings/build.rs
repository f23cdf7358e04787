//! Link settings of the mobile library.
#![allow(clippy::print_stdout)] // cargo reads build-script directives from stdout

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    // Linux (glibc ≥ 2.36, binutils ≥ 2.38): relative relocations packed as RELR, a bitmap
    // instead of 24 bytes each — the string-slice tables (word lists …) made `.rela.dyn` 1.5 MB.
    // Not for Android (RELR needs API 28; the NDK has its own packing) nor Apple (no ELF).
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,pack-relative-relocs");
        // Identical code folding: rust-lld is the default linker only on x86_64 Linux.
        if std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default() == "x86_64" {
            println!("cargo:rustc-cdylib-link-arg=-Wl,--icf=all");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
