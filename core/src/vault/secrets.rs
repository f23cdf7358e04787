//! What a wallet keeps sealed: its recovery phrase and passphrase, or its private key.

use zeroize::Zeroizing;

use crate::keys::{HdRoot, Language, LocalSigner, Mnemonic};

use super::{VaultError, WalletKind};

/// The secret of one wallet, as sealed in its row.
pub(super) enum WalletSecret {
    Mnemonic {
        mnemonic: Mnemonic,
        passphrase: Zeroizing<String>,
    },
    PrivateKey(LocalSigner),
}

impl WalletSecret {
    /// Encodes: phrase = `language (1) ‖ entropy length (1) ‖ entropy ‖ passphrase (UTF-8)`;
    /// private key = its 32 bytes.
    pub(super) fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(80));
        match self {
            Self::Mnemonic {
                mnemonic,
                passphrase,
            } => {
                let language = Language::ALL
                    .iter()
                    .position(|l| *l == mnemonic.language())
                    .unwrap_or(0);
                let entropy = mnemonic.entropy();
                out.push(language as u8);
                out.push(entropy.len() as u8);
                out.extend_from_slice(&entropy);
                out.extend_from_slice(passphrase.as_bytes());
            }
            Self::PrivateKey(signer) => out.extend_from_slice(signer.to_bytes().as_ref()),
        }
        out
    }

    pub(super) fn decode(kind: WalletKind, bytes: &[u8]) -> Result<Self, VaultError> {
        let damaged = || VaultError::Corrupted("a wallet record does not decode".into());
        match kind {
            WalletKind::PrivateKey => LocalSigner::from_slice(bytes)
                .map(Self::PrivateKey)
                .map_err(|_| damaged()),
            WalletKind::Mnemonic => {
                let [language, len, rest @ ..] = bytes else {
                    return Err(damaged());
                };
                let language = *Language::ALL
                    .get(usize::from(*language))
                    .ok_or_else(damaged)?;
                let len = usize::from(*len);
                if rest.len() < len {
                    return Err(damaged());
                }
                let (entropy, passphrase) = rest.split_at(len);
                let mnemonic = Mnemonic::from_entropy(language, entropy).map_err(|_| damaged())?;
                let passphrase = std::str::from_utf8(passphrase).map_err(|_| damaged())?;
                Ok(Self::Mnemonic {
                    mnemonic,
                    passphrase: Zeroizing::new(passphrase.to_owned()),
                })
            }
        }
    }

    pub(super) fn hd_root(&self) -> Result<HdRoot, VaultError> {
        match self {
            Self::Mnemonic {
                mnemonic,
                passphrase,
            } => Ok(HdRoot::from_seed(&mnemonic.to_seed(passphrase))?),
            Self::PrivateKey(_) => Err(VaultError::NotAMnemonicWallet),
        }
    }
}
