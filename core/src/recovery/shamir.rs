//! SLIP-39 Shamir backups: split a secret into paper shares (groups of members, each with a
//! threshold, optional passphrase) and combine them again, per SLIP-0039.
//!
//! Harbor splits a wallet's BIP-39 entropy ([`split_mnemonic`] / [`combine_to_mnemonic`]), so the
//! shares give back the exact recovery phrase and every account derived from it. The generic
//! [`split`] / [`combine`] work on any secret of 16 to 32 bytes (an even length).
//!
//! Errors name share positions (counting from 1 in the order given), never words.

use std::collections::BTreeMap;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use crate::keys::{Language, Mnemonic};

/// Bits per word.
const RADIX_BITS: usize = 10;
/// Words of the share's identifier, extendable flag and iteration exponent.
const ID_EXP_WORDS: usize = 2;
/// Words of the group and member parameters.
const PARAMS_WORDS: usize = 2;
/// Words of the RS1024 checksum.
const CHECKSUM_WORDS: usize = 3;
/// Words that are not the share value.
const METADATA_WORDS: usize = ID_EXP_WORDS + PARAMS_WORDS + CHECKSUM_WORDS;
/// Shortest share (a 128-bit secret).
const MIN_WORDS: usize = 20;
/// Most groups, and most members of a group.
pub const MAX_SHARES: u8 = 16;
/// Shortest secret, in bytes.
pub const MIN_SECRET_BYTES: usize = 16;
/// Longest secret Harbor splits, in bytes (SLIP-39 itself has no upper bound).
pub const MAX_SECRET_BYTES: usize = 32;
/// PBKDF2 iterations of the whole Feistel cipher at exponent 0.
const BASE_ITERATIONS: u32 = 10_000;
/// Feistel rounds.
const ROUNDS: u8 = 4;
/// x coordinate of the digest share.
const DIGEST_INDEX: u8 = 254;
/// x coordinate of the shared secret.
const SECRET_INDEX: u8 = 255;
/// Bytes of the digest that guards a recombined secret.
const DIGEST_BYTES: usize = 4;

static WORDLIST_TEXT: &str = include_str!("slip39-wordlist.txt");

/// Errors from splitting or combining SLIP-39 shares.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Slip39Error {
    /// The secret has a length SLIP-39 (or Harbor) does not allow.
    #[error("a secret to split must be 16 to 32 bytes long, an even number; got {found}")]
    InvalidSecretLength {
        /// The length given, in bytes.
        found: usize,
    },
    /// The requested groups and thresholds cannot work.
    #[error("invalid share layout: {0}")]
    InvalidLayout(String),
    /// The iteration exponent is above 15.
    #[error("the iteration exponent must be 0 to 15; got {0}")]
    InvalidIterationExponent(u8),
    /// The passphrase has characters other than printable ASCII.
    #[error(
        "a share passphrase may only contain printable ASCII characters (letters, digits, punctuation, spaces)"
    )]
    InvalidPassphrase,
    /// No shares were given.
    #[error("no shares were given")]
    Empty,
    /// A share has a word count no share can have.
    #[error(
        "share {share} has {words} words; a share has 20 or more words (33 for a 24-word phrase)"
    )]
    InvalidLength {
        /// Position of the share, from 1.
        share: usize,
        /// Its word count.
        words: usize,
    },
    /// A word is not in the SLIP-39 word list.
    #[error("word {position} of share {share} is not a SLIP-39 word")]
    UnknownWord {
        /// Position of the share, from 1.
        share: usize,
        /// Position of the word in the share, from 1.
        position: usize,
    },
    /// The share's checksum does not match: a word is wrong or words are swapped.
    #[error(
        "the checksum of share {share} does not match: a word is probably wrong or out of order"
    )]
    InvalidChecksum {
        /// Position of the share, from 1.
        share: usize,
    },
    /// The share decodes but its value has non-zero padding or an impossible length.
    #[error("share {share} is not a valid share (bad padding or length)")]
    InvalidPadding {
        /// Position of the share, from 1.
        share: usize,
    },
    /// A share says its group threshold is larger than its group count.
    #[error("share {share} is not valid: its group threshold is larger than its group count")]
    InvalidGroupThreshold {
        /// Position of the share, from 1.
        share: usize,
    },
    /// Shares come from different backups or different splits.
    #[error("share {share} does not belong to the same backup as share 1 ({what} differs)")]
    MismatchedShares {
        /// Position of the share, from 1.
        share: usize,
        /// Which common parameter differs.
        what: &'static str,
    },
    /// Shares of one group disagree on the group's member threshold.
    #[error("the shares of group {group} disagree on how many of them are needed")]
    MismatchedMemberThreshold {
        /// Group number, from 1.
        group: u8,
    },
    /// Two different shares claim the same member of a group.
    #[error("two different shares claim to be member {member} of group {group}")]
    DuplicateMember {
        /// Group number, from 1.
        group: u8,
        /// Member number, from 1.
        member: u8,
    },
    /// Not enough complete groups.
    #[error("{need} groups of shares are needed; {complete} complete")]
    InsufficientGroups {
        /// Groups with enough shares.
        complete: usize,
        /// The group threshold.
        need: u8,
    },
    /// A group lacks shares (reported for the fullest incomplete group).
    #[error("group {group} needs {need} shares; {have} given")]
    InsufficientShares {
        /// Group number, from 1.
        group: u8,
        /// Shares given for it.
        have: usize,
        /// Its member threshold.
        need: u8,
    },
    /// The shares combine, but the result fails its integrity check: a share is corrupt or
    /// from another backup.
    #[error("the shares do not fit together: one of them is corrupt or from another backup")]
    InvalidDigest,
    /// The combined secret is not a valid BIP-39 entropy length.
    #[error("these shares hold a {found}-byte secret, not a recovery phrase")]
    NotAMnemonic {
        /// The secret's length in bytes.
        found: usize,
    },
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed")]
    RandomSource,
}

crate::classified!(Slip39Error, |e: &Slip39Error| match e {
    Slip39Error::InvalidSecretLength { .. }
    | Slip39Error::InvalidLayout(_)
    | Slip39Error::InvalidIterationExponent(_)
    | Slip39Error::InvalidPassphrase => crate::error::ErrorKind::InvalidInput,
    Slip39Error::Empty
    | Slip39Error::InvalidLength { .. }
    | Slip39Error::UnknownWord { .. }
    | Slip39Error::InvalidChecksum { .. }
    | Slip39Error::InvalidPadding { .. }
    | Slip39Error::InvalidGroupThreshold { .. }
    | Slip39Error::MismatchedShares { .. }
    | Slip39Error::MismatchedMemberThreshold { .. }
    | Slip39Error::DuplicateMember { .. }
    | Slip39Error::InsufficientGroups { .. }
    | Slip39Error::InsufficientShares { .. }
    | Slip39Error::InvalidDigest
    | Slip39Error::NotAMnemonic { .. } => crate::error::ErrorKind::InvalidShares,
    Slip39Error::RandomSource => crate::error::ErrorKind::Internal,
});

/// One group of a layout: `threshold` of its `count` shares are needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GroupSpec {
    /// Shares of this group needed to recover it.
    pub threshold: u8,
    /// Shares in this group.
    pub count: u8,
}

/// How to split: groups, how many groups are needed, passphrase, PBKDF2 cost.
#[derive(Clone, PartialEq, Eq)]
pub struct SplitOptions {
    /// Groups needed to recover.
    pub group_threshold: u8,
    /// The groups.
    pub groups: Vec<GroupSpec>,
    /// Optional passphrase (printable ASCII). Any passphrase gives *a* secret back, so a
    /// wrong one cannot be detected: it yields a different wallet.
    pub passphrase: Zeroizing<String>,
    /// PBKDF2 cost: 2500 × 2^e iterations per round (default 1).
    pub iteration_exponent: u8,
    /// Extendable backup (SLIP-39 2024): more shares can be made later for the same secret.
    pub extendable: bool,
}

impl std::fmt::Debug for SplitOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SplitOptions")
            .field("group_threshold", &self.group_threshold)
            .field("groups", &self.groups)
            .field("passphrase", &"<redacted>")
            .field("iteration_exponent", &self.iteration_exponent)
            .field("extendable", &self.extendable)
            .finish()
    }
}

impl SplitOptions {
    /// One group of `count` shares, `threshold` of which recover the secret (e.g. 2 of 3).
    pub fn single_group(threshold: u8, count: u8) -> Self {
        Self {
            group_threshold: 1,
            groups: vec![GroupSpec { threshold, count }],
            passphrase: Zeroizing::new(String::new()),
            iteration_exponent: 1,
            extendable: true,
        }
    }

    /// Sets the passphrase.
    pub fn with_passphrase(mut self, passphrase: &str) -> Self {
        self.passphrase = Zeroizing::new(passphrase.to_owned());
        self
    }

    fn validate(&self) -> Result<(), Slip39Error> {
        if self.iteration_exponent > 15 {
            return Err(Slip39Error::InvalidIterationExponent(
                self.iteration_exponent,
            ));
        }
        check_passphrase(&self.passphrase)?;
        let count = self.groups.len();
        if count == 0 || count > usize::from(MAX_SHARES) {
            return Err(Slip39Error::InvalidLayout(format!(
                "there must be 1 to 16 groups; got {count}"
            )));
        }
        if self.group_threshold == 0 || usize::from(self.group_threshold) > count {
            return Err(Slip39Error::InvalidLayout(format!(
                "the group threshold must be 1 to {count}; got {}",
                self.group_threshold
            )));
        }
        for (i, g) in self.groups.iter().enumerate() {
            let n = i + 1;
            if g.count == 0 || g.count > MAX_SHARES {
                return Err(Slip39Error::InvalidLayout(format!(
                    "group {n} must have 1 to 16 shares; got {}",
                    g.count
                )));
            }
            if g.threshold == 0 || g.threshold > g.count {
                return Err(Slip39Error::InvalidLayout(format!(
                    "group {n} needs a threshold of 1 to {}; got {}",
                    g.count, g.threshold
                )));
            }
            if g.threshold == 1 && g.count > 1 {
                return Err(Slip39Error::InvalidLayout(format!(
                    "group {n}: several shares with a threshold of 1 would be copies of each \
                     other; use a 1-of-1 group instead"
                )));
            }
        }
        Ok(())
    }
}

/// What a single share says about itself (for a UI that shows "share 2 of group 1, 2 needed").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShareInfo {
    /// The backup's random 15-bit identifier (shared by all its shares).
    pub identifier: u16,
    /// Whether the backup is extendable.
    pub extendable: bool,
    /// PBKDF2 cost exponent.
    pub iteration_exponent: u8,
    /// Group number, from 1.
    pub group: u8,
    /// Groups needed.
    pub group_threshold: u8,
    /// Groups in the backup.
    pub group_count: u8,
    /// Member number in its group, from 1.
    pub member: u8,
    /// Members of this group needed.
    pub member_threshold: u8,
}

/// A decoded share.
#[derive(Clone)]
struct Share {
    info: ShareInfo,
    value: Zeroizing<Vec<u8>>,
}

/// Splits a secret into SLIP-39 shares, one list of mnemonics per group.
pub fn split(
    secret: &[u8],
    options: &SplitOptions,
) -> Result<Vec<Vec<Zeroizing<String>>>, Slip39Error> {
    split_with(secret, options, &mut |buf| {
        getrandom::fill(buf).map_err(|_| Slip39Error::RandomSource)
    })
}

/// Splits the entropy of a BIP-39 phrase (see the module docs).
pub fn split_mnemonic(
    mnemonic: &Mnemonic,
    options: &SplitOptions,
) -> Result<Vec<Vec<Zeroizing<String>>>, Slip39Error> {
    split(&mnemonic.entropy(), options)
}

/// Combines shares back into the secret.
pub fn combine(
    mnemonics: &[impl AsRef<str>],
    passphrase: &str,
) -> Result<Zeroizing<Vec<u8>>, Slip39Error> {
    check_passphrase(passphrase)?;
    let shares = mnemonics
        .iter()
        .enumerate()
        .map(|(i, m)| decode_share(m.as_ref(), i + 1))
        .collect::<Result<Vec<_>, _>>()?;
    let first = shares.first().ok_or(Slip39Error::Empty)?;
    let common = first.info.clone();
    for (i, share) in shares.iter().enumerate() {
        let s = &share.info;
        let what = if s.identifier != common.identifier {
            Some("identifier")
        } else if s.extendable != common.extendable {
            Some("extendable flag")
        } else if s.iteration_exponent != common.iteration_exponent {
            Some("iteration exponent")
        } else if s.group_threshold != common.group_threshold {
            Some("group threshold")
        } else if s.group_count != common.group_count {
            Some("group count")
        } else if share.value.len() != first.value.len() {
            Some("length")
        } else {
            None
        };
        if let Some(what) = what {
            return Err(Slip39Error::MismatchedShares { share: i + 1, what });
        }
    }

    // Group members, dropping exact duplicates (the same share entered twice).
    let mut groups: BTreeMap<u8, BTreeMap<u8, Share>> = BTreeMap::new();
    for share in shares {
        let group = groups.entry(share.info.group).or_default();
        if let Some(existing) = group.values().next()
            && existing.info.member_threshold != share.info.member_threshold
        {
            return Err(Slip39Error::MismatchedMemberThreshold {
                group: share.info.group + 1,
            });
        }
        match group.get(&share.info.member) {
            Some(existing) if existing.value != share.value => {
                return Err(Slip39Error::DuplicateMember {
                    group: share.info.group + 1,
                    member: share.info.member + 1,
                });
            }
            Some(_) => {}
            None => {
                group.insert(share.info.member, share);
            }
        }
    }

    let need = common.group_threshold;
    let complete: Vec<_> = groups
        .iter()
        .filter(|(_, members)| {
            members
                .values()
                .next()
                .is_some_and(|s| members.len() >= usize::from(s.info.member_threshold))
        })
        .collect();
    if complete.len() < usize::from(need) {
        // Name the incomplete group closest to completion: that is what the user can fix.
        let short = groups
            .iter()
            .filter_map(|(g, members)| {
                let threshold = members.values().next()?.info.member_threshold;
                (members.len() < usize::from(threshold)).then_some((*g, members.len(), threshold))
            })
            .max_by_key(|(_, have, threshold)| (*have, std::cmp::Reverse(*threshold)));
        return Err(match short {
            Some((group, have, need))
                if complete.len() + 1 == usize::from(common.group_threshold) =>
            {
                Slip39Error::InsufficientShares {
                    group: group + 1,
                    have,
                    need,
                }
            }
            _ => Slip39Error::InsufficientGroups {
                complete: complete.len(),
                need,
            },
        });
    }

    let mut group_shares = Vec::with_capacity(usize::from(need));
    for (group, members) in complete.into_iter().take(usize::from(need)) {
        let threshold = members
            .values()
            .next()
            .map_or(1, |s| s.info.member_threshold);
        let points: Vec<(u8, &[u8])> = members
            .values()
            .take(usize::from(threshold))
            .map(|s| (s.info.member, s.value.as_slice()))
            .collect();
        group_shares.push((*group, recover_secret(threshold, &points)?));
    }
    let points: Vec<(u8, &[u8])> = group_shares
        .iter()
        .map(|(g, v)| (*g, v.as_slice()))
        .collect();
    let encrypted = recover_secret(need, &points)?;
    Ok(feistel(
        &encrypted,
        passphrase.as_bytes(),
        common.iteration_exponent,
        common.identifier,
        common.extendable,
        false,
    ))
}

/// Combines shares made by [`split_mnemonic`] back into the recovery phrase, in `language`.
///
/// Shares hold the phrase's entropy only, and each BIP-39 language turns the same entropy into a
/// different seed (the words are the seed's input): the language must be the original phrase's,
/// or a different wallet comes back. Harbor writes it beside the shares.
pub fn combine_to_mnemonic(
    mnemonics: &[impl AsRef<str>],
    passphrase: &str,
    language: Language,
) -> Result<Mnemonic, Slip39Error> {
    let secret = combine(mnemonics, passphrase)?;
    Mnemonic::from_entropy(language, &secret).map_err(|_| Slip39Error::NotAMnemonic {
        found: secret.len(),
    })
}

/// Reads what one share says about itself, checking its words and checksum.
pub fn share_info(mnemonic: &str) -> Result<ShareInfo, Slip39Error> {
    let mut info = decode_share(mnemonic, 1)?.info;
    info.group += 1;
    info.member += 1;
    Ok(info)
}

/// The splitting itself, with the randomness injected (tests make it deterministic).
fn split_with(
    secret: &[u8],
    options: &SplitOptions,
    random: &mut dyn FnMut(&mut [u8]) -> Result<(), Slip39Error>,
) -> Result<Vec<Vec<Zeroizing<String>>>, Slip39Error> {
    if secret.len() < MIN_SECRET_BYTES
        || secret.len() > MAX_SECRET_BYTES
        || !secret.len().is_multiple_of(2)
    {
        return Err(Slip39Error::InvalidSecretLength {
            found: secret.len(),
        });
    }
    options.validate()?;
    let mut id = [0u8; 2];
    random(&mut id)?;
    let identifier = u16::from_be_bytes(id) & 0x7fff;
    let encrypted = feistel(
        secret,
        options.passphrase.as_bytes(),
        options.iteration_exponent,
        identifier,
        options.extendable,
        true,
    );
    let group_count = options.groups.len() as u8;
    let group_secrets = split_secret(options.group_threshold, group_count, &encrypted, random)?;
    let mut out = Vec::with_capacity(options.groups.len());
    for (spec, (group, group_secret)) in options.groups.iter().zip(group_secrets) {
        let members = split_secret(spec.threshold, spec.count, &group_secret, random)?;
        let mut words = Vec::with_capacity(members.len());
        for (member, value) in members {
            let info = ShareInfo {
                identifier,
                extendable: options.extendable,
                iteration_exponent: options.iteration_exponent,
                group,
                group_threshold: options.group_threshold,
                group_count,
                member,
                member_threshold: spec.threshold,
            };
            words.push(encode_share(&info, &value));
        }
        out.push(words);
    }
    Ok(out)
}

fn check_passphrase(passphrase: &str) -> Result<(), Slip39Error> {
    if passphrase.bytes().all(|b| (32..=126).contains(&b)) {
        Ok(())
    } else {
        Err(Slip39Error::InvalidPassphrase)
    }
}

// ---------------------------------------------------------------------------- word encoding

fn wordlist() -> &'static [&'static str] {
    static LIST: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    LIST.get_or_init(|| WORDLIST_TEXT.lines().collect())
}

/// Appends `count` low bits of `value` to a 10-bit word stream.
struct BitWriter {
    words: Vec<u16>,
    acc: u32,
    bits: usize,
}

impl BitWriter {
    fn push(&mut self, value: u32, count: usize) {
        for i in (0..count).rev() {
            self.acc = (self.acc << 1) | ((value >> i) & 1);
            self.bits += 1;
            if self.bits == RADIX_BITS {
                self.words.push(self.acc as u16);
                self.acc = 0;
                self.bits = 0;
            }
        }
    }
}

fn encode_share(info: &ShareInfo, value: &[u8]) -> Zeroizing<String> {
    let mut w = BitWriter {
        words: Vec::new(),
        acc: 0,
        bits: 0,
    };
    w.push(u32::from(info.identifier), 15);
    w.push(u32::from(info.extendable), 1);
    w.push(u32::from(info.iteration_exponent), 4);
    w.push(u32::from(info.group), 4);
    w.push(u32::from(info.group_threshold - 1), 4);
    w.push(u32::from(info.group_count - 1), 4);
    w.push(u32::from(info.member), 4);
    w.push(u32::from(info.member_threshold - 1), 4);
    let padding = (RADIX_BITS - (value.len() * 8) % RADIX_BITS) % RADIX_BITS;
    w.push(0, padding);
    for byte in value {
        w.push(u32::from(*byte), 8);
    }
    let mut words = Zeroizing::new(w.words);
    let checksum = rs1024_create(&words, info.extendable);
    words.extend_from_slice(&checksum);
    let list = wordlist();
    let mut text = Zeroizing::new(String::new());
    for (i, index) in words.iter().enumerate() {
        if i > 0 {
            text.push(' ');
        }
        text.push_str(list[usize::from(*index)]);
    }
    text
}

fn decode_share(mnemonic: &str, position: usize) -> Result<Share, Slip39Error> {
    let list = wordlist();
    let mut words = Zeroizing::new(Vec::new());
    for (i, word) in mnemonic.split_whitespace().enumerate() {
        let lower = Zeroizing::new(word.to_lowercase());
        let index = list
            .binary_search(&lower.as_str())
            .map_err(|_| Slip39Error::UnknownWord {
                share: position,
                position: i + 1,
            })?;
        words.push(index as u16);
    }
    let n = words.len();
    let padding = (RADIX_BITS * n.saturating_sub(METADATA_WORDS)) % 16;
    if n < MIN_WORDS || padding > 8 {
        return Err(Slip39Error::InvalidLength {
            share: position,
            words: n,
        });
    }
    let extendable = (words[1] >> 4) & 1 == 1;
    if !rs1024_verify(&words, extendable) {
        return Err(Slip39Error::InvalidChecksum { share: position });
    }
    let id_exp = (u32::from(words[0]) << 10) | u32::from(words[1]);
    let params = (u32::from(words[2]) << 10) | u32::from(words[3]);
    let nibble = |shift: u32| ((params >> shift) & 0xf) as u8;
    let info = ShareInfo {
        identifier: (id_exp >> 5) as u16,
        extendable,
        iteration_exponent: (id_exp & 0xf) as u8,
        group: nibble(16),
        group_threshold: nibble(12) + 1,
        group_count: nibble(8) + 1,
        member: nibble(4),
        member_threshold: nibble(0) + 1,
    };
    if info.group_threshold > info.group_count {
        return Err(Slip39Error::InvalidGroupThreshold { share: position });
    }
    // The value: big-endian bits after `padding` zero bits.
    let value_words = &words[ID_EXP_WORDS + PARAMS_WORDS..n - CHECKSUM_WORDS];
    let total_bits = value_words.len() * RADIX_BITS;
    let mut value = Zeroizing::new(vec![0u8; (total_bits - padding) / 8]);
    for bit in 0..total_bits {
        let word = value_words[bit / RADIX_BITS];
        let set = (word >> (RADIX_BITS - 1 - bit % RADIX_BITS)) & 1 == 1;
        if bit < padding {
            if set {
                return Err(Slip39Error::InvalidPadding { share: position });
            }
        } else if set {
            let b = bit - padding;
            value[b / 8] |= 0x80 >> (b % 8);
        }
    }
    if value.len() < MIN_SECRET_BYTES || !value.len().is_multiple_of(2) {
        return Err(Slip39Error::InvalidPadding { share: position });
    }
    Ok(Share { info, value })
}

// ---------------------------------------------------------------------------- RS1024 checksum

fn rs1024_polymod(customization: &[u8], words: &[u16]) -> u32 {
    const GEN: [u32; 10] = [
        0x00E0_E040,
        0x01C1_C080,
        0x0383_8100,
        0x0707_0200,
        0x0E0E_0009,
        0x1C0C_2412,
        0x3808_6C24,
        0x3090_FC48,
        0x21B1_F890,
        0x03F3_F120,
    ];
    let mut chk: u32 = 1;
    for v in customization
        .iter()
        .map(|b| u32::from(*b))
        .chain(words.iter().map(|w| u32::from(*w)))
    {
        let b = chk >> 20;
        chk = ((chk & 0xFFFFF) << 10) ^ v;
        for (i, g) in GEN.iter().enumerate() {
            if (b >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

fn customization(extendable: bool) -> &'static [u8] {
    if extendable {
        b"shamir_extendable"
    } else {
        b"shamir"
    }
}

fn rs1024_create(words: &[u16], extendable: bool) -> [u16; 3] {
    let mut data = words.to_vec();
    data.extend_from_slice(&[0, 0, 0]);
    let polymod = rs1024_polymod(customization(extendable), &data) ^ 1;
    data.zeroize();
    [
        ((polymod >> 20) & 1023) as u16,
        ((polymod >> 10) & 1023) as u16,
        (polymod & 1023) as u16,
    ]
}

fn rs1024_verify(words: &[u16], extendable: bool) -> bool {
    rs1024_polymod(customization(extendable), words) == 1
}

// ---------------------------------------------------------------------------- Feistel cipher

/// Encrypts (or decrypts) the master secret with the passphrase: a 4-round Feistel network
/// whose round function is PBKDF2-HMAC-SHA256.
fn feistel(
    input: &[u8],
    passphrase: &[u8],
    exponent: u8,
    identifier: u16,
    extendable: bool,
    encrypt: bool,
) -> Zeroizing<Vec<u8>> {
    let half = input.len() / 2;
    let mut left = Zeroizing::new(input[..half].to_vec());
    let mut right = Zeroizing::new(input[half..].to_vec());
    let mut salt = Vec::new();
    if !extendable {
        salt.extend_from_slice(b"shamir");
        salt.extend_from_slice(&identifier.to_be_bytes());
    }
    let iterations = (BASE_ITERATIONS << exponent) / u32::from(ROUNDS);
    let mut password = Zeroizing::new(Vec::with_capacity(passphrase.len() + 1));
    let mut round_salt = Zeroizing::new(Vec::new());
    for step in 0..ROUNDS {
        let round = if encrypt { step } else { ROUNDS - 1 - step };
        password.clear();
        password.push(round);
        password.extend_from_slice(passphrase);
        round_salt.clear();
        round_salt.extend_from_slice(&salt);
        round_salt.extend_from_slice(&right);
        let mut f = Zeroizing::new(vec![0u8; half]);
        pbkdf2::pbkdf2_hmac::<Sha256>(&password, &round_salt, iterations, &mut f);
        for (l, k) in left.iter_mut().zip(f.iter()) {
            *l ^= k;
        }
        std::mem::swap(&mut left, &mut right);
    }
    let mut out = Zeroizing::new(Vec::with_capacity(input.len()));
    out.extend_from_slice(&right);
    out.extend_from_slice(&left);
    out
}

// ---------------------------------------------------------------------------- Shamir over GF(256)

/// Multiplication in GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1.
fn gf_mul(mut a: u8, mut b: u8) -> u8 {
    let mut p = 0u8;
    while b != 0 {
        if b & 1 == 1 {
            p ^= a;
        }
        let carry = a & 0x80 != 0;
        a <<= 1;
        if carry {
            a ^= 0x1b;
        }
        b >>= 1;
    }
    p
}

/// Inverse in GF(2^8) (a^254); 0 has none and maps to 0.
fn gf_inv(a: u8) -> u8 {
    let mut result = 1u8;
    let mut base = a;
    let mut e = 254u8;
    while e != 0 {
        if e & 1 == 1 {
            result = gf_mul(result, base);
        }
        base = gf_mul(base, base);
        e >>= 1;
    }
    result
}

/// The value at `x` of the polynomial through `points` (distinct x, equal-length values).
fn interpolate(points: &[(u8, &[u8])], x: u8) -> Zeroizing<Vec<u8>> {
    if let Some((_, v)) = points.iter().find(|(px, _)| *px == x) {
        return Zeroizing::new(v.to_vec());
    }
    let len = points.first().map_or(0, |(_, v)| v.len());
    let mut out = Zeroizing::new(vec![0u8; len]);
    for (j, (xj, vj)) in points.iter().enumerate() {
        // Lagrange basis at x: prod over m != j of (x - x_m) / (x_j - x_m); minus is xor.
        let mut basis = 1u8;
        for (m, (xm, _)) in points.iter().enumerate() {
            if m != j {
                basis = gf_mul(basis, gf_mul(x ^ xm, gf_inv(xj ^ xm)));
            }
        }
        for (o, v) in out.iter_mut().zip(vj.iter()) {
            *o ^= gf_mul(basis, *v);
        }
    }
    out
}

fn digest(random_part: &[u8], secret: &[u8]) -> [u8; DIGEST_BYTES] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(random_part)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(secret);
    let full = mac.finalize().into_bytes();
    let mut out = [0u8; DIGEST_BYTES];
    out.copy_from_slice(&full[..DIGEST_BYTES]);
    out
}

/// A share as a point: x coordinate and value.
type SharePoint = (u8, Zeroizing<Vec<u8>>);

/// Splits `secret` into `count` shares, `threshold` of which recover it; x = 0..count.
fn split_secret(
    threshold: u8,
    count: u8,
    secret: &[u8],
    random: &mut dyn FnMut(&mut [u8]) -> Result<(), Slip39Error>,
) -> Result<Vec<SharePoint>, Slip39Error> {
    if threshold == 1 {
        return Ok((0..count)
            .map(|i| (i, Zeroizing::new(secret.to_vec())))
            .collect());
    }
    let random_count = threshold - 2;
    let mut shares: Vec<SharePoint> = Vec::new();
    for i in 0..random_count {
        let mut value = Zeroizing::new(vec![0u8; secret.len()]);
        random(&mut value)?;
        shares.push((i, value));
    }
    let mut random_part = Zeroizing::new(vec![0u8; secret.len() - DIGEST_BYTES]);
    random(&mut random_part)?;
    let mut digest_share = Zeroizing::new(digest(&random_part, secret).to_vec());
    digest_share.extend_from_slice(&random_part);
    let mut base: Vec<(u8, &[u8])> = shares.iter().map(|(x, v)| (*x, v.as_slice())).collect();
    base.push((DIGEST_INDEX, &digest_share));
    base.push((SECRET_INDEX, secret));
    let derived: Vec<_> = (random_count..count)
        .map(|x| (x, interpolate(&base, x)))
        .collect();
    shares.extend(derived);
    Ok(shares)
}

/// Recovers a secret from `threshold` shares and checks its digest.
fn recover_secret(
    threshold: u8,
    points: &[(u8, &[u8])],
) -> Result<Zeroizing<Vec<u8>>, Slip39Error> {
    if threshold == 1 {
        return Ok(Zeroizing::new(
            points.first().map(|(_, v)| v.to_vec()).unwrap_or_default(),
        ));
    }
    let secret = interpolate(points, SECRET_INDEX);
    let digest_share = interpolate(points, DIGEST_INDEX);
    if digest_share.len() < DIGEST_BYTES
        || digest(&digest_share[DIGEST_BYTES..], &secret) != digest_share[..DIGEST_BYTES]
    {
        return Err(Slip39Error::InvalidDigest);
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter_rng() -> impl FnMut(&mut [u8]) -> Result<(), Slip39Error> {
        let mut n = 0u8;
        move |buf: &mut [u8]| {
            for b in buf {
                n = n.wrapping_mul(31).wrapping_add(17);
                *b = n;
            }
            Ok(())
        }
    }

    #[test]
    fn wordlist_is_complete_and_sorted() {
        let list = wordlist();
        assert_eq!(list.len(), 1024);
        assert!(list.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn gf_inverse_is_an_inverse() {
        for a in 1..=255u8 {
            assert_eq!(gf_mul(a, gf_inv(a)), 1, "{a}");
        }
    }

    #[test]
    fn split_then_combine_every_threshold_subset() {
        let secret = [7u8; 16];
        let options = SplitOptions::single_group(3, 5).with_passphrase("pass word");
        let groups = split_with(&secret, &options, &mut counter_rng()).unwrap();
        let shares = &groups[0];
        assert_eq!(shares.len(), 5);
        assert!(shares.iter().all(|s| s.split(' ').count() == 20));
        for a in 0..5 {
            for b in a + 1..5 {
                for c in b + 1..5 {
                    let subset = [&shares[a], &shares[b], &shares[c]].map(|s| s.as_str());
                    assert_eq!(*combine(&subset, "pass word").unwrap(), secret);
                }
            }
        }
        assert_eq!(
            combine(&[shares[0].as_str(), shares[1].as_str()], "pass word").unwrap_err(),
            Slip39Error::InsufficientShares {
                group: 1,
                have: 2,
                need: 3
            }
        );
        // A wrong passphrase gives another secret, undetectably (by design).
        assert_ne!(*combine(&shares[..3], "other").unwrap(), secret);
    }

    #[test]
    fn bad_layouts_are_refused() {
        let s = [1u8; 16];
        let bad = |o: SplitOptions| split(&s, &o).unwrap_err();
        assert!(matches!(
            bad(SplitOptions::single_group(1, 3)),
            Slip39Error::InvalidLayout(_)
        ));
        assert!(matches!(
            bad(SplitOptions::single_group(4, 3)),
            Slip39Error::InvalidLayout(_)
        ));
        assert!(matches!(
            bad(SplitOptions::single_group(2, 17)),
            Slip39Error::InvalidLayout(_)
        ));
        let mut o = SplitOptions::single_group(2, 3);
        o.group_threshold = 2;
        assert!(matches!(bad(o), Slip39Error::InvalidLayout(_)));
        assert_eq!(
            bad(SplitOptions::single_group(2, 3).with_passphrase("mot de passe é")),
            Slip39Error::InvalidPassphrase
        );
        assert_eq!(
            split(&[1u8; 15], &SplitOptions::single_group(2, 3)).unwrap_err(),
            Slip39Error::InvalidSecretLength { found: 15 }
        );
        assert_eq!(
            split(&[1u8; 34], &SplitOptions::single_group(2, 3)).unwrap_err(),
            Slip39Error::InvalidSecretLength { found: 34 }
        );
    }

    #[test]
    fn mnemonic_round_trip_and_errors_do_not_leak_words() {
        let m = Mnemonic::from_entropy(Language::English, &[0x42; 32]).unwrap();
        let groups = split_mnemonic(&m, &SplitOptions::single_group(2, 3)).unwrap();
        assert_eq!(groups[0][0].split(' ').count(), 33);
        let back = combine_to_mnemonic(&groups[0][1..], "", Language::English).unwrap();
        assert_eq!(*back.phrase(), *m.phrase());
        let first_word = groups[0][0].split(' ').next().unwrap().to_owned();
        let typo = groups[0][0].replacen(&first_word, "harborx", 1);
        let err = combine(&[typo.as_str(), groups[0][1].as_str()], "").unwrap_err();
        assert_eq!(
            err,
            Slip39Error::UnknownWord {
                share: 1,
                position: 1
            }
        );
        assert!(!err.to_string().contains(&first_word));
        let info = share_info(&groups[0][2]).unwrap();
        assert_eq!(
            (
                info.group,
                info.member,
                info.member_threshold,
                info.group_count
            ),
            (1, 3, 2, 1)
        );
    }
}
