//! Tests of `mnemonic`.

use super::*;

const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon \
                       abandon abandon abandon about";

#[test]
fn generates_every_length_and_language() {
    for language in Language::ALL {
        for count in WordCount::ALL {
            let m = Mnemonic::generate(language, count).unwrap();
            assert_eq!(m.word_count(), count.words());
            assert_eq!(m.entropy().len(), count.entropy_bytes());
            let again = Mnemonic::parse(&m.phrase()).unwrap();
            assert_eq!(*again.entropy(), *m.entropy());
        }
    }
}

#[test]
fn generated_phrases_differ() {
    let a = Mnemonic::generate(Language::English, WordCount::Words12).unwrap();
    let b = Mnemonic::generate(Language::English, WordCount::Words12).unwrap();
    assert_ne!(*a.entropy(), *b.entropy());
}

#[test]
fn wrong_word_count() {
    let err = Mnemonic::parse("abandon abandon abandon").unwrap_err();
    assert_eq!(err, MnemonicError::WrongWordCount { found: 3 });
    assert_eq!(
        Mnemonic::parse("   ").unwrap_err(),
        MnemonicError::WrongWordCount { found: 0 }
    );
    let thirteen = format!("{ABANDON} abandon");
    assert_eq!(
        Mnemonic::parse(&thirteen).unwrap_err(),
        MnemonicError::WrongWordCount { found: 13 }
    );
}

#[test]
fn unknown_word_gives_position_and_suggestions() {
    let phrase = ABANDON.replacen("about", "abuot", 1);
    let err = Mnemonic::parse(&phrase).unwrap_err();
    let MnemonicError::UnknownWords { language, words } = &err else {
        panic!("unexpected {err:?}");
    };
    assert_eq!(*language, Language::English);
    assert_eq!(words.len(), 1);
    assert_eq!(words[0].position, 12);
    assert!(
        words[0].suggestions.contains(&"about".to_owned()),
        "{:?}",
        words[0]
    );
    assert_eq!(err.to_string(), "word 12 is not in the English word list");
    assert!(!err.to_string().contains("abuot"));
}

#[test]
fn several_unknown_words_are_all_reported() {
    let phrase = ABANDON
        .replacen("abandon", "abandn", 1)
        .replacen("about", "qqqqqq", 1);
    let err = Mnemonic::parse(&phrase).unwrap_err();
    let MnemonicError::UnknownWords { words, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        words.iter().map(|w| w.position).collect::<Vec<_>>(),
        vec![1, 12]
    );
    assert_eq!(words[0].suggestions[0], "abandon");
    assert!(words[1].suggestions.is_empty(), "{:?}", words[1]);
    assert_eq!(
        err.to_string(),
        "words 1 and 12 are not in the English word list"
    );
}

#[test]
fn phrase_valid_in_both_chinese_lists_keeps_its_seed() {
    // All-zero entropy gives the same characters in both Chinese lists.
    let traditional = Mnemonic::from_entropy(Language::ChineseTraditional, &[0; 16]).unwrap();
    let simplified = Mnemonic::from_entropy(Language::ChineseSimplified, &[0; 16]).unwrap();
    assert_eq!(*traditional.phrase(), *simplified.phrase());
    let parsed = Mnemonic::parse(&traditional.phrase()).unwrap();
    assert_eq!(parsed.language(), Language::ChineseSimplified);
    assert_eq!(
        parsed.to_seed("x").as_bytes(),
        traditional.to_seed("x").as_bytes()
    );
    let explicit = Mnemonic::parse_in(Language::ChineseTraditional, &traditional.phrase()).unwrap();
    assert_eq!(explicit.language(), Language::ChineseTraditional);
}

#[test]
fn no_known_words() {
    let phrase = ["qqqq"; 12].join(" ");
    assert_eq!(
        Mnemonic::parse(&phrase).unwrap_err(),
        MnemonicError::NoKnownWords
    );
}

#[test]
fn bad_checksum() {
    let phrase = ["abandon"; 12].join(" ");
    assert_eq!(
        Mnemonic::parse(&phrase).unwrap_err(),
        MnemonicError::InvalidChecksum {
            language: Language::English
        }
    );
}

#[test]
fn parse_in_wrong_language_reports_unknown_words() {
    let err = Mnemonic::parse_in(Language::French, ABANDON).unwrap_err();
    // "abandon" is also a French word; "about" is not.
    let MnemonicError::UnknownWords { language, words } = err else {
        panic!()
    };
    assert_eq!(language, Language::French);
    assert_eq!(words.len(), 1);
    assert_eq!(words[0].position, 12);
    assert_eq!(
        Mnemonic::parse_in(Language::Japanese, ABANDON).unwrap_err(),
        MnemonicError::NoKnownWords
    );
}

#[test]
fn nfc_input_is_accepted() {
    let m = Mnemonic::generate(Language::Spanish, WordCount::Words24).unwrap();
    let nfc: String = m.phrase().nfc().collect();
    let parsed = Mnemonic::parse(&nfc).unwrap();
    assert_eq!(parsed.language(), Language::Spanish);
    assert_eq!(*parsed.entropy(), *m.entropy());
    let korean = Mnemonic::generate(Language::Korean, WordCount::Words12).unwrap();
    let nfc: String = korean.phrase().nfc().collect();
    assert_ne!(nfc.as_str(), korean.phrase().as_str());
    assert_eq!(Mnemonic::parse(&nfc).unwrap().language(), Language::Korean);
}

#[test]
fn passphrase_is_normalized() {
    let m = Mnemonic::parse(ABANDON).unwrap();
    let nfc = "caf\u{e9}";
    let nfd = "cafe\u{301}";
    assert_eq!(m.to_seed(nfc).as_bytes(), m.to_seed(nfd).as_bytes());
    assert_ne!(m.to_seed("").as_bytes(), m.to_seed(nfc).as_bytes());
}

#[test]
fn known_seed() {
    // BIP-39 vector: 00…00 entropy, passphrase "TREZOR".
    let m = Mnemonic::parse(ABANDON).unwrap();
    let seed = m.to_seed("TREZOR");
    assert_eq!(
        alloy_primitives::hex::encode(seed.as_bytes()),
        "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04"
    );
}

#[test]
fn japanese_phrase_uses_ideographic_space() {
    let m = Mnemonic::from_entropy(Language::Japanese, &[0u8; 16]).unwrap();
    assert!(m.phrase().contains('\u{3000}'));
    assert_eq!(
        Mnemonic::parse(&m.phrase()).unwrap().language(),
        Language::Japanese
    );
}

#[test]
fn entropy_length_checked() {
    assert_eq!(
        Mnemonic::from_entropy(Language::English, &[0u8; 17]).unwrap_err(),
        MnemonicError::InvalidEntropyLength { found: 17 }
    );
}

#[test]
fn debug_hides_words() {
    let m = Mnemonic::parse(ABANDON).unwrap();
    let shown = format!("{m:?}");
    assert!(!shown.contains("abandon"), "{shown}");
}

#[test]
fn edit_distance_basics() {
    let d = |a: &str, b: &str| {
        edit_distance(
            &a.chars().collect::<Vec<_>>(),
            &b.chars().collect::<Vec<_>>(),
        )
    };
    assert_eq!(d("kitten", "sitting"), 3);
    assert_eq!(d("", "abc"), 3);
    assert_eq!(d("abc", "abc"), 0);
}

#[test]
fn language_codes_round_trip() {
    for l in Language::ALL {
        assert_eq!(Language::from_code(l.code()), Some(l));
    }
    assert_eq!(Language::from_code("klingon"), None);
}
