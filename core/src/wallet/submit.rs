//! Sends that return as soon as the bundler has the operation (EIP-5792 batches), and the
//! status of such an operation later, keeping the activity list in step.

use alloy_primitives::{Address, B256};
use serde_json::Value;

use super::send::sponsor_name;
use super::{Wallet, WalletResult, now};
use crate::aa::{AccountCall, GasPayer, SendError, SendOptions};
use crate::rpc::UserOperationReceipt;
use crate::vault::{ActivityEntry, ActivityStatus};

/// Who pays for an operation sent with [`Wallet::submit_calls`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payment {
    /// The network's sponsor where it has one, otherwise the account.
    Default,
    /// An ERC-7677 paymaster service named by the app that asks (EIP-5792 `paymasterService`).
    Service {
        /// The service's URL.
        url: String,
        /// The `context` passed to it.
        context: Value,
    },
}

/// An operation handed to the bundler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    /// Its hash.
    pub user_op_hash: B256,
    /// Who will pay the gas.
    pub paid_by: GasPayer,
}

impl Wallet {
    /// Prepares, signs and submits `calls` from `account` on `chain_id` in one operation; returns
    /// once the bundler has it, with the activity list showing it pending as `description`.
    pub async fn submit_calls(
        &self,
        account: Address,
        chain_id: u64,
        calls: &[AccountCall],
        payment: &Payment,
        description: &str,
    ) -> WalletResult<Submitted> {
        let chain = self.chain(chain_id)?;
        let (signer, harbor) = self.owner_for(account).await?;
        let mut client = self.account_client(&chain)?;
        let mut options = SendOptions {
            sponsored: chain.paymaster_url.is_some(),
            ..SendOptions::default()
        };
        if let Payment::Service { url, context } = payment {
            client = client.with_paymaster_via(url, self.connector.as_ref())?;
            options.sponsored = true;
            options.paymaster_context = context.clone();
        }
        options.dummy_signature = Some(signer.dummy_signature());
        let mut prepared = client.prepare(&harbor, calls, &options, &|_| {}).await?;
        client.sign(&mut prepared, signer.as_ref())?;
        let user_op_hash = client.submit(&prepared).await?;
        let entry = ActivityEntry {
            id: user_op_hash.to_string(),
            chain_id,
            account,
            description: description.to_owned(),
            status: ActivityStatus::Pending,
            transaction_hash: None,
            gas_cost_wei: None,
            sponsor: sponsor_name(&prepared.paid_by),
            error: None,
            created_at: now(),
            transfer: None,
        };
        if let Err(error) = self.with_vault(|v| Ok(v.record_activity(&entry)?)) {
            tracing::warn!(%error, "could not record an activity entry");
        }
        Ok(Submitted {
            user_op_hash,
            paid_by: prepared.paid_by,
        })
    }

    /// The receipt of a submitted operation (`None` while it is pending); once it is included,
    /// its activity entry is marked confirmed or failed.
    pub async fn operation_status(
        &self,
        chain_id: u64,
        user_op_hash: B256,
    ) -> WalletResult<Option<UserOperationReceipt>> {
        let chain = self.chain(chain_id)?;
        let client = self.account_client(&chain)?;
        let receipt = client
            .bundler()
            .user_operation_receipt(user_op_hash)
            .await
            .map_err(|source| SendError::Service {
                service: "bundler",
                source,
            })?;
        if let Some(r) = &receipt {
            let id = user_op_hash.to_string();
            let _ = self.with_vault(|v| {
                let Some(mut entry) = v
                    .activity(Some(r.sender), 200)?
                    .into_iter()
                    .find(|e| e.id == id && e.status == ActivityStatus::Pending)
                else {
                    return Ok(());
                };
                entry.status = if r.success {
                    ActivityStatus::Confirmed
                } else {
                    ActivityStatus::Failed
                };
                entry.transaction_hash = r.transaction_hash().map(|h| h.to_string());
                entry.gas_cost_wei = Some(r.actual_gas_cost.to_string());
                Ok(v.record_activity(&entry)?)
            });
        }
        Ok(receipt)
    }
}
