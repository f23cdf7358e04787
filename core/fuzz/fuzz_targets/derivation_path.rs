#![no_main]
//! Any text: path parsing never panics, and an accepted path prints back to an equal path.

use harbor_core::keys::DerivationPath;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(path) = text.parse::<DerivationPath>() {
        assert_eq!(path.to_string().parse::<DerivationPath>().unwrap(), path);
    }
});
