#![no_main]
//! Any file contents: opening (and trying to unlock) a vault file reports an error, never panics.

use harbor_core::vault::Vault;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fuzz.harbor");
    std::fs::write(&path, bytes).unwrap();
    if let Ok(mut vault) = Vault::open(&path) {
        let _ = vault.wallets();
        let _ = vault.unlock("fuzzing password");
    }
});
