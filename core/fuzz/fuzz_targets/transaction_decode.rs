#![no_main]
//! Any bytes: decoding a raw transaction never panics; an accepted one has a consistent hash.

use harbor_core::evm::decode_transaction;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(decoded) = decode_transaction(bytes) {
        assert_eq!(*decoded.envelope.tx_hash(), harbor_core::keccak256(bytes));
    }
});

