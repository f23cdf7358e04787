//! A tour of the wallet engine: create an encrypted vault, make a recovery phrase, derive an
//! account, sign a message, typed data and a transaction, and check every signature.
#![allow(clippy::print_stdout)] // An example: printing is the point.

use std::error::Error;

use harbor_core::evm::{
    TransactionRequest, decode_transaction, parse_typed_data, recover_personal_message,
    sign_personal_message, sign_transaction, sign_typed_data,
};
use harbor_core::keys::{Language, Mnemonic, Signer, WordCount};
use harbor_core::recovery::shamir::{SplitOptions, combine_to_mnemonic, share_info};
use harbor_core::vault::{KdfParams, Vault};
use harbor_core::{Address, U256};

fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::temp_dir().join(format!("harbor-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("wallet.harbor");
    let password = "demo password, never use";

    println!(
        "1. Creating an encrypted vault at {} (Argon2id 64 MiB) …",
        path.display()
    );
    let mut vault = Vault::create(&path, password, KdfParams::DEFAULT)?;
    let mnemonic = Mnemonic::generate(Language::English, WordCount::Words12)?;
    let wallet = vault.add_mnemonic_wallet("Everyday", &mnemonic, "")?;
    let account = vault.add_account(&wallet.id, "Savings")?;
    println!("   wallet {:?} with accounts:", wallet.name);
    for a in vault.accounts(&wallet.id)? {
        println!(
            "   - {} {} ({})",
            a.name,
            a.address,
            a.path.unwrap_or_default()
        );
    }

    println!("2. Locking, reopening and unlocking …");
    drop(vault);
    let mut vault = Vault::open(&path)?;
    if let Err(error) = vault.unlock("a wrong guess") {
        println!("   a wrong password is refused: {error}");
    }
    vault.unlock(password)?;
    let signer = vault.signer(&wallet.id, account.index)?;

    println!("3. personal_sign …");
    let message = b"Sign in to example.org";
    let signature = sign_personal_message(&signer, message)?;
    let recovered = recover_personal_message(message, &signature)?;
    println!(
        "   0x{}… recovers {recovered}",
        &harbor_core::Bytes::from(signature.to_vec()).to_string()[2..18]
    );
    assert_eq!(recovered, signer.address());

    println!("4. EIP-712 typed data …");
    let typed = parse_typed_data(&format!(
        r#"{{"types":{{"EIP712Domain":[{{"name":"name","type":"string"}},{{"name":"chainId","type":"uint256"}}],
           "Greeting":[{{"name":"to","type":"address"}},{{"name":"text","type":"string"}}]}},
           "primaryType":"Greeting","domain":{{"name":"Harbor demo","chainId":31337}},
           "message":{{"to":"{}","text":"hello"}}}}"#,
        signer.address()
    ))?;
    let typed_signature = sign_typed_data(&signer, &typed, Some(31337))?;
    println!("   signed, {} bytes", typed_signature.len());

    println!("5. EIP-1559 transaction on the dev chain (31337) …");
    let request = TransactionRequest {
        to: Some(Address::repeat_byte(0x11)),
        value: Some(U256::from(10u64).pow(U256::from(16))),
        chain_id: Some(alloy_u64(31337)),
        nonce: Some(alloy_u64(0)),
        gas: Some(alloy_u64(21_000)),
        max_fee_per_gas: Some(alloy_u128(2_000_000_000)),
        max_priority_fee_per_gas: Some(alloy_u128(1_000_000_000)),
        ..Default::default()
    };
    let signed = sign_transaction(&signer, &request, Some(31337))?;
    let decoded = decode_transaction(&signed.raw)?;
    println!("   hash {} from {}", signed.hash, decoded.from);
    assert_eq!(decoded.from, signer.address());

    println!("6. Paper backup: the phrase split into SLIP-39 shares, any 2 of 3 restore it …");
    let options = SplitOptions::single_group(2, 3);
    let paper = vault.split_into_shares(&wallet.id, password, &options)?;
    println!(
        "   written beside each share: phrase language {}, first address {}",
        paper.language.native_name(),
        paper.first_address
    );
    let shares = &paper.groups;
    for share in &shares[0] {
        let info = share_info(share)?;
        println!(
            "   share {} of group {}: {} words, {} of these shares needed",
            info.member,
            info.group,
            share.split(' ').count(),
            info.member_threshold
        );
    }
    let restored = combine_to_mnemonic(&[&shares[0][2], &shares[0][0]], "", paper.language)?;
    assert_eq!(*restored.phrase(), *mnemonic.phrase());
    let alone = match combine_to_mnemonic(&[&shares[0][1]], "", paper.language) {
        Ok(_) => return Err("one share alone must not restore the phrase".into()),
        Err(e) => e,
    };
    println!("   shares 3 and 1 give back the same phrase; share 2 alone: {alone}");

    std::fs::remove_dir_all(&dir)?;
    println!("Done: every signature verified.");
    Ok(())
}

fn alloy_u64(value: u64) -> alloy_primitives::U64 {
    alloy_primitives::U64::from(value)
}

fn alloy_u128(value: u128) -> alloy_primitives::U128 {
    alloy_primitives::U128::from(value)
}
