//! Guardians on every network (the account's settings are the same everywhere), their names in
//! the vault, advice on a set, and invitations.

use alloy_primitives::Address;

use super::{Wallet, WalletError, WalletResult};
use crate::aa::SendProgress;
use crate::recovery::{
    self, Guardian, GuardianKind, GuardianWarning, Invitation, InvitationReply, Payload,
};

/// The guardians of an account on one network.
#[derive(Debug)]
pub struct GuardianSet {
    /// The network.
    pub chain_id: u64,
    /// Its name.
    pub chain_name: String,
    /// Whether the account exists there yet.
    pub deployed: bool,
    /// The guardians, named as the person named them (a person when not named here).
    pub guardians: Vec<Guardian>,
    /// Approvals a recovery needs.
    pub threshold: u32,
    /// Seconds between the start of a recovery and when it can complete.
    pub security_delay_seconds: u64,
    /// Why the network could not be read.
    pub error: Option<WalletError>,
}

/// Advice on a guardian set before it is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardianAdvice {
    /// The threshold Harbor suggests for this many guardians.
    pub suggested_threshold: u32,
    /// What to know about the set, most serious first.
    pub warnings: Vec<GuardianWarning>,
}

/// Advice on `count` guardians with `threshold`.
pub fn guardian_advice(count: u32, threshold: u32) -> GuardianAdvice {
    GuardianAdvice {
        suggested_threshold: recovery::suggested_threshold(count as usize),
        warnings: recovery::review_guardians(count as usize, threshold),
    }
}

impl Wallet {
    /// The guardians of `account` on every active network, with the names kept in the vault.
    pub async fn guardians(&self, account: Address) -> WalletResult<Vec<GuardianSet>> {
        let named = self.unlocked(|v| Ok(v.guardians(account)?))?;
        let client = self.recovery_client()?;
        let mut out = Vec::new();
        for chain in self.active_chains()? {
            let state = client.account_state(chain.chain_id, account).await;
            let (deployed, guardians, threshold, delay, error) = match state {
                Ok(s) => (s.deployed, s.guardians, s.threshold, s.security_delay, None),
                Err(e) => (false, Vec::new(), 0, 0, Some(WalletError::from(e))),
            };
            let guardians = guardians
                .into_iter()
                .map(|address| {
                    named
                        .iter()
                        .find(|n| n.address == address)
                        .cloned()
                        .unwrap_or(Guardian {
                            address,
                            name: String::new(),
                            kind: GuardianKind::Person,
                        })
                })
                .collect();
            out.push(GuardianSet {
                chain_id: chain.chain_id,
                chain_name: chain.name.clone(),
                deployed,
                guardians,
                threshold,
                security_delay_seconds: delay,
                error,
            });
        }
        Ok(out)
    }

    /// Makes `guardians` (with `threshold`) the guardians of `account` on every active network
    /// (one owner-signed setting, applied by a sponsored operation where it is missing); their
    /// names are kept in the vault. Returns how many networks needed a change.
    pub async fn set_guardians(
        &self,
        account: Address,
        guardians: &[Guardian],
        threshold: u32,
        progress: &(dyn Fn(u64, SendProgress) + Send + Sync),
    ) -> WalletResult<u32> {
        let desired: Vec<Address> = guardians.iter().map(|g| g.address).collect();
        let (signer, harbor) = self.signer_for(account).await?;
        let changed = self
            .recovery_client()?
            .set_guardians(&harbor, &signer, &desired, threshold, progress)
            .await?
            .len() as u32;
        self.unlocked(|v| {
            for old in v.guardians(account)? {
                if !desired.contains(&old.address) {
                    v.remove_guardian(account, old.address)?;
                }
            }
            for g in guardians {
                v.save_guardian(account, g)?;
            }
            Ok(())
        })?;
        Ok(changed)
    }

    /// An invitation (a link, also the QR content) asking someone to guard `account` on every
    /// active network.
    pub fn create_invitation(
        &self,
        account: Address,
        owner_name: &str,
        kind: GuardianKind,
    ) -> WalletResult<String> {
        let chains = self.active_chains()?.iter().map(|c| c.chain_id).collect();
        Ok(Invitation {
            account,
            chains,
            owner_name: recovery::clean_note(owner_name),
            kind,
        }
        .to_link())
    }

    /// As the invited guardian: the reply to send back, naming the key of `account` (one of
    /// this wallet's) as the guardian.
    pub async fn accept_invitation(
        &self,
        link: &str,
        account: Address,
        name: &str,
    ) -> WalletResult<String> {
        let invitation = Invitation::from_link(link.trim())?;
        let (signer, _) = self.signer_for(account).await?;
        Ok(invitation
            .accept(crate::keys::Signer::address(&signer), name)
            .to_link())
    }
}

/// As the owner: the guardian an invitation reply names.
pub fn read_invitation_reply(link: &str) -> WalletResult<InvitationReply> {
    Ok(InvitationReply::from_link(link.trim())?)
}
