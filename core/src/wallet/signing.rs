//! Signatures by the person's smart account, as dApps ask for them (`personal_sign`,
//! `eth_signTypedData_v4`): ERC-1271 signatures the deployed account accepts, and the ERC-6492
//! form while it does not exist yet on that chain.

use alloy_primitives::{Address, Bytes};

use super::{Wallet, WalletError, WalletResult};
use crate::aa::sign_as_account;
use crate::evm::{TypedData, TypedDataError, personal_message_hash, typed_data_hash};

impl Wallet {
    /// `personal_sign` of `message` by the smart account `account` on `chain_id`.
    pub async fn sign_message(
        &self,
        account: Address,
        chain_id: u64,
        message: &[u8],
    ) -> WalletResult<Bytes> {
        self.sign_hash_as(account, chain_id, personal_message_hash(message))
            .await
    }

    /// `eth_signTypedData_v4` of `data` by the smart account `account` on `chain_id`; a domain
    /// naming another chain is refused.
    pub async fn sign_typed_data(
        &self,
        account: Address,
        chain_id: u64,
        data: &TypedData,
    ) -> WalletResult<Bytes> {
        if let Some(found) = data.domain().chain_id {
            let found: u64 = found.try_into().unwrap_or(u64::MAX);
            if found != chain_id {
                return Err(TypedDataError::ChainMismatch {
                    expected: chain_id,
                    found,
                }
                .into());
            }
        }
        self.sign_hash_as(account, chain_id, typed_data_hash(data)?)
            .await
    }

    async fn sign_hash_as(
        &self,
        account: Address,
        chain_id: u64,
        hash: alloy_primitives::B256,
    ) -> WalletResult<Bytes> {
        let (signer, harbor) = self.owner_for(account).await?;
        let chain = self.chain(chain_id)?;
        let deployed = !self.node(&chain)?.code(account).await?.is_empty();
        // An ERC-6492 signature deploys the account for its first key; a key that took the
        // account over through a recovery would sign for an account it does not own there.
        if !deployed && harbor.initial_owner != signer.owner() {
            return Err(WalletError::NotDeployedForThisKey { chain_id });
        }
        Ok(sign_as_account(
            signer.as_ref(),
            &harbor,
            chain_id,
            hash,
            deployed,
        )?)
    }
}
