#![no_main]
//! Any JSON a dApp might send: parsing and hashing typed data never panic.

use harbor_core::evm::{parse_typed_data, typed_data_hash};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(data) = parse_typed_data(text) {
        let _ = typed_data_hash(&data);
    }
});
