//! The wallet application layer: what a person does with Harbor, written once for every shell.
//!
//! A [`Wallet`] owns the shared vault, reads the networks from it, builds the per-chain clients
//! and remembers where recovered accounts were created. The desktop app's commands and the
//! mobile bindings' methods are one-line adapters over it: they parse nothing but the shell's
//! own records and convert results back.
//!
//! One job per file: `accounts` (the accounts and the one rule for which key signs for which
//! account), `send` (balances, review, send, the activity record), `activity`, `guardians`
//! (guardians on every chain, invitations), `recovery` (recovering on a new device, approving as
//! a guardian, the owner's alerts and cancel), `signing` (ERC-1271 / ERC-6492 signatures by
//! the smart account), `submit` (sends that return once the bundler has them), `sponsors` (gas
//! sponsors added by their profile link) and `error`.

mod accounts;
mod activity;
mod error;
mod guardians;
mod recovery;
mod send;
mod signing;
mod sponsors;
mod submit;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use alloy_primitives::Address;

use crate::aa::{AccountClient, HarborAccount};
use crate::chains::{Chain, ChainRegistry};
use crate::recovery::RecoveryClient;
use crate::rpc::{Connector, NodeClient};
use crate::vault::{Vault, VaultError};

pub use accounts::{NewWallet, WalletAccount};
pub use activity::Activity;
pub use error::WalletError;
pub use guardians::{GuardianAdvice, GuardianSet, guardian_advice, read_invitation_reply};
pub use recovery::{
    Alert, AlertKind, ChainRecoveryStatus, DEFAULT_APPROVAL_VALIDITY, RecoveryStatus,
    RequestSummary,
};
pub use send::{
    ChainBalances, Receipt, SendRecord, SendRequest, SendReview, TokenAmount, now, send_recorded,
    sponsor_name,
};
pub use sponsors::{NoticeKind, RecoveryNotice};
pub use submit::{Payment, Submitted};

/// A vault shared between the app's tasks.
pub type SharedVault = Arc<Mutex<Vault>>;

/// Results of the application layer.
pub type WalletResult<T> = Result<T, WalletError>;

/// An owner key the app holds, and the account it owns.
type ExternalOwner = (Arc<dyn crate::aa::OwnerSigner>, HarborAccount);

/// The wallet a person uses: their vault, its networks and the clients that reach them.
pub struct Wallet {
    vault: SharedVault,
    connector: Arc<dyn Connector>,
    /// Accounts recovered to this device, as they were created (found once from the chain).
    located: Mutex<HashMap<Address, HarborAccount>>,
    /// Accounts whose owner key lives outside the vault (a platform key, a passkey), handed in
    /// by the app at each start.
    external: Mutex<HashMap<Address, ExternalOwner>>,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet").finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Parses an address typed or pasted by a person (spaces around it are ignored).
pub fn parse_address(text: &str) -> WalletResult<Address> {
    let t = text.trim();
    t.parse()
        .map_err(|_| WalletError::InvalidAddress(t.chars().take(80).collect()))
}

impl Wallet {
    /// The wallet over `vault`, reaching networks over the built-in HTTP stack.
    #[cfg(feature = "http")]
    pub fn new(vault: SharedVault) -> Self {
        Self::with_connector(vault, Arc::new(crate::rpc::HttpConnector::default()))
    }

    /// The wallet over `vault`, reaching networks through `connector`.
    pub fn with_connector(vault: SharedVault, connector: Arc<dyn Connector>) -> Self {
        Wallet {
            vault,
            connector,
            located: Mutex::new(HashMap::new()),
            external: Mutex::new(HashMap::new()),
        }
    }

    /// Signs for the account of `owner` (a platform key or a passkey the app holds) from now on:
    /// sends, batches and dApp signatures from it work as for the vault's accounts. Returns the
    /// account's address (the same on every chain). The app hands its keys in at each start;
    /// the vault stores nothing of them.
    pub fn add_external_owner(&self, owner: Arc<dyn crate::aa::OwnerSigner>) -> Address {
        let account = HarborAccount::new(owner.owner(), alloy_primitives::U256::ZERO);
        let address = account.address();
        lock(&self.external).insert(address, (owner, account));
        address
    }

    /// Who signs for `account` and the account as created: an external owner the app handed in,
    /// or the vault's key (see [`Wallet::signer_for`]).
    pub async fn owner_for(
        &self,
        account: Address,
    ) -> WalletResult<(Arc<dyn crate::aa::OwnerSigner>, HarborAccount)> {
        if let Some(found) = lock(&self.external).get(&account).cloned() {
            return Ok(found);
        }
        let (signer, harbor) = self.signer_for(account).await?;
        Ok((Arc::new(signer), harbor))
    }

    /// The vault this wallet works on.
    pub fn vault(&self) -> &SharedVault {
        &self.vault
    }

    /// Runs `f` on the vault, locked or not.
    pub fn with_vault<T>(&self, f: impl FnOnce(&mut Vault) -> WalletResult<T>) -> WalletResult<T> {
        f(&mut lock(&self.vault))
    }

    /// Runs `f` on the vault once it is unlocked ([`VaultError::Locked`] otherwise).
    pub fn unlocked<T>(&self, f: impl FnOnce(&mut Vault) -> WalletResult<T>) -> WalletResult<T> {
        self.with_vault(|v| {
            if !v.is_unlocked() {
                return Err(VaultError::Locked.into());
            }
            f(v)
        })
    }

    /// Every network the vault knows (built-in, changed and added).
    pub fn registry(&self) -> WalletResult<ChainRegistry> {
        self.unlocked(|v| Ok(v.chain_registry()?))
    }

    /// The networks the smart account works on (a bundler is configured), by chain id.
    pub fn active_chains(&self) -> WalletResult<Vec<Chain>> {
        let mut chains: Vec<Chain> = self
            .registry()?
            .list()
            .into_iter()
            .filter(|c| c.bundler_url.is_some())
            .collect();
        chains.sort_by_key(|c| c.chain_id);
        Ok(chains)
    }

    /// The network `chain_id`.
    pub fn chain(&self, chain_id: u64) -> WalletResult<Chain> {
        Ok(self.registry()?.get(chain_id)?.clone())
    }

    /// A network's name, or "chain N" for one the vault does not know.
    pub fn chain_name(&self, registry: &ChainRegistry, chain_id: u64) -> String {
        registry
            .get(chain_id)
            .map(|c| c.name.clone())
            .unwrap_or_else(|_| format!("chain {chain_id}"))
    }

    /// The node of `chain`.
    pub fn node(&self, chain: &Chain) -> WalletResult<NodeClient> {
        let url = chain.rpc_urls.first().map(String::as_str).unwrap_or("");
        Ok(NodeClient::from_transport(self.connector.connect(url)?))
    }

    /// The client that sends from smart accounts on `chain` (needs its bundler).
    pub fn account_client(&self, chain: &Chain) -> WalletResult<AccountClient> {
        Ok(AccountClient::for_chain(chain, self.connector.as_ref())?)
    }

    /// The recovery client over every active network.
    pub fn recovery_client(&self) -> WalletResult<RecoveryClient> {
        let mut client = RecoveryClient::new();
        for chain in self.active_chains()? {
            client = client.with_chain(self.account_client(&chain)?);
        }
        Ok(client)
    }
}
