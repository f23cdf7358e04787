//! Sending calls from a Harbor account: build the UserOperation, get it sponsored (ERC-7677),
//! estimate gas and submit through a bundler (ERC-7769), then follow it to inclusion.

use std::time::{Duration, Instant};

use alloy_primitives::aliases::U192;
use alloy_primitives::{Address, B256, Bytes, U256};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::account::{AccountCall, DUMMY_SIGNATURE, HarborAccount, encode_calls};
use super::owner::OwnerSigner;
use super::revert::decode_revert;
use super::user_operation::{
    ENTRY_POINT_V07, EntryPointVersion, UserOperation, user_operation_hash,
};
mod error;

pub use error::SendError;
use error::{bundler_reason, is_execution_failure, service, sponsor_error};

use crate::chains::Chain;
use crate::rpc::{BundlerClient, Connector, NodeClient, PaymasterClient, UserOperationReceipt};

/// Where a send is; reported to the UI as it happens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "stage",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum SendProgress {
    /// Reading the account's state, nonce and fees.
    Preparing,
    /// Asking the sponsor to pay for gas.
    Sponsoring,
    /// Signing with the owner key.
    Signing,
    /// Handed to the bundler; waiting for inclusion.
    Submitted {
        /// The UserOperation's hash.
        user_op_hash: B256,
    },
    /// Included on-chain and executed.
    Included {
        /// The UserOperation's hash.
        user_op_hash: B256,
        /// The bundle transaction.
        transaction_hash: Option<B256>,
    },
    /// It did not work; the reason is a sentence.
    Failed {
        /// What went wrong.
        reason: String,
    },
}

/// Who paid the gas of an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum GasPayer {
    /// A paymaster (a sponsor) paid.
    Sponsor {
        /// The paymaster contract.
        paymaster: Address,
        /// The sponsor's display name, if it gave one.
        name: Option<String>,
    },
    /// The account paid from its own ETH.
    Account,
}

/// The result of a completed send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendOutcome {
    /// The account that sent.
    pub sender: Address,
    /// The UserOperation's hash.
    pub user_op_hash: B256,
    /// The bundle transaction that included it.
    pub transaction_hash: Option<B256>,
    /// Block number of inclusion.
    pub block_number: Option<u64>,
    /// Wei charged for gas.
    pub actual_gas_cost: U256,
    /// Gas charged.
    pub actual_gas_used: U256,
    /// Who paid it.
    pub paid_by: GasPayer,
}

/// How to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendOptions {
    /// Ask the paymaster service to pay for gas (requires one); otherwise the account pays.
    pub sponsored: bool,
    /// `context` passed to the paymaster service (policy id, API-specific fields).
    pub paymaster_context: Value,
    /// Nonce key (parallel nonce lanes); 0 by default.
    pub nonce_key: U192,
    /// How often to poll for the receipt.
    pub poll_interval: Duration,
    /// How long to wait for inclusion.
    pub timeout: Duration,
    /// The owner's form of signature while gas is estimated (`OwnerSigner::dummy_signature`;
    /// set by `send_calls`); a secp256k1 signature when unset.
    pub dummy_signature: Option<Bytes>,
}

impl Default for SendOptions {
    fn default() -> Self {
        SendOptions {
            sponsored: true,
            paymaster_context: Value::Null,
            nonce_key: U192::ZERO,
            poll_interval: Duration::from_millis(500),
            timeout: Duration::from_secs(120),
            dummy_signature: None,
        }
    }
}

/// A UserOperation ready to sign: everything but the owner's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreparedOperation {
    /// The operation (signature field empty).
    pub user_operation: UserOperation,
    /// The hash the owner signs.
    pub user_op_hash: B256,
    /// Who will pay the gas.
    pub paid_by: GasPayer,
    /// Worst-case gas cost in wei (what the payer must be able to cover).
    pub max_gas_cost: U256,
    /// Whether this operation deploys the account.
    pub deploys_account: bool,
}

/// Sends UserOperations for Harbor accounts on one chain.
#[derive(Debug)]
pub struct AccountClient {
    chain_id: u64,
    entry_point: Address,
    version: EntryPointVersion,
    node: NodeClient,
    bundler: BundlerClient,
    paymaster: Option<PaymasterClient>,
}

impl AccountClient {
    /// A client for `chain_id` using the node at `node_url` and the bundler at `bundler_url`.
    #[cfg(feature = "http")]
    pub fn new(chain_id: u64, node_url: &str, bundler_url: &str) -> Result<Self, SendError> {
        Ok(AccountClient {
            chain_id,
            entry_point: ENTRY_POINT_V07,
            version: EntryPointVersion::V07,
            node: NodeClient::new(node_url).map_err(service("node"))?,
            bundler: BundlerClient::new(bundler_url).map_err(service("bundler"))?,
            paymaster: None,
        })
    }

    /// A client for `chain` (its first node, its bundler and paymaster when set), reaching each
    /// endpoint through `connector`.
    pub fn for_chain(chain: &Chain, connector: &dyn Connector) -> Result<Self, SendError> {
        let bundler_url = chain.bundler_url.as_deref().ok_or(SendError::NoBundler {
            chain_id: chain.chain_id,
        })?;
        let node_url = chain.rpc_urls.first().map(String::as_str).unwrap_or("");
        let paymaster = match chain.paymaster_url.as_deref() {
            Some(url) => Some(PaymasterClient::from_transport(
                connector.connect(url).map_err(service("paymaster"))?,
            )),
            None => None,
        };
        Ok(AccountClient {
            chain_id: chain.chain_id,
            entry_point: ENTRY_POINT_V07,
            version: EntryPointVersion::V07,
            node: NodeClient::from_transport(connector.connect(node_url).map_err(service("node"))?),
            bundler: BundlerClient::from_transport(
                connector.connect(bundler_url).map_err(service("bundler"))?,
            ),
            paymaster,
        })
    }

    /// Uses the ERC-7677 paymaster service at `url` for sponsored sends.
    #[cfg(feature = "http")]
    pub fn with_paymaster(self, url: &str) -> Result<Self, SendError> {
        self.with_paymaster_via(url, &crate::rpc::HttpConnector::default())
    }

    /// Uses the ERC-7677 paymaster service at `url`, reached through `connector`, for
    /// sponsored sends.
    pub fn with_paymaster_via(
        mut self,
        url: &str,
        connector: &dyn Connector,
    ) -> Result<Self, SendError> {
        let transport = connector.connect(url).map_err(service("paymaster"))?;
        self.paymaster = Some(PaymasterClient::from_transport(transport));
        Ok(self)
    }

    /// The node client (balances, calls).
    pub fn node(&self) -> &NodeClient {
        &self.node
    }

    /// The bundler client.
    pub fn bundler(&self) -> &BundlerClient {
        &self.bundler
    }

    /// The chain this client sends on.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The EntryPoint used.
    pub fn entry_point(&self) -> Address {
        self.entry_point
    }

    /// Checks that the node and bundler are on this chain and the bundler supports the EntryPoint.
    pub async fn check_services(&self) -> Result<(), SendError> {
        let found = self.node.chain_id().await.map_err(service("node"))?;
        if found != self.chain_id {
            return Err(SendError::WrongChain {
                service: "node",
                expected: self.chain_id,
                found,
            });
        }
        let found = self.bundler.chain_id().await.map_err(service("bundler"))?;
        if found != self.chain_id {
            return Err(SendError::WrongChain {
                service: "bundler",
                expected: self.chain_id,
                found,
            });
        }
        let supported = self
            .bundler
            .supported_entry_points()
            .await
            .map_err(service("bundler"))?;
        if !supported.contains(&self.entry_point) {
            return Err(SendError::UnsupportedEntryPoint(self.entry_point));
        }
        Ok(())
    }

    /// Builds, sponsors and estimates the operation for `calls`; the result only needs signing.
    pub async fn prepare(
        &self,
        account: &HarborAccount,
        calls: &[AccountCall],
        options: &SendOptions,
        progress: &(dyn Fn(SendProgress) + Send + Sync),
    ) -> Result<PreparedOperation, SendError> {
        if calls.is_empty() {
            return Err(SendError::NoCalls);
        }
        progress(SendProgress::Preparing);
        let sender = account.address();
        let code = self.node.code(sender).await.map_err(service("node"))?;
        let deploys_account = code.is_empty();
        let nonce = self
            .node
            .entry_point_nonce(self.entry_point, sender, options.nonce_key)
            .await
            .map_err(service("node"))?;
        let fees = self.node.fees().await.map_err(service("node"))?;
        let mut op = UserOperation {
            sender,
            nonce,
            factory: deploys_account.then_some(account.factory),
            factory_data: deploys_account.then(|| account.factory_data()),
            call_data: encode_calls(calls),
            max_fee_per_gas: fees.max_fee_per_gas,
            max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
            signature: options
                .dummy_signature
                .clone()
                .unwrap_or_else(|| Bytes::copy_from_slice(&DUMMY_SIGNATURE)),
            ..UserOperation::default()
        };

        let mut paid_by = GasPayer::Account;
        let mut is_final = false;
        let paymaster = match (options.sponsored, &self.paymaster) {
            (true, Some(paymaster)) => Some(paymaster),
            (true, None) => {
                return Err(SendError::SponsorshipRefused {
                    reason: "no sponsor is configured for this network".into(),
                });
            }
            (false, _) => None,
        };
        if let Some(paymaster) = paymaster {
            progress(SendProgress::Sponsoring);
            let stub = paymaster
                .stub_data(
                    &op,
                    self.entry_point,
                    self.chain_id,
                    &options.paymaster_context,
                )
                .await
                .map_err(sponsor_error)?;
            op.paymaster = Some(stub.paymaster);
            op.paymaster_data = Some(stub.paymaster_data);
            op.paymaster_verification_gas_limit = stub.paymaster_verification_gas_limit;
            op.paymaster_post_op_gas_limit = stub.paymaster_post_op_gas_limit;
            is_final = stub.is_final;
            paid_by = GasPayer::Sponsor {
                paymaster: stub.paymaster,
                name: stub.sponsor.map(|s| s.name),
            };
        }

        let estimate = self
            .bundler
            .estimate_user_operation_gas(&op, self.entry_point)
            .await
            .map_err(|e| match bundler_reason(&e) {
                Some(reason) if is_execution_failure(&e) => SendError::Reverted {
                    user_op_hash: None,
                    reason,
                },
                Some(reason) => SendError::Rejected { reason },
                None => SendError::Service {
                    service: "bundler",
                    source: e,
                },
            })?;
        op.pre_verification_gas = estimate.pre_verification_gas;
        op.verification_gas_limit = estimate.verification_gas_limit;
        op.call_gas_limit = estimate.call_gas_limit;
        if op.paymaster.is_some() {
            if op.paymaster_verification_gas_limit.is_none() {
                op.paymaster_verification_gas_limit = estimate.paymaster_verification_gas_limit;
            }
            if op.paymaster_post_op_gas_limit.is_none() {
                op.paymaster_post_op_gas_limit = estimate.paymaster_post_op_gas_limit;
            }
        }
        op.check_limits()?;
        let max_gas_cost = op.max_gas_cost();

        if let Some(paymaster) = paymaster {
            if !is_final {
                let data = paymaster
                    .data(
                        &op,
                        self.entry_point,
                        self.chain_id,
                        &options.paymaster_context,
                    )
                    .await
                    .map_err(sponsor_error)?;
                op.paymaster = Some(data.paymaster);
                op.paymaster_data = Some(data.paymaster_data);
            }
        } else {
            let balance = self.node.balance(sender).await.map_err(service("node"))?;
            let deposit = self
                .node
                .entry_point_deposit(self.entry_point, sender)
                .await
                .map_err(service("node"))?;
            let available = balance.saturating_add(deposit);
            if available < max_gas_cost {
                return Err(SendError::InsufficientFunds {
                    needed: max_gas_cost,
                    available,
                });
            }
        }
        op.signature = Bytes::new();
        let user_op_hash = user_operation_hash(&op, self.version, self.entry_point, self.chain_id);
        Ok(PreparedOperation {
            user_operation: op,
            user_op_hash,
            paid_by,
            max_gas_cost,
            deploys_account,
        })
    }

    /// Signs a prepared operation as the account's owner.
    pub fn sign(
        &self,
        prepared: &mut PreparedOperation,
        signer: &dyn OwnerSigner,
    ) -> Result<(), SendError> {
        prepared.user_operation.signature = signer.sign_owner(&prepared.user_op_hash)?;
        Ok(())
    }

    /// Submits a signed operation to the bundler; returns its hash.
    pub async fn submit(&self, prepared: &PreparedOperation) -> Result<B256, SendError> {
        let reported = self
            .bundler
            .send_user_operation(&prepared.user_operation, self.entry_point)
            .await
            .map_err(|e| match bundler_reason(&e) {
                Some(reason) => SendError::Rejected { reason },
                None => SendError::Service {
                    service: "bundler",
                    source: e,
                },
            })?;
        if reported != prepared.user_op_hash {
            return Err(SendError::HashMismatch {
                expected: prepared.user_op_hash,
                reported,
            });
        }
        Ok(reported)
    }

    /// Waits for the operation's receipt.
    pub async fn wait(
        &self,
        user_op_hash: B256,
        options: &SendOptions,
    ) -> Result<UserOperationReceipt, SendError> {
        let started = Instant::now();
        loop {
            if let Some(receipt) = self
                .bundler
                .user_operation_receipt(user_op_hash)
                .await
                .map_err(service("bundler"))?
            {
                return Ok(receipt);
            }
            if started.elapsed() >= options.timeout {
                return Err(SendError::Timeout {
                    user_op_hash,
                    seconds: options.timeout.as_secs(),
                });
            }
            tokio::time::sleep(options.poll_interval).await;
        }
    }

    /// Sends `calls` from `account`, reporting progress; returns once included.
    pub async fn send_calls(
        &self,
        account: &HarborAccount,
        signer: &dyn OwnerSigner,
        calls: &[AccountCall],
        options: &SendOptions,
        progress: &(dyn Fn(SendProgress) + Send + Sync),
    ) -> Result<SendOutcome, SendError> {
        let result = self
            .send_inner(account, signer, calls, options, progress)
            .await;
        if let Err(error) = &result {
            progress(SendProgress::Failed {
                reason: error.to_string(),
            });
        }
        result
    }

    async fn send_inner(
        &self,
        account: &HarborAccount,
        signer: &dyn OwnerSigner,
        calls: &[AccountCall],
        options: &SendOptions,
        progress: &(dyn Fn(SendProgress) + Send + Sync),
    ) -> Result<SendOutcome, SendError> {
        let mut options = options.clone();
        options
            .dummy_signature
            .get_or_insert_with(|| signer.dummy_signature());
        let options = &options;
        let mut prepared = self.prepare(account, calls, options, progress).await?;
        progress(SendProgress::Signing);
        self.sign(&mut prepared, signer)?;
        let user_op_hash = self.submit(&prepared).await?;
        progress(SendProgress::Submitted { user_op_hash });
        let receipt = self.wait(user_op_hash, options).await?;
        if !receipt.success {
            let reason = receipt
                .reason
                .as_ref()
                .map(|data| decode_revert(data))
                .unwrap_or_else(|| "the account's call reverted".into());
            return Err(SendError::Reverted {
                user_op_hash: Some(user_op_hash),
                reason,
            });
        }
        let paid_by = match (&prepared.paid_by, receipt.paymaster) {
            (GasPayer::Sponsor { name, .. }, Some(paymaster)) => GasPayer::Sponsor {
                paymaster,
                name: name.clone(),
            },
            (_, Some(paymaster)) => GasPayer::Sponsor {
                paymaster,
                name: None,
            },
            (_, None) => GasPayer::Account,
        };
        let outcome = SendOutcome {
            sender: receipt.sender,
            user_op_hash,
            transaction_hash: receipt.transaction_hash(),
            block_number: receipt.block_number(),
            actual_gas_cost: receipt.actual_gas_cost,
            actual_gas_used: receipt.actual_gas_used,
            paid_by,
        };
        progress(SendProgress::Included {
            user_op_hash,
            transaction_hash: outcome.transaction_hash,
        });
        Ok(outcome)
    }
}
