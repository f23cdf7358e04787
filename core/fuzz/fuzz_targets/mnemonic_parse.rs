#![no_main]
//! Any text: parsing never panics, and an accepted phrase round-trips to the same entropy.

use harbor_core::keys::Mnemonic;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(mnemonic) = Mnemonic::parse(text) {
        let again = Mnemonic::parse_in(mnemonic.language(), &mnemonic.phrase()).unwrap();
        assert_eq!(*again.entropy(), *mnemonic.entropy());
    }
});
