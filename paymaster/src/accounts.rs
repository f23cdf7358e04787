//! Which accounts the relay sponsors and bundles: Harbor accounts (a proxy of the Harbor
//! implementation, or one the Harbor factory creates in the operation itself), or accounts whose
//! code the operator allowlisted. Only for those does the policy's reading of the call data (the
//! targets and selectors of `execute` / `executeBatch`) mean what it says, and only their
//! validation code is known to follow the ERC-7562 rules.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::SolCall;
use harbor_core::aa::{
    ERC1967_IMPLEMENTATION_SLOT, HarborAccount, IHarborAccountFactory, UserOperation, split_nonce,
};
use harbor_core::rpc::NodeClient;
use serde_json::json;

use crate::config::ChainConfig;
use crate::error::RpcFailure;
use crate::sponsor::Violation;

/// How long a deployed account's code check is trusted before it is read again.
const CODE_CHECK_TTL: Duration = Duration::from_secs(60);

/// What kind of account an operation comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    /// A Harbor account, deployed or created by this operation.
    Harbor,
    /// An account whose runtime code hash the operator allowlisted.
    Allowlisted(B256),
}

/// Checks what the relay can decide without the node, for an operation that creates its
/// account: the Harbor factory, `createAccount` of an owner and salt whose address is the
/// sender, and the first nonce of its key.
pub fn check_counterfactual(config: &ChainConfig, op: &UserOperation) -> Result<(), Violation> {
    let refuse = |message: String| Violation {
        rule: "harbor_accounts_only",
        message,
    };
    let factory = op.factory.unwrap_or_default();
    if factory != config.account_factory {
        return Err(refuse(format!(
            "accounts created by factory {factory} are not sponsored (only the Harbor factory {})",
            config.account_factory
        )));
    }
    let data = op.factory_data.clone().unwrap_or_default();
    let call = IHarborAccountFactory::createAccountCall::abi_decode(&data)
        .map_err(|_| refuse("the factory data is not createAccount(owner, salt)".into()))?;
    let account = HarborAccount {
        initial_owner: call.owner,
        salt: call.salt,
        factory: config.account_factory,
        implementation: config.account_implementation,
    };
    if account.address() != op.sender {
        return Err(refuse(format!(
            "the factory data creates {}, not the sender {}",
            account.address(),
            op.sender
        )));
    }
    if split_nonce(op.nonce).1 != 0 {
        return Err(Violation {
            rule: "nonce",
            message: "a new account's first operation has sequence number 0".into(),
        });
    }
    Ok(())
}

/// Deployed accounts checked recently, and the Harbor proxy's runtime code hash.
#[derive(Debug, Default)]
pub struct AccountChecks {
    checked: Mutex<HashMap<Address, (AccountKind, Instant)>>,
    proxy_code_hash: tokio::sync::OnceCell<B256>,
}

impl AccountChecks {
    /// The kind of the operation's account, or why it is not sponsored. Deployed accounts are
    /// read from the node (code, implementation slot; cached for a minute); the nonce must be
    /// the account's current one for its key (a stale or future nonce reserves nothing).
    pub async fn check(
        &self,
        config: &ChainConfig,
        node: &NodeClient,
        op: &UserOperation,
    ) -> Result<Result<AccountKind, Violation>, RpcFailure> {
        if op.factory.is_some() {
            return Ok(check_counterfactual(config, op).map(|()| AccountKind::Harbor));
        }
        let kind = match self.kind(config, node, op).await? {
            Ok(kind) => kind,
            Err(violation) => return Ok(Err(violation)),
        };
        let (key, sequence) = split_nonce(op.nonce);
        let current = node
            .entry_point_nonce(config.entry_point, op.sender, key.saturating_to())
            .await
            .map_err(RpcFailure::node)?;
        let current = split_nonce(current).1;
        if sequence != current {
            return Ok(Err(Violation {
                rule: "nonce",
                message: format!(
                    "the operation's sequence number {sequence} is not the account's next one ({current})"
                ),
            }));
        }
        Ok(Ok(kind))
    }

    /// The kind of the operation's account (no nonce check), or why it is not sponsored.
    pub async fn kind(
        &self,
        config: &ChainConfig,
        node: &NodeClient,
        op: &UserOperation,
    ) -> Result<Result<AccountKind, Violation>, RpcFailure> {
        if op.factory.is_some() {
            return Ok(check_counterfactual(config, op).map(|()| AccountKind::Harbor));
        }
        if let Some(kind) = self.cached(op.sender) {
            return Ok(Ok(kind));
        }
        let found = self.read_kind(config, node, op.sender).await?;
        if let (Ok(kind), Ok(mut checked)) = (&found, self.checked.lock()) {
            checked.insert(op.sender, (*kind, Instant::now()));
        }
        Ok(found)
    }

    fn cached(&self, sender: Address) -> Option<AccountKind> {
        let checked = self.checked.lock().ok()?;
        let (kind, at) = checked.get(&sender)?;
        (at.elapsed() < CODE_CHECK_TTL).then_some(*kind)
    }

    async fn read_kind(
        &self,
        config: &ChainConfig,
        node: &NodeClient,
        sender: Address,
    ) -> Result<Result<AccountKind, Violation>, RpcFailure> {
        let code = node.code(sender).await.map_err(RpcFailure::node)?;
        if code.is_empty() {
            return Ok(Err(Violation {
                rule: "harbor_accounts_only",
                message: format!(
                    "{sender} has no code and the operation does not create it with the Harbor factory"
                ),
            }));
        }
        let hash = keccak256(&code);
        if hash == self.proxy_code_hash(config, node).await? {
            let slot = node
                .storage_at(sender, ERC1967_IMPLEMENTATION_SLOT)
                .await
                .map_err(RpcFailure::node)?;
            let implementation = Address::from_word(slot);
            if implementation == config.account_implementation {
                return Ok(Ok(AccountKind::Harbor));
            }
            return Ok(Err(Violation {
                rule: "harbor_accounts_only",
                message: format!(
                    "{sender} is a proxy of {implementation}, not of the Harbor account implementation"
                ),
            }));
        }
        if config.allowed_account_code_hashes.contains(&hash) {
            return Ok(Ok(AccountKind::Allowlisted(hash)));
        }
        Ok(Err(Violation {
            rule: "harbor_accounts_only",
            message: format!(
                "{sender} is not a Harbor account (its code is not the Harbor proxy), so its calls cannot be checked"
            ),
        }))
    }

    /// The runtime code hash of a Harbor proxy: the proxy's creation code run by the node once.
    async fn proxy_code_hash(
        &self,
        config: &ChainConfig,
        node: &NodeClient,
    ) -> Result<B256, RpcFailure> {
        self.proxy_code_hash
            .get_or_try_init(|| async {
                let account = HarborAccount {
                    initial_owner: Address::repeat_byte(0x01),
                    salt: U256::ZERO,
                    factory: config.account_factory,
                    implementation: config.account_implementation,
                };
                let runtime: Bytes = serde_json::from_value(
                    node.raw(
                        "eth_call",
                        json!([{"data": account.proxy_init_code(), "gas": "0x989680"}, "latest"]),
                    )
                    .await
                    .map_err(RpcFailure::node)?,
                )
                .map_err(|e| RpcFailure::internal(format!("the proxy code: {e}")))?;
                Ok(keccak256(runtime))
            })
            .await
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counterfactual_account_must_come_from_the_harbor_factory() {
        let config = ChainConfig::new(1, "http://127.0.0.1:9", Address::repeat_byte(9));
        let account = HarborAccount::new(Address::repeat_byte(0x0e), U256::from(3));
        let op = UserOperation {
            sender: account.address(),
            factory: Some(account.factory),
            factory_data: Some(account.factory_data()),
            ..UserOperation::default()
        };
        assert_eq!(check_counterfactual(&config, &op), Ok(()));
        let mut other_factory = op.clone();
        other_factory.factory = Some(Address::repeat_byte(0xfa));
        assert!(check_counterfactual(&config, &other_factory).is_err());
        let mut other_sender = op.clone();
        other_sender.sender = Address::repeat_byte(0x55);
        assert!(
            check_counterfactual(&config, &other_sender)
                .unwrap_err()
                .message
                .contains("not the sender")
        );
        let mut junk = op.clone();
        junk.factory_data = Some(Bytes::from(vec![1, 2, 3]));
        assert!(check_counterfactual(&config, &junk).is_err());
        let mut later = op;
        later.nonce = U256::from(1);
        assert_eq!(
            check_counterfactual(&config, &later).unwrap_err().rule,
            "nonce"
        );
    }
}
