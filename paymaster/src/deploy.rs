//! Readying a chain for Harbor (`harbor-paymaster deploy`): the EntryPoint v0.7 at its canonical
//! address, the Harbor account implementation, factory and paymaster at their deterministic
//! addresses (the same on every chain for the same paymaster owner and signers), and the
//! paymaster's deposit and stake in the EntryPoint.
//!
//! Idempotent: each contract is created through the deterministic deployment proxy only when its
//! address (computed here from the creation code, never taken from the node) has no code, and the
//! deposit and stake are only topped up to the amounts asked. Every address is then checked: code
//! present and the contract answering as expected (the factory's implementation, the paymaster's
//! EntryPoint, owner and signers).

use std::time::Duration;

use alloy_primitives::{Address, B256, Bytes, U64, U128, U256, b256};
use alloy_sol_types::{SolCall, SolValue, sol};
use harbor_core::aa::{ENTRY_POINT_V07, IEntryPoint};
use harbor_core::evm::{TransactionRequest, sign_transaction};
use harbor_core::keys::{LocalSigner, Signer};
use harbor_core::rpc::{NodeClient, RpcError};
use harbor_core::tokens::format_amount;
use serde::Serialize;
use serde_json::json;

/// The deterministic deployment proxy (CREATE2 with a caller-chosen salt; present on most chains).
pub const DETERMINISTIC_DEPLOYER: Address =
    alloy_primitives::address!("4e59b44847b379578588920ca78fbf26c0b4956c");
/// The salt that puts the EntryPoint v0.7 at its canonical address.
const ENTRY_POINT_SALT: B256 =
    b256!("90d8084deab30c2a37c45e8d47f49f2f7965183cb6990a98943ef94940681de3");
/// The salt of the Harbor contracts (version 1).
const HARBOR_SALT: B256 = b256!("0000000000000000000000000000000000000000000000000000000000000001");
/// How long a deployment transaction may wait for its receipt.
const RECEIPT_TIMEOUT: Duration = Duration::from_secs(180);

sol! {
    /// What `deploy` asks of the contracts it checks.
    interface IDeployed {
        function ACCOUNT_IMPLEMENTATION() external view returns (address);
        function entryPoint() external view returns (address);
        function owner() external view returns (address);
        function isSigner(address signer) external view returns (bool);
        function addStake(uint32 unstakeDelaySec) external payable;
        function depositTo(address account) external payable;
    }
}

/// What to deploy with, beyond the contracts themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployOptions {
    /// Who owns the paymaster (manages signers, deposit and stake); the deployer when `None`.
    pub owner: Option<Address>,
    /// The sponsorship signers the paymaster trusts (the relay's signer key).
    pub signers: Vec<Address>,
    /// The paymaster's deposit in the EntryPoint is topped up to at least this (wei).
    pub deposit: U256,
    /// The paymaster's stake is topped up to at least this (wei); zero leaves it unstaked.
    pub stake: U256,
    /// The stake's unstake delay in seconds (ERC-7562 counts a stake from one day).
    pub unstake_delay: u32,
}

/// What is on a chain after `deploy`: the addresses to put in the relay's and the wallet's
/// configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    /// The chain.
    pub chain_id: u64,
    /// The EntryPoint v0.7.
    pub entry_point: Address,
    /// The HarborAccount implementation.
    pub account_implementation: Address,
    /// The HarborAccountFactory.
    pub account_factory: Address,
    /// The HarborPaymaster.
    pub paymaster: Address,
    /// The paymaster's owner.
    pub paymaster_owner: Address,
    /// The signers the paymaster trusts.
    pub paymaster_signers: Vec<Address>,
    /// The paymaster's deposit in the EntryPoint (wei).
    pub deposit: U256,
    /// The paymaster's stake in the EntryPoint (wei).
    pub stake: U256,
    /// The stake's unstake delay (seconds).
    pub unstake_delay: u32,
}

/// One thing `deploy` found or did, for its progress output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The contract was already at its address.
    Found {
        /// Contract name.
        name: &'static str,
        /// Its address.
        address: Address,
    },
    /// The contract was created.
    Deployed {
        /// Contract name.
        name: &'static str,
        /// Its address.
        address: Address,
        /// The creating transaction.
        tx: B256,
    },
    /// The paymaster's deposit was topped up by `added` wei.
    Deposited {
        /// Wei added.
        added: U256,
        /// The transaction.
        tx: B256,
    },
    /// The paymaster's stake was topped up by `added` wei.
    Staked {
        /// Wei added.
        added: U256,
        /// The transaction.
        tx: B256,
    },
    /// The stake is short but only the owner can add to it.
    StakeLeftToOwner {
        /// The paymaster's owner.
        owner: Address,
        /// Wei missing.
        missing: U256,
    },
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Found { name, address } => write!(f, "{name}: already at {address}"),
            Step::Deployed { name, address, tx } => {
                write!(f, "{name}: deployed at {address} (transaction {tx})")
            }
            Step::Deposited { added, tx } => write!(
                f,
                "paymaster deposit: added {} ETH (transaction {tx})",
                format_amount(*added, 18)
            ),
            Step::Staked { added, tx } => write!(
                f,
                "paymaster stake: added {} ETH (transaction {tx})",
                format_amount(*added, 18)
            ),
            Step::StakeLeftToOwner { owner, missing } => write!(
                f,
                "paymaster stake: {} ETH short; only its owner {owner} can add stake \
                 (addStake on the paymaster)",
                format_amount(*missing, 18)
            ),
        }
    }
}

/// Why a chain could not be readied.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The node did not answer as expected.
    #[error("the node failed: {0}")]
    Node(#[from] RpcError),
    /// The chain has no deterministic deployment proxy.
    #[error(
        "chain {chain_id} has no deterministic deployment proxy at {DETERMINISTIC_DEPLOYER}; \
         deploy it first (github.com/Arachnid/deterministic-deployment-proxy), then run this again"
    )]
    NoDeployer {
        /// The chain.
        chain_id: u64,
    },
    /// A transaction could not be sent or did not succeed.
    #[error("{what} failed: {reason}")]
    Transaction {
        /// What it was for.
        what: String,
        /// The node's reason, or the reverted transaction.
        reason: String,
    },
    /// What is at an address is not what Harbor expects there.
    #[error("{name} at {address} is not as expected: {reason}")]
    Unexpected {
        /// Contract name.
        name: &'static str,
        /// Its address.
        address: Address,
        /// What differs.
        reason: String,
    },
}

/// A contract's creation code from its committed artifact.
fn creation_code(artifact: &str) -> Result<Vec<u8>, DeployError> {
    let broken = |reason: &str| DeployError::Unexpected {
        name: "artifact",
        address: Address::ZERO,
        reason: reason.into(),
    };
    let json: serde_json::Value =
        serde_json::from_str(artifact).map_err(|_| broken("an artifact is not JSON"))?;
    let hex = json["bytecode"]
        .as_str()
        .ok_or_else(|| broken("an artifact has no bytecode"))?;
    alloy_primitives::hex::decode(hex).map_err(|_| broken("an artifact's bytecode is not hex"))
}

/// The creation code (with constructor arguments) of each contract, in deployment order.
struct Plan {
    entry_point: Vec<u8>,
    implementation: Vec<u8>,
    factory: Vec<u8>,
    paymaster: Vec<u8>,
}

impl Plan {
    fn new(owner: Address, signers: &[Address]) -> Result<Self, DeployError> {
        let with = |artifact: &str, args: Vec<u8>| -> Result<Vec<u8>, DeployError> {
            let mut code = creation_code(artifact)?;
            code.extend_from_slice(&args);
            Ok(code)
        };
        let implementation = with(
            include_str!("../../contracts/artifacts/HarborAccount.json"),
            (ENTRY_POINT_V07,).abi_encode_params(),
        )?;
        let implementation_address = create2(HARBOR_SALT, &implementation);
        Ok(Plan {
            entry_point: creation_code(include_str!("../../contracts/artifacts/EntryPoint.json"))?,
            factory: with(
                include_str!("../../contracts/artifacts/HarborAccountFactory.json"),
                (implementation_address,).abi_encode_params(),
            )?,
            paymaster: with(
                include_str!("../../contracts/artifacts/HarborPaymaster.json"),
                (ENTRY_POINT_V07, owner, signers.to_vec()).abi_encode_params(),
            )?,
            implementation,
        })
    }
}

/// The address the deterministic deployer gives `code` with `salt`.
fn create2(salt: B256, code: &[u8]) -> Address {
    DETERMINISTIC_DEPLOYER.create2_from_code(salt, code)
}

/// The HarborPaymaster address for `owner` and `signers` (the same on every chain).
pub fn paymaster_address(owner: Address, signers: &[Address]) -> Result<Address, DeployError> {
    Ok(create2(HARBOR_SALT, &Plan::new(owner, signers)?.paymaster))
}

/// Sends transactions from the deployer and waits for them to succeed.
struct Sender<'a> {
    node: &'a NodeClient,
    deployer: &'a LocalSigner,
    chain_id: u64,
}

impl Sender<'_> {
    async fn send(
        &self,
        what: &str,
        to: Address,
        data: Vec<u8>,
        value: U256,
    ) -> Result<B256, DeployError> {
        let failed = |reason: String| DeployError::Transaction {
            what: what.to_owned(),
            reason,
        };
        let data = Bytes::from(data);
        let estimate: U64 = serde_json::from_value(
            self.node
                .raw(
                    "eth_estimateGas",
                    json!([{ "from": self.deployer.address(), "to": to, "data": data, "value": value }]),
                )
                .await
                .map_err(|e| failed(e.to_string()))?,
        )
        .map_err(|e| failed(format!("the node's gas estimate does not decode: {e}")))?;
        let fees = self.node.fees().await?;
        let nonce = self.node.transaction_count(self.deployer.address()).await?;
        let cap = |v: U256| U128::from(u128::try_from(v).unwrap_or(u128::MAX));
        let request = TransactionRequest {
            chain_id: Some(U64::from(self.chain_id)),
            nonce: Some(U64::from(nonce)),
            to: Some(to),
            value: Some(value),
            data: Some(data),
            // A fifth more than estimated: the estimate is made against the latest block.
            gas: Some(estimate.saturating_mul(U64::from(6)) / U64::from(5)),
            max_fee_per_gas: Some(cap(fees.max_fee_per_gas)),
            max_priority_fee_per_gas: Some(cap(fees.max_priority_fee_per_gas)),
            ..TransactionRequest::default()
        };
        let signed = sign_transaction(self.deployer, &request, Some(self.chain_id))
            .map_err(|e| failed(e.to_string()))?;
        self.node
            .send_raw_transaction(&signed.raw)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let started = std::time::Instant::now();
        loop {
            if let Some(receipt) = self.node.transaction_receipt(signed.hash).await? {
                if receipt.status == U64::from(1) {
                    return Ok(signed.hash);
                }
                return Err(failed(format!("transaction {} reverted", signed.hash)));
            }
            if started.elapsed() > RECEIPT_TIMEOUT {
                return Err(failed(format!(
                    "transaction {} not included after {} s",
                    signed.hash,
                    RECEIPT_TIMEOUT.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Creates `code` through the deterministic deployer unless its address has code already.
    async fn ensure(
        &self,
        name: &'static str,
        salt: B256,
        code: &[u8],
        progress: &mut impl FnMut(&Step),
    ) -> Result<Address, DeployError> {
        let address = create2(salt, code);
        if !self.node.code(address).await?.is_empty() {
            progress(&Step::Found { name, address });
            return Ok(address);
        }
        let mut data = salt.to_vec();
        data.extend_from_slice(code);
        let tx = self
            .send(
                &format!("deploying {name}"),
                DETERMINISTIC_DEPLOYER,
                data,
                U256::ZERO,
            )
            .await?;
        if self.node.code(address).await?.is_empty() {
            return Err(DeployError::Unexpected {
                name,
                address,
                reason: format!("no code after transaction {tx}"),
            });
        }
        progress(&Step::Deployed { name, address, tx });
        Ok(address)
    }
}

/// Calls a view function and decodes its answer.
async fn view<C: SolCall>(
    node: &NodeClient,
    name: &'static str,
    to: Address,
    call: C,
) -> Result<C::Return, DeployError> {
    let out = node.call(to, &call.abi_encode().into()).await?;
    C::abi_decode_returns(&out).map_err(|_| DeployError::Unexpected {
        name,
        address: to,
        reason: format!("{} does not answer", C::SIGNATURE),
    })
}

/// Fails with `reason` unless `ok`.
fn expect(
    ok: bool,
    name: &'static str,
    address: Address,
    reason: String,
) -> Result<(), DeployError> {
    if ok {
        Ok(())
    } else {
        Err(DeployError::Unexpected {
            name,
            address,
            reason,
        })
    }
}

/// Readies the chain behind `node` for Harbor with `deployer` paying; reports each step to
/// `progress` and returns what is deployed.
pub async fn deploy(
    node: &NodeClient,
    deployer: &LocalSigner,
    options: &DeployOptions,
    mut progress: impl FnMut(&Step),
) -> Result<Deployment, DeployError> {
    let chain_id = node.chain_id().await?;
    if node.code(DETERMINISTIC_DEPLOYER).await?.is_empty() {
        return Err(DeployError::NoDeployer { chain_id });
    }
    let owner = options.owner.unwrap_or(deployer.address());
    let plan = Plan::new(owner, &options.signers)?;
    let sender = Sender {
        node,
        deployer,
        chain_id,
    };
    let entry_point = sender
        .ensure(
            "EntryPoint v0.7",
            ENTRY_POINT_SALT,
            &plan.entry_point,
            &mut progress,
        )
        .await?;
    expect(
        entry_point == ENTRY_POINT_V07,
        "EntryPoint v0.7",
        entry_point,
        format!("the canonical address is {ENTRY_POINT_V07}"),
    )?;
    let implementation = sender
        .ensure(
            "HarborAccount",
            HARBOR_SALT,
            &plan.implementation,
            &mut progress,
        )
        .await?;
    let factory = sender
        .ensure(
            "HarborAccountFactory",
            HARBOR_SALT,
            &plan.factory,
            &mut progress,
        )
        .await?;
    let paymaster = sender
        .ensure(
            "HarborPaymaster",
            HARBOR_SALT,
            &plan.paymaster,
            &mut progress,
        )
        .await?;

    // What answers at each address.
    let name = "HarborAccountFactory";
    let answer = view(
        node,
        name,
        factory,
        IDeployed::ACCOUNT_IMPLEMENTATIONCall {},
    )
    .await?;
    expect(
        answer == implementation,
        name,
        factory,
        format!("it creates accounts of {answer}"),
    )?;
    let name = "HarborAccount";
    let answer = view(node, name, implementation, IDeployed::entryPointCall {}).await?;
    expect(
        answer == entry_point,
        name,
        implementation,
        format!("its EntryPoint is {answer}"),
    )?;
    let name = "HarborPaymaster";
    let answer = view(node, name, paymaster, IDeployed::entryPointCall {}).await?;
    expect(
        answer == entry_point,
        name,
        paymaster,
        format!("its EntryPoint is {answer}"),
    )?;
    let current_owner = view(node, name, paymaster, IDeployed::ownerCall {}).await?;
    for &signer in &options.signers {
        let trusted = view(node, name, paymaster, IDeployed::isSignerCall { signer }).await?;
        expect(
            trusted,
            name,
            paymaster,
            format!("it no longer trusts the signer {signer} (its owner removed it)"),
        )?;
    }

    // Deposit and stake, topped up to what was asked.
    let info = view(
        node,
        "EntryPoint v0.7",
        entry_point,
        IEntryPoint::getDepositInfoCall { account: paymaster },
    )
    .await?;
    if info.deposit < options.deposit {
        let added = options.deposit - info.deposit;
        let data = IDeployed::depositToCall { account: paymaster }.abi_encode();
        let tx = sender
            .send("depositing for the paymaster", entry_point, data, added)
            .await?;
        progress(&Step::Deposited { added, tx });
    }
    let staked = U256::from(info.stake);
    if staked < options.stake || (info.staked && info.unstakeDelaySec < options.unstake_delay) {
        let missing = options.stake.saturating_sub(staked);
        if current_owner == deployer.address() {
            let data = IDeployed::addStakeCall {
                unstakeDelaySec: options.unstake_delay.max(info.unstakeDelaySec),
            }
            .abi_encode();
            let tx = sender
                .send("staking the paymaster", paymaster, data, missing)
                .await?;
            progress(&Step::Staked { added: missing, tx });
        } else {
            progress(&Step::StakeLeftToOwner {
                owner: current_owner,
                missing,
            });
        }
    }
    let info = view(
        node,
        "EntryPoint v0.7",
        entry_point,
        IEntryPoint::getDepositInfoCall { account: paymaster },
    )
    .await?;
    Ok(Deployment {
        chain_id,
        entry_point,
        account_implementation: implementation,
        account_factory: factory,
        paymaster,
        paymaster_owner: current_owner,
        paymaster_signers: options.signers.clone(),
        deposit: info.deposit,
        stake: U256::from(info.stake),
        unstake_delay: info.unstakeDelaySec,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use harbor_core::aa::{
        HARBOR_ACCOUNT_FACTORY, HARBOR_ACCOUNT_IMPLEMENTATION, HARBOR_PAYMASTER,
    };

    #[test]
    fn addresses_are_the_ones_every_chain_shares() {
        let plan = Plan::new(Address::ZERO, &[]).unwrap();
        assert_eq!(
            create2(ENTRY_POINT_SALT, &plan.entry_point),
            ENTRY_POINT_V07
        );
        assert_eq!(
            create2(HARBOR_SALT, &plan.implementation),
            HARBOR_ACCOUNT_IMPLEMENTATION
        );
        assert_eq!(create2(HARBOR_SALT, &plan.factory), HARBOR_ACCOUNT_FACTORY);
        // The dev chains' paymaster: owned by anvil's first key, trusting its tenth.
        let dev = paymaster_address(
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
                .parse()
                .unwrap(),
            &["0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"
                .parse()
                .unwrap()],
        )
        .unwrap();
        assert_eq!(dev, HARBOR_PAYMASTER);
        // Another owner or signer set is another paymaster.
        assert_ne!(
            paymaster_address(Address::repeat_byte(1), &[Address::repeat_byte(2)]).unwrap(),
            HARBOR_PAYMASTER
        );
    }

    #[test]
    fn steps_read_as_sentences() {
        let step = Step::StakeLeftToOwner {
            owner: Address::repeat_byte(7),
            missing: U256::from(10u64).pow(U256::from(17)),
        };
        let text = step.to_string();
        assert!(text.contains("0.1 ETH short"), "{text}");
        assert!(text.contains("only its owner"), "{text}");
    }
}
