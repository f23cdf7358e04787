//! Starts real dev chains and checks the deterministic deployment.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail by panicking.

use harbor_devnet::{Devnet, ENTRY_POINT_V07};

#[test]
fn two_chains_get_the_same_addresses() {
    let a = Devnet::start(31337, 0).unwrap();
    let b = Devnet::start(8453, 0).unwrap();
    let (ma, mb) = (a.manifest(), b.manifest());
    assert_eq!(
        ma.entry_point.to_lowercase(),
        ENTRY_POINT_V07.to_lowercase()
    );
    assert_ne!(ma.rpc_url, mb.rpc_url);
    assert_eq!(mb.chain_id, 8453);
    // One account address on every chain: the whole deployment is deterministic.
    assert_eq!(ma.account_implementation, mb.account_implementation);
    assert_eq!(ma.account_factory, mb.account_factory);
    assert_eq!(ma.paymaster, mb.paymaster);

    let dir = tempfile_dir();
    let path = dir.join("manifest.json");
    a.write_manifest(&path).unwrap();
    let read: harbor_devnet::Manifest =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(&read, ma);
    let _ = std::fs::remove_dir_all(dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("harbor-devnet-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
