//! `uniffi-bindgen`, the exact UniFFI version harbor-mobile is built with.

fn main() {
    uniffi::uniffi_bindgen_main()
}
