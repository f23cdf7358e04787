//! Recovery phrases, paper shares, amounts and addresses: pure functions, no vault or network.

use harbor_core::aa::HarborAccount;
use std::sync::Arc;

use harbor_core::keys::{Language as CoreLanguage, Mnemonic, WordCount};
use harbor_core::recovery::shamir::{self, GroupSpec, SplitOptions};
use harbor_core::tokens;

use crate::error::{HarborError, Result, parse_address};

/// A BIP-39 word list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Language {
    /// English.
    English,
    /// Chinese, simplified characters.
    ChineseSimplified,
    /// Chinese, traditional characters.
    ChineseTraditional,
    /// Japanese.
    Japanese,
    /// Korean.
    Korean,
    /// Spanish.
    Spanish,
    /// French.
    French,
    /// Italian.
    Italian,
    /// Czech.
    Czech,
    /// Portuguese.
    Portuguese,
}

impl Language {
    pub(crate) fn to_core(self) -> CoreLanguage {
        match self {
            Self::English => CoreLanguage::English,
            Self::ChineseSimplified => CoreLanguage::ChineseSimplified,
            Self::ChineseTraditional => CoreLanguage::ChineseTraditional,
            Self::Japanese => CoreLanguage::Japanese,
            Self::Korean => CoreLanguage::Korean,
            Self::Spanish => CoreLanguage::Spanish,
            Self::French => CoreLanguage::French,
            Self::Italian => CoreLanguage::Italian,
            Self::Czech => CoreLanguage::Czech,
            Self::Portuguese => CoreLanguage::Portuguese,
        }
    }

    pub(crate) fn from_core(language: CoreLanguage) -> Self {
        match language {
            CoreLanguage::English => Self::English,
            CoreLanguage::ChineseSimplified => Self::ChineseSimplified,
            CoreLanguage::ChineseTraditional => Self::ChineseTraditional,
            CoreLanguage::Japanese => Self::Japanese,
            CoreLanguage::Korean => Self::Korean,
            CoreLanguage::Spanish => Self::Spanish,
            CoreLanguage::French => Self::French,
            CoreLanguage::Italian => Self::Italian,
            CoreLanguage::Czech => Self::Czech,
            CoreLanguage::Portuguese => Self::Portuguese,
        }
    }
}

/// What a valid phrase is.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MnemonicInfo {
    /// Its language.
    pub language: Language,
    /// Its word count.
    pub word_count: u32,
}

/// A recovery phrase just made for a new wallet. It stays inside Harbor (wiped when dropped);
/// the app gets its words only to show them to the person writing them down.
#[derive(uniffi::Object)]
pub struct NewPhrase {
    pub(crate) mnemonic: Mnemonic,
}

impl std::fmt::Debug for NewPhrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPhrase(…)")
    }
}

#[uniffi::export]
impl NewPhrase {
    /// The words, in order, to show on the write-it-down screen (never to store or send).
    pub fn words_to_show(&self) -> Vec<String> {
        self.mnemonic
            .phrase()
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    }

    /// Its language.
    pub fn language(&self) -> Language {
        Language::from_core(self.mnemonic.language())
    }

    /// How many words it has.
    pub fn word_count(&self) -> u32 {
        self.mnemonic.word_count() as u32
    }
}

/// Makes a new recovery phrase of `word_count` (12, 15, 18, 21 or 24) words, kept inside
/// Harbor: add it with `Vault::add_new_phrase`, show it with `NewPhrase::words_to_show`.
#[uniffi::export]
pub fn generate_mnemonic(language: Language, word_count: u32) -> Result<Arc<NewPhrase>> {
    let count = WordCount::try_from(word_count as usize)?;
    Ok(Arc::new(NewPhrase {
        mnemonic: Mnemonic::generate(language.to_core(), count)?,
    }))
}

/// Checks a phrase typed by the user (any language, detected); the error lists unknown words'
/// positions.
#[uniffi::export]
pub fn validate_mnemonic(phrase: String) -> Result<MnemonicInfo> {
    let mnemonic = Mnemonic::parse(&phrase)?;
    Ok(MnemonicInfo {
        language: Language::from_core(mnemonic.language()),
        word_count: mnemonic.word_count() as u32,
    })
}

/// The word list of `language` (for autocompletion on a phrase-entry screen).
#[uniffi::export]
pub fn mnemonic_words(language: Language) -> Vec<String> {
    language
        .to_core()
        .word_list()
        .iter()
        .map(|w| (*w).to_owned())
        .collect()
}

/// A group of paper shares: `threshold` of its `count` shares are needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct ShareGroup {
    /// Shares of this group needed.
    pub threshold: u8,
    /// Shares in this group.
    pub count: u8,
}

/// Splits a recovery phrase into SLIP-39 paper shares: one list of share phrases per group.
#[uniffi::export]
pub fn split_mnemonic_into_shares(
    phrase: String,
    group_threshold: u8,
    groups: Vec<ShareGroup>,
    passphrase: String,
) -> Result<Vec<Vec<String>>> {
    let mnemonic = Mnemonic::parse(&phrase)?;
    let options = SplitOptions {
        group_threshold,
        groups: groups
            .iter()
            .map(|g| GroupSpec {
                threshold: g.threshold,
                count: g.count,
            })
            .collect(),
        passphrase: passphrase.into(),
        iteration_exponent: 1,
        extendable: true,
    };
    Ok(shamir::split_mnemonic(&mnemonic, &options)?
        .into_iter()
        .map(|group| group.iter().map(|s| s.to_string()).collect())
        .collect())
}

/// Combines SLIP-39 paper shares back into the recovery phrase in `language` (the original
/// phrase's: the same shares in another language are another wallet).
#[uniffi::export]
pub fn combine_shares_to_mnemonic(
    shares: Vec<String>,
    passphrase: String,
    language: Language,
) -> Result<String> {
    Ok(
        shamir::combine_to_mnemonic(&shares, &passphrase, language.to_core())?
            .phrase()
            .to_string(),
    )
}

/// Parses a decimal amount ("12.5") into base units for `decimals`, as a decimal string.
#[uniffi::export]
pub fn parse_amount(amount: String, decimals: u8) -> Result<String> {
    Ok(tokens::parse_amount(&amount, decimals)?.to_string())
}

/// Formats base units (decimal string) for display with `decimals`.
#[uniffi::export]
pub fn format_amount(base_units: String, decimals: u8) -> Result<String> {
    let value = base_units
        .trim()
        .parse()
        .map_err(|_| HarborError::input("not an amount in base units"))?;
    Ok(tokens::format_amount(value, decimals))
}

/// The address in its EIP-55 checksummed form; an error if it is not an address.
#[uniffi::export]
pub fn checksum_address(address: String) -> Result<String> {
    Ok(parse_address(&address)?.to_checksum(None))
}

/// The Harbor smart account of an owner key (the same address on every chain).
#[uniffi::export]
pub fn smart_account_address(owner: String) -> Result<String> {
    Ok(
        HarborAccount::new(parse_address(&owner)?, Default::default())
            .address()
            .to_checksum(None),
    )
}
