//! Loading the signer and relayer keys from the environment, a file or the OS keyring.

use harbor_core::keys::LocalSigner;
use zeroize::Zeroizing;

use crate::config::KeySource;

/// Why a key could not be loaded (never contains key material).
#[derive(Debug, thiserror::Error)]
pub enum KeyLoadError {
    /// The environment variable is not set.
    #[error("the environment variable {0} is not set")]
    MissingEnv(String),
    /// The key file cannot be read.
    #[error("cannot read the key file {path}: {message}")]
    File {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// The keyring has no such entry or is unavailable.
    #[error("the OS keyring has no usable entry {service}/{user}: {message}")]
    Keyring {
        /// Service name.
        service: String,
        /// User name.
        user: String,
        /// Why.
        message: String,
    },
    /// The text is not a valid private key.
    #[error("the {what} key is not a valid private key: {reason}")]
    Invalid {
        /// "signer" or "relayer".
        what: &'static str,
        /// The parser's reason (no key material).
        reason: String,
    },
}

/// Loads the key described by `source`; `what` names it in errors.
pub fn load_key(source: &KeySource, what: &'static str) -> Result<LocalSigner, KeyLoadError> {
    let text = load_secret(source)?;
    LocalSigner::from_hex(text.trim()).map_err(|e| KeyLoadError::Invalid {
        what,
        reason: e.to_string(),
    })
}

/// Reads the secret text described by `source` (a key, a webhook secret), trimmed.
pub fn load_secret(source: &KeySource) -> Result<Zeroizing<String>, KeyLoadError> {
    let text: Zeroizing<String> =
        match source {
            KeySource::Env(name) => Zeroizing::new(
                std::env::var(name).map_err(|_| KeyLoadError::MissingEnv(name.clone()))?,
            ),
            KeySource::File(path) => Zeroizing::new(std::fs::read_to_string(path).map_err(
                |e| KeyLoadError::File {
                    path: path.display().to_string(),
                    message: e.to_string(),
                },
            )?),
            KeySource::Keyring { service, user } => read_keyring(service, user)?,
        };
    Ok(Zeroizing::new(text.trim().to_owned()))
}

#[cfg(feature = "os-keyring")]
fn read_keyring(service: &str, user: &str) -> Result<Zeroizing<String>, KeyLoadError> {
    let error = |message: String| KeyLoadError::Keyring {
        service: service.into(),
        user: user.into(),
        message,
    };
    let entry = keyring::Entry::new(service, user).map_err(|e| error(e.to_string()))?;
    entry
        .get_password()
        .map(Zeroizing::new)
        .map_err(|e| error(e.to_string()))
}

#[cfg(not(feature = "os-keyring"))]
fn read_keyring(service: &str, user: &str) -> Result<Zeroizing<String>, KeyLoadError> {
    Err(KeyLoadError::Keyring {
        service: service.into(),
        user: user.into(),
        message: "this build has no OS keyring support (build with --features os-keyring)".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use harbor_core::keys::Signer;

    #[test]
    fn file_keys_and_errors_without_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        let key = "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6";
        std::fs::write(&path, format!("{key}\n")).unwrap();
        let signer = load_key(&KeySource::File(path.clone()), "signer").unwrap();
        assert_eq!(
            signer.address().to_string(),
            "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"
        );
        std::fs::write(&path, "0x1234deadbeef").unwrap();
        let error = load_key(&KeySource::File(path), "signer").unwrap_err();
        assert!(!error.to_string().contains("deadbeef"), "{error}");
        assert!(matches!(
            load_key(&KeySource::Env("HARBOR_TEST_NO_SUCH_VAR".into()), "relayer"),
            Err(KeyLoadError::MissingEnv(_))
        ));
    }
}
