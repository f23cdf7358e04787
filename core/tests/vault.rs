//! Vault behaviour through the public API: lifecycle, errors, tamper detection, keyring unlock.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail by panicking.

use std::path::PathBuf;

use harbor_core::keys::{Language, LocalSigner, Mnemonic, Signer};
use harbor_core::vault::{KdfParams, MemoryStore, Vault, VaultError, WalletKind};
use harbor_core::{Address, chains::Chain};

const PASSWORD: &str = "correct horse battery";
const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon \
                       abandon abandon about";
const KEY0: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

fn temp_path() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wallet.harbor");
    (dir, path)
}

fn new_vault() -> (tempfile::TempDir, PathBuf, Vault) {
    let (dir, path) = temp_path();
    let vault = Vault::create(&path, PASSWORD, KdfParams::LIGHT).unwrap();
    (dir, path, vault)
}

fn abandon() -> Mnemonic {
    Mnemonic::parse(ABANDON).unwrap()
}

fn addr(s: &str) -> Address {
    s.parse().unwrap()
}

#[test]
fn create_add_reopen_unlock_sign() {
    let (_dir, path, mut vault) = new_vault();
    assert!(vault.is_unlocked());
    let wallet = vault
        .add_mnemonic_wallet("Savings", &abandon(), "")
        .unwrap();
    assert_eq!(wallet.kind, WalletKind::Mnemonic);
    let second = vault.add_account(&wallet.id, "Travel").unwrap();
    assert_eq!(second.index, 1);
    assert_eq!(second.path.as_deref(), Some("m/44'/60'/0'/0/1"));
    let imported = vault
        .add_private_key_wallet("Old key", &LocalSigner::from_hex(KEY0).unwrap())
        .unwrap();
    drop(vault);

    let mut vault = Vault::open(&path).unwrap();
    assert!(!vault.is_unlocked());
    // Names are readable while locked; addresses (checked against their keys) and keys are not.
    let wallets = vault.wallets().unwrap();
    assert_eq!(
        wallets.iter().map(|w| w.name.as_str()).collect::<Vec<_>>(),
        ["Savings", "Old key"]
    );
    assert_eq!(vault.accounts(&wallet.id).unwrap_err(), VaultError::Locked);
    assert_eq!(vault.signer(&wallet.id, 0).unwrap_err(), VaultError::Locked);
    vault.unlock(PASSWORD).unwrap();
    let accounts = vault.accounts(&wallet.id).unwrap();
    assert_eq!(
        accounts[0].address,
        addr("0x9858EfFD232B4033E47d90003D41EC34EcaEda94")
    );
    assert_eq!(
        accounts[1].address,
        addr("0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0")
    );
    assert_eq!(
        vault.signer(&wallet.id, 1).unwrap().address(),
        addr("0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0")
    );
    assert_eq!(
        vault.signer(&imported.id, 0).unwrap().address(),
        addr("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
    );
    assert!(vault.xpub(&wallet.id).unwrap().starts_with("xpub"));
    assert_eq!(
        vault.xpub(&imported.id).unwrap_err(),
        VaultError::NotAMnemonicWallet
    );
    vault.lock();
    assert_eq!(
        vault.signer(&imported.id, 0).unwrap_err(),
        VaultError::Locked
    );
    vault.integrity_check().unwrap();
}

#[test]
fn passphrase_and_language_survive_storage() {
    let (_dir, _path, mut vault) = new_vault();
    let mnemonic =
        Mnemonic::generate(Language::Japanese, harbor_core::keys::WordCount::Words24).unwrap();
    let wallet = vault
        .add_mnemonic_wallet("JP", &mnemonic, "pässwörd")
        .unwrap();
    let exported = vault.export_mnemonic(&wallet.id, PASSWORD).unwrap();
    assert_eq!(*exported.phrase, *mnemonic.phrase());
    assert_eq!(&*exported.passphrase, "pässwörd");
    let expected = harbor_core::keys::HdRoot::from_seed(&mnemonic.to_seed("pässwörd"))
        .unwrap()
        .derive_signer(&harbor_core::keys::DerivationPath::ethereum(0))
        .unwrap()
        .address();
    assert_eq!(vault.signer(&wallet.id, 0).unwrap().address(), expected);
}

#[test]
fn wrong_password_changes_nothing() {
    let (_dir, path, mut vault) = new_vault();
    vault.add_mnemonic_wallet("A", &abandon(), "").unwrap();
    drop(vault);
    let before = std::fs::read(&path).unwrap();
    let mut vault = Vault::open(&path).unwrap();
    assert_eq!(
        vault.unlock("not the password").unwrap_err(),
        VaultError::WrongPassword
    );
    assert!(!vault.is_unlocked());
    assert_eq!(
        vault
            .change_password(
                "not the password",
                "another password",
                KdfParams::LIGHT,
                None
            )
            .unwrap_err(),
        VaultError::WrongPassword
    );
    drop(vault);
    assert_eq!(std::fs::read(&path).unwrap(), before);
    Vault::open(&path).unwrap().unlock(PASSWORD).unwrap();
}

#[test]
fn change_password_rewraps_and_can_raise_kdf_cost() {
    let (_dir, path, mut vault) = new_vault();
    let wallet = vault
        .add_private_key_wallet("K", &LocalSigner::from_hex(KEY0).unwrap())
        .unwrap();
    let stronger = KdfParams {
        memory_kib: 24 * 1024,
        iterations: 3,
        parallelism: 2,
    };
    vault
        .change_password(PASSWORD, "a brand new password", stronger, None)
        .unwrap();
    assert_eq!(vault.kdf_params().unwrap(), stronger);
    drop(vault);
    let mut vault = Vault::open(&path).unwrap();
    assert_eq!(
        vault.unlock(PASSWORD).unwrap_err(),
        VaultError::WrongPassword
    );
    vault.unlock("a brand new password").unwrap();
    assert_eq!(
        vault.signer(&wallet.id, 0).unwrap().address(),
        addr("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
    );
    assert_eq!(
        vault
            .change_password("a brand new password", "short", KdfParams::LIGHT, None)
            .unwrap_err(),
        VaultError::PasswordTooShort { min: 8 }
    );
    assert_eq!(
        vault
            .change_password(
                "a brand new password",
                "long enough",
                KdfParams {
                    memory_kib: 4096,
                    iterations: 1,
                    parallelism: 1
                },
                None
            )
            .unwrap_err(),
        VaultError::WeakKdfParams
    );
}

#[test]
fn creation_errors() {
    let (_dir, path) = temp_path();
    assert_eq!(
        Vault::create(&path, "short", KdfParams::LIGHT).unwrap_err(),
        VaultError::PasswordTooShort { min: 8 }
    );
    assert!(!path.exists(), "a refused creation leaves no file");
    Vault::create(&path, PASSWORD, KdfParams::LIGHT).unwrap();
    assert_eq!(
        Vault::create(&path, PASSWORD, KdfParams::LIGHT).unwrap_err(),
        VaultError::AlreadyExists(path.clone())
    );
    let missing = path.with_file_name("missing.harbor");
    assert_eq!(
        Vault::open(&missing).unwrap_err(),
        VaultError::NotFound(missing)
    );
}

#[test]
fn export_needs_the_password_again() {
    let (_dir, _path, mut vault) = new_vault();
    let wallet = vault.add_mnemonic_wallet("A", &abandon(), "").unwrap();
    assert_eq!(
        vault
            .export_mnemonic(&wallet.id, "wrong password")
            .unwrap_err(),
        VaultError::WrongPassword
    );
    assert_eq!(
        &*vault.export_mnemonic(&wallet.id, PASSWORD).unwrap().phrase,
        ABANDON
    );
    let key = vault.export_private_key(&wallet.id, 0, PASSWORD).unwrap();
    assert_eq!(
        LocalSigner::from_hex(&key).unwrap().address(),
        vault.accounts(&wallet.id).unwrap()[0].address
    );
    assert_eq!(
        vault
            .export_private_key(&wallet.id, 0, "wrong password")
            .unwrap_err(),
        VaultError::WrongPassword
    );
    let imported = vault
        .add_private_key_wallet("K", &LocalSigner::from_hex(KEY0).unwrap())
        .unwrap();
    assert_eq!(
        vault.export_mnemonic(&imported.id, PASSWORD).unwrap_err(),
        VaultError::NotAMnemonicWallet
    );
    assert_eq!(
        &*vault.export_private_key(&imported.id, 0, PASSWORD).unwrap(),
        KEY0
    );
}

#[test]
fn precise_errors_for_wallets_and_accounts() {
    let (_dir, _path, mut vault) = new_vault();
    let wallet = vault.add_mnemonic_wallet("A", &abandon(), "").unwrap();
    assert_eq!(
        vault
            .add_mnemonic_wallet("again", &abandon(), "")
            .unwrap_err(),
        VaultError::AlreadyImported {
            existing: "A".into()
        }
    );
    // The same words with a passphrase are a different wallet.
    vault
        .add_mnemonic_wallet("hidden", &abandon(), "secret")
        .unwrap();
    assert_eq!(
        vault
            .add_mnemonic_wallet("  ", &abandon(), "x")
            .unwrap_err(),
        VaultError::InvalidName
    );
    assert_eq!(
        vault
            .add_mnemonic_wallet(&"n".repeat(65), &abandon(), "x")
            .unwrap_err(),
        VaultError::InvalidName
    );
    assert_eq!(
        vault.accounts("nope").unwrap_err(),
        VaultError::WalletNotFound("nope".into())
    );
    assert_eq!(
        vault.signer(&wallet.id, 7).unwrap_err(),
        VaultError::AccountNotFound {
            wallet_id: wallet.id.clone(),
            index: 7
        }
    );
    assert_eq!(
        vault.rename_account(&wallet.id, 7, "x").unwrap_err(),
        VaultError::AccountNotFound {
            wallet_id: wallet.id.clone(),
            index: 7
        }
    );
    vault.rename_account(&wallet.id, 0, "Main").unwrap();
    vault.rename_wallet(&wallet.id, " Spending ").unwrap();
    assert_eq!(vault.wallet(&wallet.id).unwrap().name, "Spending");
    assert_eq!(vault.accounts(&wallet.id).unwrap()[0].name, "Main");
    let imported = vault
        .add_private_key_wallet("K", &LocalSigner::from_hex(KEY0).unwrap())
        .unwrap();
    assert_eq!(
        vault.add_account(&imported.id, "more").unwrap_err(),
        VaultError::NotAMnemonicWallet
    );
    assert_eq!(
        vault
            .remove_wallet(&imported.id, "wrong password")
            .unwrap_err(),
        VaultError::WrongPassword
    );
    vault.remove_wallet(&imported.id, PASSWORD).unwrap();
    assert_eq!(
        vault.wallet(&imported.id).unwrap_err(),
        VaultError::WalletNotFound(imported.id)
    );
}

#[test]
fn swapped_ciphertexts_are_detected() {
    let (_dir, path, mut vault) = new_vault();
    let a = vault
        .add_private_key_wallet("A", &LocalSigner::from_hex(KEY0).unwrap())
        .unwrap();
    let b = vault
        .add_private_key_wallet("B", &LocalSigner::random().unwrap())
        .unwrap();
    drop(vault);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let secret_b: Vec<u8> = conn
            .query_row("SELECT secret FROM wallets WHERE id = ?1", [&b.id], |r| {
                r.get(0)
            })
            .unwrap();
        conn.execute(
            "UPDATE wallets SET secret = ?1 WHERE id = ?2",
            rusqlite::params![secret_b, a.id],
        )
        .unwrap();
    }
    let mut vault = Vault::open(&path).unwrap();
    vault.unlock(PASSWORD).unwrap();
    assert!(matches!(
        vault.signer(&a.id, 0),
        Err(VaultError::Corrupted(_))
    ));
    assert!(vault.signer(&b.id, 0).is_ok());
}

#[test]
fn damaged_files_are_reported_not_fixed() {
    let (_dir, path, mut vault) = new_vault();
    for i in 0..20 {
        vault
            .add_private_key_wallet(&format!("W{i}"), &LocalSigner::random().unwrap())
            .unwrap();
    }
    drop(vault);
    let good = std::fs::read(&path).unwrap();
    assert!(good.len() > 8192, "the vault should span several pages");

    let check = |bytes: &[u8]| {
        std::fs::write(&path, bytes).unwrap();
        let result = Vault::open(&path);
        let after = std::fs::read(&path).unwrap();
        assert_eq!(after, bytes, "opening a damaged vault must not rewrite it");
        result.unwrap_err()
    };
    assert_eq!(
        check(&[]),
        VaultError::Corrupted("the file is empty".into())
    );
    assert!(matches!(
        check(&good[..good.len() / 2]),
        VaultError::Corrupted(_)
    ));
    assert!(matches!(check(&good[..50]), VaultError::Corrupted(_)));
    assert!(matches!(
        check(b"definitely not a database, just some text"),
        VaultError::Corrupted(_)
    ));
    let mut scribbled = good.clone();
    for b in &mut scribbled[4096..4096 + 512] {
        *b = 0xA5;
    }
    assert!(matches!(check(&scribbled), VaultError::Corrupted(_)));
    // The intact bytes still open.
    std::fs::write(&path, &good).unwrap();
    Vault::open(&path).unwrap().unlock(PASSWORD).unwrap();
}

#[test]
fn foreign_and_newer_files_are_refused() {
    let (_dir, path) = temp_path();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE notes (body TEXT); PRAGMA user_version = 1;")
            .unwrap();
    }
    assert_eq!(Vault::open(&path).unwrap_err(), VaultError::NotAVault);
    std::fs::remove_file(&path).unwrap();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE notes (body TEXT);")
            .unwrap();
    }
    assert_eq!(Vault::open(&path).unwrap_err(), VaultError::NotAVault);
    std::fs::remove_file(&path).unwrap();

    Vault::create(&path, PASSWORD, KdfParams::LIGHT).unwrap();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA user_version = 99;").unwrap();
    }
    assert_eq!(
        Vault::open(&path).unwrap_err(),
        VaultError::TooNew {
            found: 99,
            supported: 7,
        }
    );
}

#[test]
fn one_process_at_a_time() {
    let (_dir, path, _vault) = new_vault();
    assert_eq!(Vault::open(&path).unwrap_err(), VaultError::InUse);
}

#[test]
fn keyring_unlock() {
    let (_dir, path, mut vault) = new_vault();
    let store = MemoryStore::default();
    assert!(!vault.keyring_enabled().unwrap());
    vault.lock();
    assert_eq!(
        vault.enable_keyring(&store).unwrap_err(),
        VaultError::Locked
    );
    assert_eq!(
        vault.unlock_with_keyring(&store).unwrap_err(),
        VaultError::KeyringNotEnabled
    );
    vault.unlock(PASSWORD).unwrap();
    let wallet = vault
        .add_private_key_wallet("K", &LocalSigner::from_hex(KEY0).unwrap())
        .unwrap();
    vault.enable_keyring(&store).unwrap();
    drop(vault);

    let mut vault = Vault::open(&path).unwrap();
    vault.unlock_with_keyring(&store).unwrap();
    assert!(vault.signer(&wallet.id, 0).is_ok());
    // A password change rotates the data key; keyring unlock is renewed through the store.
    vault
        .change_password(PASSWORD, "next password!", KdfParams::LIGHT, Some(&store))
        .unwrap();
    vault.lock();
    vault.unlock_with_keyring(&store).unwrap();
    assert!(vault.signer(&wallet.id, 0).is_ok());
    // Without the store it is turned off (the old wrap would open nothing), never left broken.
    vault
        .change_password("next password!", "third password", KdfParams::LIGHT, None)
        .unwrap();
    assert!(!vault.keyring_enabled().unwrap());
    vault.enable_keyring(&store).unwrap();

    // The keyring lost its entry: say so, and the password still works.
    let empty = MemoryStore::default();
    vault.lock();
    assert_eq!(
        vault.unlock_with_keyring(&empty).unwrap_err(),
        VaultError::KeyringKeyMissing
    );
    vault.unlock("third password").unwrap();

    vault.disable_keyring(&store).unwrap();
    assert!(!vault.keyring_enabled().unwrap());
    vault.lock();
    assert_eq!(
        vault.unlock_with_keyring(&store).unwrap_err(),
        VaultError::KeyringNotEnabled
    );
}

#[cfg(feature = "os-keyring")]
#[test]
fn os_keyring_reports_absence_clearly() {
    use harbor_core::vault::{OsKeyring, SecureStoreError};
    let (_dir, _path, mut vault) = new_vault();
    match vault.enable_keyring(&OsKeyring::new("harbor-wallet-test")) {
        // A desktop session with a keyring: unlocking through it works.
        Ok(()) => {
            vault.lock();
            vault
                .unlock_with_keyring(&OsKeyring::new("harbor-wallet-test"))
                .unwrap();
            vault
                .disable_keyring(&OsKeyring::new("harbor-wallet-test"))
                .unwrap();
        }
        Err(VaultError::SecureStore(SecureStoreError::Unavailable(reason))) => {
            assert!(!reason.is_empty());
            assert!(
                !vault.keyring_enabled().unwrap(),
                "a failed enable leaves no keyring entry"
            );
        }
        Err(other) => panic!("unexpected keyring error: {other:?}"),
    }
}

#[test]
fn custom_chains_are_stored() {
    let (_dir, path, mut vault) = new_vault();
    let mut chain: Chain = vault.chain_registry().unwrap().get(31337).unwrap().clone();
    chain.chain_id = 777;
    chain.name = "My rollup".into();
    vault.save_chain(&chain).unwrap();
    let mut sepolia = vault
        .chain_registry()
        .unwrap()
        .get(11155111)
        .unwrap()
        .clone();
    sepolia.rpc_urls = vec!["https://my-node.example/rpc".into()];
    vault.save_chain(&sepolia).unwrap();
    let mut bad = chain.clone();
    bad.rpc_urls.clear();
    assert!(matches!(vault.save_chain(&bad), Err(VaultError::Chain(_))));
    drop(vault);

    let mut vault = Vault::open(&path).unwrap();
    let registry = vault.chain_registry().unwrap();
    assert_eq!(registry.get(777).unwrap().name, "My rollup");
    assert_eq!(
        registry.get(11155111).unwrap().rpc_urls,
        ["https://my-node.example/rpc"]
    );
    assert!(
        vault.remove_chain(11155111).unwrap(),
        "editing a built-in is reset, not removed"
    );
    assert!(!vault.remove_chain(777).unwrap());
    assert!(vault.remove_chain(1).is_err());
    assert!(vault.chain_registry().unwrap().get(777).is_err());
    assert_ne!(
        vault
            .chain_registry()
            .unwrap()
            .get(11155111)
            .unwrap()
            .rpc_urls,
        ["https://my-node.example/rpc"]
    );
}

#[test]
fn guardian_names_and_recoveries_survive_restarts() {
    use harbor_core::U256;
    use harbor_core::recovery::{
        ChainTarget, Guardian, GuardianKind, RecoveryRequest, RecoverySession,
    };
    let (_dir, path, mut vault) = new_vault();
    let account = addr("0x00000000000000000000000000000000000000aa");
    let bob = Guardian {
        address: addr("0x00000000000000000000000000000000000000b0"),
        name: "Bob".into(),
        kind: GuardianKind::Person,
    };
    let tablet = Guardian {
        address: addr("0x00000000000000000000000000000000000000c0"),
        name: "My tablet".into(),
        kind: GuardianKind::OwnDevice,
    };
    vault.save_guardian(account, &tablet).unwrap();
    vault.save_guardian(account, &bob).unwrap();
    let mut bad = bob.clone();
    bad.name = "  ".into();
    assert_eq!(
        vault.save_guardian(account, &bad).unwrap_err(),
        VaultError::InvalidName
    );

    let request = RecoveryRequest {
        account,
        new_owner: addr("0x00000000000000000000000000000000000000dd"),
        chains: vec![ChainTarget {
            chain_id: 31337,
            nonce: U256::ZERO,
            deadline: 9,
        }],
        note: "new phone".into(),
    };
    let state = harbor_core::recovery::AccountState {
        chain_id: 31337,
        account,
        deployed: true,
        owner: addr("0x00000000000000000000000000000000000000ee"),
        guardians: vec![bob.address, tablet.address],
        contract_guardians: vec![],
        threshold: 2,
        security_delay: 60,
        nonce: U256::ZERO,
        pending: None,
        config: None,
    };
    let session = RecoverySession::new(request, &[state], 1).unwrap();
    vault.save_recovery(&session).unwrap();
    vault.save_recovery(&session).unwrap(); // saving again replaces
    drop(vault);

    let vault = Vault::open(&path).unwrap();
    assert_eq!(vault.guardians(account).unwrap(), [bob.clone(), tablet]);
    assert_eq!(vault.recoveries().unwrap(), std::slice::from_ref(&session));
    let mut vault = vault;
    assert!(vault.remove_guardian(account, bob.address).unwrap());
    assert!(!vault.remove_guardian(account, bob.address).unwrap());
    assert!(vault.remove_recovery(&session.id).unwrap());
    assert!(vault.recoveries().unwrap().is_empty());
}

#[test]
fn version_1_vaults_are_migrated_without_losing_wallets() {
    let (_dir, path, mut vault) = new_vault();
    let id = vault
        .add_mnemonic_wallet("Main", &abandon(), "")
        .unwrap()
        .id;
    drop(vault);
    {
        // Make the file what version 1 wrote.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TABLE guardians; DROP TABLE recoveries; DROP TABLE activity; \
             DROP TABLE contacts; DROP TABLE dapp_sessions; DROP TABLE dapp_batches; \
             DROP TABLE watched_tokens; DROP TABLE paired_clients; DROP TABLE sponsors; \
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let mut vault = Vault::open(&path).unwrap();
    vault.unlock(PASSWORD).unwrap();
    assert_eq!(vault.wallet(&id).unwrap().name, "Main");
    assert!(vault.recoveries().unwrap().is_empty());
    assert!(vault.guardians(Address::ZERO).unwrap().is_empty());
    assert!(vault.contacts().unwrap().is_empty());
    assert!(vault.dapp_sessions().unwrap().is_empty());
    assert!(vault.watched_tokens(1).unwrap().is_empty());
    assert!(vault.sponsors().unwrap().is_empty());
}

#[test]
fn paper_shares_restore_the_same_wallet_elsewhere() {
    use harbor_core::recovery::shamir::{Slip39Error, SplitOptions};
    let (_dir, _path, mut vault) = new_vault();
    let id = vault
        .add_mnemonic_wallet("Main", &abandon(), "")
        .unwrap()
        .id;
    let options = SplitOptions::single_group(2, 3).with_passphrase("paper");
    assert!(matches!(
        vault.split_into_shares(&id, "wrong password!", &options),
        Err(VaultError::WrongPassword)
    ));
    let paper = vault.split_into_shares(&id, PASSWORD, &options).unwrap();
    assert_eq!(paper.language, Language::English);
    let first = vault.accounts(&id).unwrap()[0].address;
    assert_eq!(paper.first_address, first);
    let shares: Vec<&str> = paper.groups[0].iter().map(|s| s.as_str()).collect();

    let (_dir2, _path2, mut other) = new_vault();
    assert_eq!(
        other
            .add_wallet_from_shares("Restored", &shares[..1], "paper", Language::English, None)
            .unwrap_err(),
        VaultError::Shares(Slip39Error::InsufficientShares {
            group: 1,
            have: 1,
            need: 2
        })
    );
    let restored = other
        .add_wallet_from_shares(
            "Restored",
            &[shares[2], shares[0]],
            "paper",
            Language::English,
            Some(first),
        )
        .unwrap();
    assert_eq!(other.accounts(&restored.id).unwrap()[0].address, first);

    let with_passphrase = vault
        .add_mnemonic_wallet("Secret", &abandon(), "extra words")
        .unwrap()
        .id;
    assert_eq!(
        vault
            .split_into_shares(&with_passphrase, PASSWORD, &options)
            .unwrap_err(),
        VaultError::PassphraseNotInShares
    );
}

/// Security review, finding 5: shares hold the phrase's entropy only, and each BIP-39 language
/// makes another wallet of it. In every language: split → restore in that language → the same
/// address; in English (what Harbor used to do) → another wallet, refused when the address
/// written beside the shares is given.
#[test]
fn paper_shares_of_every_language_restore_the_same_wallet() {
    use harbor_core::keys::WordCount;
    use harbor_core::recovery::shamir::SplitOptions;
    let (_dir, _path, mut vault) = new_vault();
    let (_dir2, _path2, mut other) = new_vault();
    for language in Language::ALL {
        let mnemonic = Mnemonic::generate(language, WordCount::Words12).unwrap();
        let id = vault
            .add_mnemonic_wallet(language.english_name(), &mnemonic, "")
            .unwrap()
            .id;
        let address = vault.accounts(&id).unwrap()[0].address;
        let paper = vault
            .split_into_shares(&id, PASSWORD, &SplitOptions::single_group(2, 3))
            .unwrap();
        assert_eq!(paper.language, language);
        assert_eq!(paper.first_address, address);
        let shares = &paper.groups[0][1..];
        let restored = other
            .add_wallet_from_shares(language.english_name(), shares, "", language, Some(address))
            .unwrap();
        assert_eq!(
            other.accounts(&restored.id).unwrap()[0].address,
            address,
            "{language:?}"
        );
        if language != Language::English {
            assert!(
                matches!(
                    other.add_wallet_from_shares("wrong", shares, "", Language::English, Some(address)),
                    Err(VaultError::SharesGiveAnotherWallet { expected, .. }) if expected == address
                ),
                "{language:?}"
            );
        }
    }
}

/// Security review, finding 8: an address written into the file by someone else is never shown
/// as the user's.
#[test]
fn a_swapped_address_in_the_file_is_refused() {
    let (_dir, path, mut vault) = new_vault();
    let id = vault
        .add_mnemonic_wallet("Main", &abandon(), "")
        .unwrap()
        .id;
    let genuine = vault.accounts(&id).unwrap()[0].address;
    drop(vault);
    let attacker = "0x000000000000000000000000000000000000bEEF";
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute("UPDATE accounts SET address = ?1", [attacker])
        .unwrap();
    let mut vault = Vault::open(&path).unwrap();
    // Locked, nothing is listed: a locked vault cannot tell the addresses apart.
    assert_eq!(vault.accounts(&id).unwrap_err(), VaultError::Locked);
    vault.unlock(PASSWORD).unwrap();
    let err = vault.accounts(&id).unwrap_err();
    assert!(
        matches!(&err, VaultError::Corrupted(m) if m.contains("changed outside Harbor")),
        "{err:?}"
    );
    assert!(vault.signer(&id, 0).is_err());
    assert_ne!(genuine, addr(attacker));
}

/// Security review, finding 9: two creations of one path at once give one vault and one clear
/// "already exists", and leave no stray file behind.
#[test]
fn concurrent_creations_have_one_winner() {
    let (dir, path) = temp_path();
    for round in 0..8 {
        let path = dir.path().join(format!("race-{round}.harbor"));
        let results: Vec<Result<Vault, VaultError>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| Vault::create(&path, PASSWORD, KdfParams::LIGHT)))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let winners = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(winners, 1, "round {round}: {results:?}");
        for r in &results {
            if let Err(e) = r {
                assert_eq!(*e, VaultError::AlreadyExists(path.clone()));
            }
        }
        drop(results);
        Vault::open(&path).unwrap().unlock(PASSWORD).unwrap();
    }
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".creating"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
    drop(path);
}

/// Security review, finding 10: damage to an index (which `quick_check` does not compare with
/// its table) is reported when the file is opened, not hidden.
#[test]
fn index_damage_is_reported_on_open() {
    let (_dir, path, mut vault) = new_vault();
    let id = vault
        .add_mnemonic_wallet("Main", &abandon(), "")
        .unwrap()
        .id;
    drop(vault);
    // Change one character of the wallet id inside the accounts' primary-key index page only.
    let (page, page_size): (i64, i64) = {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let page = conn
            .query_row(
                "SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_accounts_1'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let size = conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap();
        (page, size)
    };
    let mut bytes = std::fs::read(&path).unwrap();
    let start = ((page - 1) * page_size) as usize;
    let region = &mut bytes[start..start + page_size as usize];
    let at = region
        .windows(id.len())
        .position(|w| w == id.as_bytes())
        .expect("the wallet id is in the index page");
    region[at] = if region[at] == b'0' { b'1' } else { b'0' };
    std::fs::write(&path, bytes).unwrap();
    let err = Vault::open(&path).err().unwrap();
    assert!(matches!(err, VaultError::Corrupted(_)), "{err:?}");
}

/// Security review, finding 10: a password change rotates the data key, so the old password's
/// entry put back into the file opens nothing added afterwards.
#[test]
fn an_old_password_entry_put_back_opens_nothing_new() {
    let (_dir, path, vault) = new_vault();
    drop(vault);
    let old_row: (String, Vec<u8>, Vec<u8>) = {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.query_row(
            "SELECT kdf, salt, wrapped FROM unlock_keys WHERE kind = 'password'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
    };
    let mut vault = Vault::open(&path).unwrap();
    vault.unlock(PASSWORD).unwrap();
    vault
        .change_password(PASSWORD, "a new password", KdfParams::LIGHT, None)
        .unwrap();
    let later = vault
        .add_private_key_wallet("Later", &LocalSigner::from_hex(KEY0).unwrap())
        .unwrap();
    drop(vault);
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "UPDATE unlock_keys SET kdf = ?1, salt = ?2, wrapped = ?3 WHERE kind = 'password'",
            rusqlite::params![old_row.0, old_row.1, old_row.2],
        )
        .unwrap();
    let mut vault = Vault::open(&path).unwrap();
    vault.unlock(PASSWORD).unwrap(); // the old entry still unwraps its (old) key …
    let err = vault.signer(&later.id, 0).unwrap_err(); // … which opens nothing new
    assert!(matches!(err, VaultError::Corrupted(_)), "{err:?}");
}

#[test]
fn activity_is_kept_newest_first_and_updated_in_place() {
    use harbor_core::vault::{ActivityEntry, ActivityStatus};
    let (_dir, path, mut vault) = new_vault();
    let a = addr("0x00000000000000000000000000000000000000aa");
    let b = addr("0x00000000000000000000000000000000000000bb");
    let entry = |id: &str, account, at| ActivityEntry {
        id: id.into(),
        chain_id: 31337,
        account,
        description: format!("op {id}"),
        status: ActivityStatus::Pending,
        transaction_hash: None,
        gas_cost_wei: None,
        sponsor: None,
        error: None,
        created_at: at,
        transfer: None,
    };
    vault.record_activity(&entry("1", a, 10)).unwrap();
    vault.record_activity(&entry("2", b, 20)).unwrap();
    vault.record_activity(&entry("3", a, 30)).unwrap();
    let mut done = entry("1", a, 10);
    done.status = ActivityStatus::Confirmed;
    done.sponsor = Some("Harbor".into());
    vault.record_activity(&done).unwrap();
    drop(vault);
    let vault = Vault::open(&path).unwrap();
    let ids = |list: Vec<ActivityEntry>| list.into_iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(ids(vault.activity(Some(a), 10).unwrap()), ["3", "1"]);
    assert_eq!(ids(vault.activity(None, 2).unwrap()), ["3", "2"]);
    assert_eq!(vault.activity(Some(a), 10).unwrap()[1], done);
}

#[test]
fn derived_keys_are_forgotten_on_lock_and_wallet_removal() {
    let (_dir, _path, mut vault) = new_vault();
    let id = vault
        .add_mnemonic_wallet("Main", &abandon(), "")
        .unwrap()
        .id;
    let first = vault.signer(&id, 0).unwrap();
    // The second call is served from memory and gives the same key.
    assert_eq!(vault.signer(&id, 0).unwrap().address(), first.address());
    vault.lock();
    assert_eq!(vault.signer(&id, 0).unwrap_err(), VaultError::Locked);
    vault.unlock(PASSWORD).unwrap();
    assert_eq!(vault.signer(&id, 0).unwrap().address(), first.address());
    vault.remove_wallet(&id, PASSWORD).unwrap();
    assert!(matches!(
        vault.signer(&id, 0),
        Err(VaultError::WalletNotFound(_) | VaultError::AccountNotFound { .. })
    ));
}

#[test]
fn address_book_keeps_names_and_past_recipients_across_reopen() {
    let (_dir, path, mut vault) = new_vault();
    let alice = addr("0x1234567890abcdef1234567890abcdef12345678");
    let shop = addr("0x00000000000000000000000000000000000000cc");
    vault.save_contact(alice, "  Alice ").unwrap();
    vault.note_recipient(shop, 100).unwrap();
    vault.note_recipient(alice, 200).unwrap();
    assert_eq!(
        vault.save_contact(shop, " \n"),
        Err(VaultError::InvalidName)
    );
    drop(vault);
    let mut vault = Vault::open(&path).unwrap();
    let contacts = vault.contacts().unwrap();
    assert_eq!(contacts.len(), 2);
    assert_eq!(contacts[0].name.as_deref(), Some("Alice"));
    assert_eq!(contacts[0].last_sent_at, Some(200));
    assert_eq!(
        (contacts[1].address, contacts[1].name.clone()),
        (shop, None)
    );
    let poison = addr("0x1234000000000000000000000000000000005678");
    let check = harbor_core::contacts::check_recipient(poison, &contacts, &[]);
    assert!(matches!(
        &check.warnings[0],
        harbor_core::contacts::RecipientWarning::LooksLike { known, .. } if *known == alice
    ));
    assert!(vault.remove_contact(shop).unwrap());
    assert!(!vault.remove_contact(shop).unwrap());
    assert_eq!(vault.contacts().unwrap().len(), 1);
}

#[test]
fn connected_sites_batches_and_watched_tokens_survive_a_restart() {
    use harbor_core::B256;
    use harbor_core::vault::{DappBatch, DappSession, WatchedToken};
    let (_dir, path, mut vault) = new_vault();
    let account = Address::repeat_byte(1);
    let session = DappSession {
        origin: "https://app.example".into(),
        account,
        chain_id: 10,
        granted_at: 1_700_000_000,
    };
    vault.save_dapp_session(&session).unwrap();
    // Changing the network keeps when it was granted.
    vault
        .save_dapp_session(&DappSession {
            chain_id: 8453,
            granted_at: 1_800_000_000,
            ..session.clone()
        })
        .unwrap();
    let batch = DappBatch {
        origin: session.origin.clone(),
        id: "b1".into(),
        chain_id: 8453,
        account,
        user_op_hash: None,
        created_at: 1_800_000_000,
    };
    assert!(vault.add_dapp_batch(&batch).unwrap());
    assert!(
        !vault.add_dapp_batch(&batch).unwrap(),
        "an id is used once per site"
    );
    vault
        .set_dapp_batch_operation(&batch.origin, "b1", B256::repeat_byte(9))
        .unwrap();
    let token = WatchedToken {
        chain_id: 8453,
        address: Address::repeat_byte(2),
        symbol: "USDC".into(),
        decimals: 6,
    };
    vault.watch_token(&token).unwrap();
    drop(vault);

    let mut vault = Vault::open(&path).unwrap();
    vault.unlock(PASSWORD).unwrap();
    let [found] = vault.dapp_sessions().unwrap().try_into().unwrap();
    assert_eq!((found.chain_id, found.granted_at), (8453, 1_700_000_000));
    let stored = vault.dapp_batch(&batch.origin, "b1").unwrap().unwrap();
    assert_eq!(stored.user_op_hash, Some(B256::repeat_byte(9)));
    assert!(
        vault
            .dapp_batch("https://other.example", "b1")
            .unwrap()
            .is_none()
    );
    assert_eq!(vault.watched_tokens(8453).unwrap(), vec![token]);
    assert!(vault.remove_dapp_session(&batch.origin).unwrap());
    assert!(vault.dapp_sessions().unwrap().is_empty());
}
