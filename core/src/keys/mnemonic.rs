//! BIP-39 recovery phrases: generation, import with precise errors, language detection.
//!
//! Phrases and passphrases are Unicode-NFKD-normalised before use, as BIP-39 requires, so a phrase
//! typed in NFC form (what phone keyboards produce for French, Spanish or Korean) still works.

use std::fmt;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use super::secret::{Seed, random_bytes};

/// Errors from creating or importing a recovery phrase. Messages never contain the phrase's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MnemonicError {
    /// The phrase does not have 12, 15, 18, 21 or 24 words.
    #[error("a recovery phrase has 12, 15, 18, 21 or 24 words; this one has {found}")]
    WrongWordCount {
        /// How many words were found.
        found: usize,
    },
    /// Not a single word belongs to any supported word list.
    #[error("none of the words is in a BIP-39 word list; check the phrase and its language")]
    NoKnownWords,
    /// Some words are not in the word list of the phrase's language.
    #[error("{}", unknown_words_message(*.language, .words))]
    UnknownWords {
        /// The language the other words belong to.
        language: Language,
        /// Each unknown word's position and close matches from the word list.
        words: Vec<UnknownWord>,
    },
    /// Every word is valid but the checksum (carried by the last word) does not match.
    #[error(
        "the checksum of this {language} recovery phrase does not match: a word is probably \
         wrong or the words are in the wrong order"
    )]
    InvalidChecksum {
        /// The language of the phrase.
        language: Language,
    },
    /// Entropy of a length BIP-39 does not allow.
    #[error("entropy must be 16, 20, 24, 28 or 32 bytes long; got {found}")]
    InvalidEntropyLength {
        /// The length given, in bytes.
        found: usize,
    },
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed")]
    RandomSource,
}

crate::classified!(
    MnemonicError,
    |e: &MnemonicError| match e {
        MnemonicError::WrongWordCount { .. }
        | MnemonicError::NoKnownWords
        | MnemonicError::UnknownWords { .. }
        | MnemonicError::InvalidChecksum { .. }
        | MnemonicError::InvalidEntropyLength { .. } => crate::error::ErrorKind::InvalidPhrase,
        MnemonicError::RandomSource => crate::error::ErrorKind::Internal,
    },
    |e: &MnemonicError| match e {
        MnemonicError::UnknownWords { words, .. } => {
            words.iter().map(|w| w.position as u32).collect()
        }
        _ => Vec::new(),
    }
);

/// A word of an imported phrase that is not in the word list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownWord {
    /// Position in the phrase, counting from 1.
    pub position: usize,
    /// Words of the list that are close to what was typed (best first, at most five). They are
    /// for the UI to offer; they are deliberately not part of the error's message, which may be
    /// logged.
    pub suggestions: Vec<String>,
}

fn unknown_words_message(language: Language, words: &[UnknownWord]) -> String {
    let positions: Vec<String> = words.iter().map(|w| w.position.to_string()).collect();
    match positions.as_slice() {
        [one] => format!(
            "word {one} is not in the {} word list",
            language.english_name()
        ),
        [init @ .., last] => format!(
            "words {} and {last} are not in the {} word list",
            init.join(", "),
            language.english_name()
        ),
        [] => format!("a word is not in the {} word list", language.english_name()),
    }
}

/// The ten official BIP-39 word lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// English.
    English,
    /// Chinese, simplified characters.
    ChineseSimplified,
    /// Chinese, traditional characters.
    ChineseTraditional,
    /// Japanese (words joined by the ideographic space U+3000).
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
    /// Every supported language, English first.
    pub const ALL: [Language; 10] = [
        Language::English,
        Language::ChineseSimplified,
        Language::ChineseTraditional,
        Language::Japanese,
        Language::Korean,
        Language::Spanish,
        Language::French,
        Language::Italian,
        Language::Czech,
        Language::Portuguese,
    ];

    /// The identifier used by the reference implementation and in storage (`chinese_simplified`).
    pub fn code(self) -> &'static str {
        match self {
            Language::English => "english",
            Language::ChineseSimplified => "chinese_simplified",
            Language::ChineseTraditional => "chinese_traditional",
            Language::Japanese => "japanese",
            Language::Korean => "korean",
            Language::Spanish => "spanish",
            Language::French => "french",
            Language::Italian => "italian",
            Language::Czech => "czech",
            Language::Portuguese => "portuguese",
        }
    }

    /// Looks a language up by its [`code`](Self::code).
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The language's name in English.
    pub fn english_name(self) -> &'static str {
        match self {
            Language::English => "English",
            Language::ChineseSimplified => "Chinese (simplified)",
            Language::ChineseTraditional => "Chinese (traditional)",
            Language::Japanese => "Japanese",
            Language::Korean => "Korean",
            Language::Spanish => "Spanish",
            Language::French => "French",
            Language::Italian => "Italian",
            Language::Czech => "Czech",
            Language::Portuguese => "Portuguese",
        }
    }

    /// The language's name in itself ("Español", "简体中文"), for choosing a phrase's language.
    pub fn native_name(self) -> &'static str {
        match self {
            Language::English => "English",
            Language::ChineseSimplified => "简体中文",
            Language::ChineseTraditional => "繁體中文",
            Language::Japanese => "日本語",
            Language::Korean => "한국어",
            Language::Spanish => "Español",
            Language::French => "Français",
            Language::Italian => "Italiano",
            Language::Czech => "Čeština",
            Language::Portuguese => "Português",
        }
    }

    /// The 2048 words of the list, NFKD-normalised.
    pub fn word_list(self) -> &'static [&'static str; 2048] {
        self.to_bip39().word_list()
    }

    /// The separator used when showing a phrase in this language.
    pub fn separator(self) -> &'static str {
        match self {
            Language::Japanese => "\u{3000}",
            _ => " ",
        }
    }

    fn to_bip39(self) -> bip39::Language {
        match self {
            Language::English => bip39::Language::English,
            Language::ChineseSimplified => bip39::Language::SimplifiedChinese,
            Language::ChineseTraditional => bip39::Language::TraditionalChinese,
            Language::Japanese => bip39::Language::Japanese,
            Language::Korean => bip39::Language::Korean,
            Language::Spanish => bip39::Language::Spanish,
            Language::French => bip39::Language::French,
            Language::Italian => bip39::Language::Italian,
            Language::Czech => bip39::Language::Czech,
            Language::Portuguese => bip39::Language::Portuguese,
        }
    }

    fn contains(self, normalized_word: &str) -> bool {
        self.to_bip39().find_word(normalized_word).is_some()
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.english_name())
    }
}

/// How many words a new phrase has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WordCount {
    /// 12 words, 128 bits of entropy.
    Words12,
    /// 15 words, 160 bits.
    Words15,
    /// 18 words, 192 bits.
    Words18,
    /// 21 words, 224 bits.
    Words21,
    /// 24 words, 256 bits.
    Words24,
}

impl WordCount {
    /// Every allowed word count, shortest first.
    pub const ALL: [WordCount; 5] = [
        WordCount::Words12,
        WordCount::Words15,
        WordCount::Words18,
        WordCount::Words21,
        WordCount::Words24,
    ];

    /// The number of words.
    pub fn words(self) -> usize {
        match self {
            WordCount::Words12 => 12,
            WordCount::Words15 => 15,
            WordCount::Words18 => 18,
            WordCount::Words21 => 21,
            WordCount::Words24 => 24,
        }
    }

    /// The number of entropy bytes behind the words.
    pub fn entropy_bytes(self) -> usize {
        self.words() * 4 / 3
    }
}

impl TryFrom<usize> for WordCount {
    type Error = MnemonicError;

    fn try_from(found: usize) -> Result<Self, Self::Error> {
        Self::ALL
            .into_iter()
            .find(|c| c.words() == found)
            .ok_or(MnemonicError::WrongWordCount { found })
    }
}

/// A valid BIP-39 recovery phrase; the words are wiped from memory when it is dropped.
#[derive(Clone)]
pub struct Mnemonic {
    inner: bip39::Mnemonic,
    language: Language,
}

impl fmt::Debug for Mnemonic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mnemonic")
            .field("language", &self.language)
            .field("words", &self.word_count())
            .finish_non_exhaustive()
    }
}

impl Mnemonic {
    /// Generates a new phrase from operating-system randomness.
    pub fn generate(language: Language, count: WordCount) -> Result<Self, MnemonicError> {
        let entropy =
            random_bytes(count.entropy_bytes()).map_err(|_| MnemonicError::RandomSource)?;
        Self::from_entropy(language, &entropy)
    }

    /// Builds the phrase that encodes `entropy` (16 to 32 bytes, a multiple of 4).
    pub fn from_entropy(language: Language, entropy: &[u8]) -> Result<Self, MnemonicError> {
        if !matches!(entropy.len(), 16 | 20 | 24 | 28 | 32) {
            return Err(MnemonicError::InvalidEntropyLength {
                found: entropy.len(),
            });
        }
        let inner =
            bip39::Mnemonic::from_entropy_in(language.to_bip39(), entropy).map_err(|_| {
                MnemonicError::InvalidEntropyLength {
                    found: entropy.len(),
                }
            })?;
        Ok(Self { inner, language })
    }

    /// Parses a phrase typed or pasted by a user, detecting its language.
    ///
    /// Extra spaces, any Unicode whitespace and NFC/NFKD forms are accepted. Letter case is not
    /// changed: BIP-39 word lists are lower-case and so must the words be.
    pub fn parse(phrase: &str) -> Result<Self, MnemonicError> {
        let words = normalized_words(phrase);
        WordCount::try_from(words.len())?;
        let mut best = 0usize;
        let mut candidates: Vec<Language> = Vec::new();
        for language in Language::ALL {
            let found = words.iter().filter(|w| language.contains(w)).count();
            if found > best {
                best = found;
                candidates.clear();
            }
            if found == best && found > 0 {
                candidates.push(language);
            }
        }
        let Some(&first) = candidates.first() else {
            return Err(MnemonicError::NoKnownWords);
        };
        if best < words.len() {
            return Err(unknown_words(first, &words));
        }
        let joined = Zeroizing::new(words.join(" "));
        let mut valid: Vec<Mnemonic> = candidates
            .iter()
            .filter_map(|&language| {
                bip39::Mnemonic::parse_in_normalized(language.to_bip39(), &joined)
                    .ok()
                    .map(|inner| Mnemonic { inner, language })
            })
            .collect();
        // Chinese simplified and traditional lists share characters, so a phrase can be valid in
        // both. The seed (and so every key) is derived from the text, which is the same either
        // way; prefer the first list (simplified) and let the caller re-parse with `parse_in`.
        if valid.is_empty() {
            return Err(MnemonicError::InvalidChecksum { language: first });
        }
        Ok(valid.swap_remove(0))
    }

    /// Parses a phrase in a known language.
    pub fn parse_in(language: Language, phrase: &str) -> Result<Self, MnemonicError> {
        let words = normalized_words(phrase);
        WordCount::try_from(words.len())?;
        if words.iter().any(|w| !language.contains(w)) {
            if words.iter().all(|w| !language.contains(w)) {
                return Err(MnemonicError::NoKnownWords);
            }
            return Err(unknown_words(language, &words));
        }
        let joined = Zeroizing::new(words.join(" "));
        bip39::Mnemonic::parse_in_normalized(language.to_bip39(), &joined)
            .map(|inner| Mnemonic { inner, language })
            .map_err(|_| MnemonicError::InvalidChecksum { language })
    }

    /// The phrase, words joined by the language's separator. Show it only when the user asks.
    pub fn phrase(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::new());
        for (i, word) in self.inner.words().enumerate() {
            if i > 0 {
                out.push_str(self.language.separator());
            }
            out.push_str(word);
        }
        out
    }

    /// The phrase's word-list language.
    pub fn language(&self) -> Language {
        self.language
    }

    /// The number of words.
    pub fn word_count(&self) -> usize {
        self.inner.word_count()
    }

    /// The entropy the words encode.
    pub fn entropy(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.inner.to_entropy())
    }

    /// Derives the 64-byte BIP-39 seed; the passphrase is NFKD-normalised first ("" for none).
    pub fn to_seed(&self, passphrase: &str) -> Seed {
        let normalized: Zeroizing<String> = Zeroizing::new(passphrase.nfkd().collect());
        Seed::from_bytes(self.inner.to_seed_normalized(&normalized))
    }
}

/// NFKD-normalises the phrase and splits it into words.
fn normalized_words(phrase: &str) -> Zeroizing<Vec<String>> {
    let normalized: Zeroizing<String> = Zeroizing::new(phrase.nfkd().collect());
    Zeroizing::new(normalized.split_whitespace().map(str::to_owned).collect())
}

fn unknown_words(language: Language, words: &[String]) -> MnemonicError {
    let words = words
        .iter()
        .enumerate()
        .filter(|(_, w)| !language.contains(w))
        .map(|(i, w)| UnknownWord {
            position: i + 1,
            suggestions: close_matches(language, w),
        })
        .collect();
    MnemonicError::UnknownWords { language, words }
}

/// Up to five words of the list that are close to `typed`: same first four letters, or within a
/// small edit distance. Words shorter than three characters (Chinese) get no suggestions.
fn close_matches(language: Language, typed: &str) -> Vec<String> {
    let typed: Vec<char> = typed.chars().collect();
    if typed.len() < 3 {
        return Vec::new();
    }
    let max_distance = if typed.len() <= 4 { 1 } else { 2 };
    let prefix: Vec<char> = typed.iter().copied().take(4).collect();
    let mut scored: Vec<(usize, &str)> = language
        .word_list()
        .iter()
        .filter_map(|&word| {
            let chars: Vec<char> = word.chars().collect();
            let distance = edit_distance(&typed, &chars);
            let same_prefix = typed.len() >= 4 && chars.starts_with(&prefix);
            (distance <= max_distance || same_prefix).then_some((distance, word))
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(5)
        .map(|(_, w)| w.to_owned())
        .collect()
}

/// Levenshtein distance between two character sequences.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests;
