//! Property tests (proptest): round trips that must hold for every input.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail by panicking.

use alloy_primitives::{Address, U64, U128, U256};
use harbor_core::evm::{
    TransactionRequest, decode_transaction, parse_signature, recover_address,
    recover_personal_message, sign_personal_message, sign_transaction,
};
use harbor_core::keys::{DerivationPath, Language, LocalSigner, Mnemonic, Signer};
use proptest::prelude::*;

fn language() -> impl Strategy<Value = Language> {
    proptest::sample::select(Language::ALL.to_vec())
}

fn entropy() -> impl Strategy<Value = Vec<u8>> {
    proptest::sample::select(vec![16usize, 20, 24, 28, 32])
        .prop_flat_map(|len| proptest::collection::vec(any::<u8>(), len))
}

fn key() -> impl Strategy<Value = LocalSigner> {
    any::<[u8; 32]>().prop_filter_map("valid secp256k1 scalar", |b| {
        LocalSigner::from_slice(&b).ok()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn mnemonic_round_trips(language in language(), entropy in entropy()) {
        let mnemonic = Mnemonic::from_entropy(language, &entropy).unwrap();
        let parsed = Mnemonic::parse_in(language, &mnemonic.phrase()).unwrap();
        prop_assert_eq!(&*parsed.entropy(), &entropy);
        prop_assert_eq!(parsed.word_count(), entropy.len() * 3 / 4);
    }

    #[test]
    fn mnemonic_with_one_word_changed_is_rejected_or_different(entropy in entropy(), position in 0usize..12, word in 0usize..2048) {
        let mnemonic = Mnemonic::from_entropy(Language::English, &entropy).unwrap();
        let phrase = mnemonic.phrase();
        let mut words: Vec<&str> = phrase.split(' ').collect();
        words[position] = Language::English.word_list()[word];
        // A changed word either fails the checksum or encodes different entropy; never the same.
        if let Ok(other) = Mnemonic::parse(&words.join(" ")) {
            prop_assert!(words.join(" ") == *phrase || *other.entropy() != entropy);
        }
    }

    #[test]
    fn derivation_paths_round_trip(indices in proptest::collection::vec(any::<u32>(), 0..12)) {
        let text = std::iter::once("m".to_owned())
            .chain(indices.iter().map(|i| if *i >= 1 << 31 { format!("{}'", i - (1 << 31)) } else { i.to_string() }))
            .collect::<Vec<_>>()
            .join("/");
        let path: DerivationPath = text.parse().unwrap();
        prop_assert_eq!(path.indices(), &indices[..]);
        prop_assert_eq!(path.to_string().parse::<DerivationPath>().unwrap(), path);
    }

    #[test]
    fn personal_sign_recovers_signer(key in key(), message in proptest::collection::vec(any::<u8>(), 0..300)) {
        let signature = sign_personal_message(&key, &message).unwrap();
        prop_assert_eq!(recover_personal_message(&message, &signature).unwrap(), key.address());
        let parsed = parse_signature(&signature).unwrap();
        prop_assert_eq!(parsed.as_bytes(), signature);
    }

    #[test]
    fn hash_signatures_are_low_s_and_recover(key in key(), hash in any::<[u8; 32]>()) {
        let hash = hash.into();
        let signature = key.sign_hash(&hash).unwrap();
        prop_assert!(signature.s() <= U256::MAX >> 1);
        prop_assert_eq!(recover_address(&hash, &signature).unwrap(), key.address());
    }

    #[test]
    fn transactions_round_trip(
        key in key(),
        tx_type in proptest::sample::select(vec![0u64, 1, 2]),
        chain_id in 1u64..1_000_000,
        nonce in any::<u64>(),
        gas in 21_000u64..30_000_000,
        value in any::<u128>(),
        fee in 1u64..1_000_000_000_000,
        data in proptest::collection::vec(any::<u8>(), 0..100),
        to in proptest::option::of(any::<[u8; 20]>()),
    ) {
        let mut request = TransactionRequest {
            tx_type: Some(U64::from(tx_type)),
            to: to.map(Address::from),
            value: Some(U256::from(value)),
            data: Some(data.clone().into()),
            chain_id: Some(U64::from(chain_id)),
            nonce: Some(U64::from(nonce)),
            gas: Some(U64::from(gas)),
            ..Default::default()
        };
        if tx_type == 2 {
            request.max_fee_per_gas = Some(U128::from(fee));
            request.max_priority_fee_per_gas = Some(U128::from(fee / 2));
        } else {
            request.gas_price = Some(U128::from(fee));
        }
        let signed = sign_transaction(&key, &request, Some(chain_id)).unwrap();
        let decoded = decode_transaction(&signed.raw).unwrap();
        prop_assert_eq!(decoded.from, key.address());
        prop_assert_eq!(*decoded.envelope.tx_hash(), signed.hash);
        use alloy_consensus::Transaction as _;
        prop_assert_eq!(decoded.envelope.nonce(), nonce);
        prop_assert_eq!(decoded.envelope.chain_id(), Some(chain_id));
        prop_assert_eq!(decoded.envelope.value(), U256::from(value));
        prop_assert_eq!(decoded.envelope.input().to_vec(), data);
        prop_assert_eq!(decoded.envelope.to(), to.map(Address::from));
    }
}
