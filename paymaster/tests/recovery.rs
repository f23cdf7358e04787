//! Social recovery end to end on real dev chains, every operation sponsored by the relay: an
//! account with three guardians (2 of 3) loses its device, a new device collects two approvals
//! through shareable links, starts the recovery, waits out the delay and takes over; the same on
//! two chains at once. Then the attacks, each refused with its reason, and the owner's alert and
//! cancel.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolCall;
use harbor_core::aa::{
    AccountCall, AccountClient, HarborAccount, IHarborAccount, SendError, SendOptions, SendOutcome,
};
use harbor_core::keys::{LocalSigner, Signer};
use harbor_core::recovery::{
    ApprovalBundle, GuardianSigner, Payload, RecoveryAlert, RecoveryClient, RecoveryError,
    RecoveryRequest, RecoverySession, RecoveryStage, approve, describe_request, recovery_digest,
};
use harbor_devnet::Devnet;
use serde_json::json;

use common::*;

fn options() -> SendOptions {
    SendOptions {
        poll_interval: Duration::from_millis(100),
        ..SendOptions::default()
    }
}

fn account_client(harness: &Harness, devnet: &Devnet) -> AccountClient {
    let m = devnet.manifest();
    AccountClient::new(m.chain_id, &m.rpc_url, &harness.url(m.chain_id))
        .unwrap()
        .with_paymaster(&harness.url(m.chain_id))
        .unwrap()
}

fn recovery_client(harness: &Harness, devnets: &[&Devnet]) -> RecoveryClient {
    devnets
        .iter()
        .fold(RecoveryClient::new(), |c, d| {
            c.with_chain(account_client(harness, d))
        })
        .with_send_options(options())
}

fn quiet(_: harbor_core::aa::SendProgress) {}

fn quiet_chain(_: u64, _: harbor_core::aa::SendProgress) {}

/// Moves the chain's clock forward and waits until the relay's watcher has seen it (it signs
/// sponsorships valid from the chain's time; real chains never jump).
async fn travel(harness: &Harness, devnet: &Devnet, seconds: u64) {
    let node = node(devnet);
    node.raw("evm_increaseTime", json!([seconds]))
        .await
        .unwrap();
    node.raw("evm_mine", json!([])).await.unwrap();
    let now = node.latest_timestamp().await.unwrap();
    let chain = harness.relay.chain(devnet.manifest().chain_id).unwrap();
    for _ in 0..100 {
        if chain.chain_time().await.unwrap() >= now {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the relay did not see the new chain time");
}

/// Three guardians: two keys (a friend, a second device) and a friend's Harbor smart account
/// (ERC-1271), deployed on every chain by a sponsored no-op.
struct Guardians {
    friend: LocalSigner,
    tablet: LocalSigner,
    carol_key: LocalSigner,
    carol: HarborAccount,
}

impl Guardians {
    async fn new(harness: &Harness, devnets: &[&Devnet]) -> Self {
        let carol_key = LocalSigner::random().unwrap();
        let carol = HarborAccount::new(carol_key.address(), U256::ZERO);
        for d in devnets {
            account_client(harness, d)
                .send_calls(
                    &carol,
                    &carol_key,
                    &[AccountCall {
                        to: carol_key.address(),
                        value: U256::ZERO,
                        data: Bytes::new(),
                    }],
                    &options(),
                    &quiet,
                )
                .await
                .unwrap();
        }
        Self {
            friend: LocalSigner::random().unwrap(),
            tablet: LocalSigner::random().unwrap(),
            carol_key,
            carol,
        }
    }

    fn addresses(&self) -> Vec<Address> {
        vec![
            self.friend.address(),
            self.tablet.address(),
            self.carol.address(),
        ]
    }

    fn carol_signer(&self) -> GuardianSigner<'_> {
        GuardianSigner::HarborAccount {
            account: self.carol.address(),
            owner: &self.carol_key,
        }
    }
}

/// A guardian's wallet: reads the request link, describes it, answers with an approval link.
fn guardian_approves(request_link: &str, signer: GuardianSigner<'_>) -> String {
    let request = RecoveryRequest::from_link(request_link).unwrap();
    let text = describe_request(
        &request,
        Some("Ana"),
        &harbor_core::chains::ChainRegistry::new(vec![]),
    );
    assert!(text.contains("Ana's account"), "{text}");
    assert!(text.contains(&request.new_owner.to_string()), "{text}");
    approve(&request, signer).unwrap().to_link()
}

/// Starts a recovery directly with the given approvals (what an attacker would try).
async fn raw_start(
    client: &AccountClient,
    sender_key: &LocalSigner,
    account: Address,
    new_owner: Address,
    deadline: u64,
    mut approvals: Vec<(Address, Bytes)>,
) -> Result<SendOutcome, SendError> {
    approvals.sort_by_key(|a| a.0);
    let (signers, signatures) = approvals.into_iter().unzip();
    let call = AccountCall {
        to: account,
        value: U256::ZERO,
        data: IHarborAccount::startRecoveryCall {
            newOwner: new_owner,
            deadline: U256::from(deadline),
            signers,
            signatures,
        }
        .abi_encode()
        .into(),
    };
    client
        .send_calls(
            &HarborAccount::new(sender_key.address(), U256::ZERO),
            sender_key,
            &[call],
            &options(),
            &quiet,
        )
        .await
}

fn revert_reason(err: SendError) -> String {
    match err {
        SendError::Reverted { reason, .. } => reason,
        other => panic!("expected a revert, got {other:?}"),
    }
}

/// An owner with an account set up with the three guardians (2 of 3) on every chain.
async fn protected_account(
    harness: &Harness,
    devnets: &[&Devnet],
    guardians: &Guardians,
) -> (LocalSigner, HarborAccount, RecoveryClient) {
    let owner = LocalSigner::random().unwrap();
    let account = HarborAccount::new(owner.address(), U256::ZERO);
    let client = recovery_client(harness, devnets);
    for d in devnets {
        set_balance(d, account.address(), eth("1")).await;
    }
    // One config signed once, applied on every chain (deploying the account on each).
    let sent = client
        .set_guardians(&account, &owner, &guardians.addresses(), 2, &quiet_chain)
        .await
        .unwrap();
    assert_eq!(sent.len(), devnets.len());
    // Saving the same set again sends nothing.
    assert!(
        client
            .set_guardians(&account, &owner, &guardians.addresses(), 2, &quiet_chain)
            .await
            .unwrap()
            .is_empty()
    );
    for d in devnets {
        let chain_id = d.manifest().chain_id;
        let state = client
            .account_state(chain_id, account.address())
            .await
            .unwrap();
        assert_eq!(state.threshold, 2);
        assert_eq!(state.owner, owner.address());
        assert_eq!(state.contract_guardians, [guardians.carol.address()]);
        assert_eq!(state.config_version(), 1);
        // Our config digest is the one the contract checks.
        let config = state.config.clone().unwrap();
        assert_eq!(config.signer(account.address()), Some(owner.address()));
    }
    (owner, account, client)
}

/// Sends 0.1 ETH from the account signed by `key`.
async fn pay(
    harness: &Harness,
    devnet: &Devnet,
    account: &HarborAccount,
    key: &LocalSigner,
) -> Result<SendOutcome, SendError> {
    account_client(harness, devnet)
        .send_calls(
            account,
            key,
            &[AccountCall {
                to: Address::repeat_byte(0x77),
                value: eth("0.1"),
                data: Bytes::new(),
            }],
            &options(),
            &quiet,
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_device_recovered_with_two_guardians_on_two_chains() {
    let (a, b) = tokio::join!(devnet(31337), devnet(31338));
    let devnets = [&a, &b];
    let harness = start_relay(&devnets, vec![]).await;
    let guardians = Guardians::new(&harness, &devnets).await;
    let (old_key, account, _owner_client) = protected_account(&harness, &devnets, &guardians).await;

    // The device is lost. On a new device: a new key, the account address, a request.
    let new_key = LocalSigner::random().unwrap();
    let device = recovery_client(&harness, &devnets);
    let mut session = device
        .create_session(
            account.address(),
            new_key.address(),
            Duration::from_secs(86_400),
            "Ana's new phone",
        )
        .await
        .unwrap();
    assert_eq!(session.chains.len(), 2);
    assert!(
        session
            .chains
            .iter()
            .all(|c| c.stage == RecoveryStage::CollectingApprovals && c.threshold == 2)
    );
    // Our digest is the one the contract checks.
    for d in devnets {
        let target = &session.request.chains[usize::from(d.manifest().chain_id == 31338)];
        let onchain = node(d)
            .call(
                account.address(),
                &IHarborAccount::recoveryDigestCall {
                    newOwner: new_key.address(),
                    nonce: target.nonce,
                    deadline: U256::from(target.deadline),
                }
                .abi_encode()
                .into(),
            )
            .await
            .unwrap();
        assert_eq!(
            onchain[..],
            recovery_digest(
                target.chain_id,
                account.address(),
                new_key.address(),
                target.nonce,
                target.deadline
            )[..]
        );
    }

    // Two guardians approve from their own wallets (a key and a smart account), one step each
    // for both chains; the new device checks and collects the approvals.
    let link = session.request.to_link();
    for approval_link in [
        guardian_approves(&link, GuardianSigner::Key(&guardians.friend)),
        guardian_approves(&link, guardians.carol_signer()),
    ] {
        let bundle = ApprovalBundle::from_link(&approval_link).unwrap();
        device.add_approvals(&mut session, &bundle).await.unwrap();
    }
    assert!(
        session
            .chains
            .iter()
            .all(|c| c.stage == RecoveryStage::ReadyToSubmit)
    );
    // The session survives an app restart (it is plain data the vault keeps).
    let mut session: RecoverySession =
        serde_json::from_str(&serde_json::to_string(&session).unwrap()).unwrap();

    // Submit on both chains (sponsored, from the new key's own account).
    device
        .advance(&mut session, &new_key, &quiet_chain)
        .await
        .unwrap();
    for chain in &session.chains {
        let RecoveryStage::Started {
            transaction_hash, ..
        } = chain.stage
        else {
            panic!("{:?}", chain.stage)
        };
        assert!(transaction_hash.is_some());
        assert!(chain.seconds_left(0).unwrap() > 0);
    }
    // Too early to execute: advancing again changes nothing.
    device
        .advance(&mut session, &new_key, &quiet_chain)
        .await
        .unwrap();
    assert!(
        session
            .chains
            .iter()
            .all(|c| matches!(c.stage, RecoveryStage::Started { .. }))
    );

    // The delay passes; execute on both chains.
    for d in devnets {
        travel(&harness, d, 2 * 86_400 + 1).await;
    }
    device
        .advance(&mut session, &new_key, &quiet_chain)
        .await
        .unwrap();
    assert!(session.is_finished(), "{:?}", session.chains);
    assert!(session.chains.iter().all(|c| matches!(
        c.stage,
        RecoveryStage::Executed {
            transaction_hash: Some(_)
        }
    )));

    // The new device finds how the account was created (it only knew its address), so it can
    // send from it; a stranger's address is not found.
    let located = device.locate_account(account.address()).await.unwrap();
    assert_eq!(located, account);
    let stranger = LocalSigner::random().unwrap().address();
    assert!(matches!(
        device.locate_account(stranger).await,
        Err(RecoveryError::UnknownAccount { .. })
    ));

    // The new key controls the funds; the old one no longer can.
    for d in devnets {
        pay(&harness, d, &located, &new_key).await.unwrap();
        let err = pay(&harness, d, &account, &old_key).await.unwrap_err();
        assert!(
            err.to_string().to_lowercase().contains("signature"),
            "{err}"
        );
    }
    // Every bundle the relayer sent was paid back by its refund.
    harness.assert_relayer_covered().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attacks_fail_with_their_reason_and_the_owner_is_alerted() {
    let chain = devnet(31337).await;
    let harness = start_relay(&[&chain], vec![]).await;
    let guardians = Guardians::new(&harness, &[&chain]).await;
    let (owner, account, owner_client) = protected_account(&harness, &[&chain], &guardians).await;
    let client = account_client(&harness, &chain);
    let address = account.address();
    let attacker = LocalSigner::random().unwrap();
    assert!(
        owner_client
            .alerts(&account, owner.address())
            .await
            .unwrap()
            .is_empty()
    );

    // 1. One guardian alone (colluding with a thief).
    let device = recovery_client(&harness, &[&chain]);
    let mut session = device
        .create_session(address, attacker.address(), Duration::from_secs(86_400), "")
        .await
        .unwrap();
    let alone = approve(&session.request, GuardianSigner::Key(&guardians.friend)).unwrap();
    device.add_approvals(&mut session, &alone).await.unwrap();
    assert_eq!(session.chains[0].stage, RecoveryStage::CollectingApprovals);
    device
        .advance(&mut session, &attacker, &quiet_chain)
        .await
        .unwrap();
    assert_eq!(session.chains[0].stage, RecoveryStage::CollectingApprovals);
    let target = session.request.chains[0].clone();
    let err = raw_start(
        &client,
        &attacker,
        address,
        attacker.address(),
        target.deadline,
        vec![(alone.guardian, alone.approvals[0].signature.clone())],
    )
    .await
    .unwrap_err();
    assert!(
        revert_reason(err).contains("1 approvals are not enough: 2 are required"),
        "one guardian"
    );
    // The same approval twice does not count twice.
    let err = raw_start(
        &client,
        &attacker,
        address,
        attacker.address(),
        target.deadline,
        vec![
            (alone.guardian, alone.approvals[0].signature.clone()),
            (alone.guardian, alone.approvals[0].signature.clone()),
        ],
    )
    .await
    .unwrap_err();
    assert!(revert_reason(err).contains("distinct guardians"));

    // 2. A real recovery to a new key, with three approvals; the owner sees it within one poll
    //    and cancels it during the delay.
    let new_key = LocalSigner::random().unwrap();
    let mut first = device
        .create_session(
            address,
            new_key.address(),
            Duration::from_secs(30 * 86_400),
            "",
        )
        .await
        .unwrap();
    let bundles: Vec<ApprovalBundle> = [
        GuardianSigner::Key(&guardians.friend),
        GuardianSigner::Key(&guardians.tablet),
        guardians.carol_signer(),
    ]
    .into_iter()
    .map(|g| approve(&first.request, g).unwrap())
    .collect();
    for b in &bundles {
        device.add_approvals(&mut first, b).await.unwrap();
    }
    device
        .advance(&mut first, &new_key, &quiet_chain)
        .await
        .unwrap();
    let alerts = owner_client
        .alerts(&account, owner.address())
        .await
        .unwrap();
    let [
        RecoveryAlert::Pending {
            new_owner,
            approvals,
            seconds_left,
            ..
        },
    ] = &alerts[..]
    else {
        panic!("{alerts:?}")
    };
    assert_eq!((*new_owner, *approvals), (new_key.address(), 3));
    assert!(*seconds_left > 86_400, "{seconds_left}");
    assert!(alerts[0].message().contains("unless you cancel"));

    // 3. A competing recovery with fewer approvals cannot replace the pending one.
    let mut competing = device
        .create_session(address, attacker.address(), Duration::from_secs(86_400), "")
        .await
        .unwrap();
    for g in [
        GuardianSigner::Key(&guardians.friend),
        GuardianSigner::Key(&guardians.tablet),
    ] {
        let b = approve(&competing.request, g).unwrap();
        device.add_approvals(&mut competing, &b).await.unwrap();
    }
    let err = device
        .advance(&mut competing, &attacker, &quiet_chain)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("a recovery with 3 approvals is already pending"),
        "{err}"
    );
    assert!(competing.chains[0].last_error.is_some());

    // The owner cancels (sponsored); the alert goes away; the new device sees it.
    owner_client
        .cancel(31337, &account, &owner, &quiet)
        .await
        .unwrap();
    assert!(
        owner_client
            .alerts(&account, owner.address())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        owner_client
            .cancel(31337, &account, &owner, &quiet)
            .await
            .unwrap_err(),
        RecoveryError::NothingPending { chain_id: 31337 }
    );
    travel(&harness, &chain, 2 * 86_400 + 1).await;
    device
        .advance(&mut first, &new_key, &quiet_chain)
        .await
        .unwrap();
    assert_eq!(first.chains[0].stage, RecoveryStage::Cancelled);
    // The cancelled approvals cannot be used again (the nonce moved on).
    let err = raw_start(
        &client,
        &new_key,
        address,
        new_key.address(),
        first.request.chains[0].deadline,
        bundles[..2]
            .iter()
            .map(|b| (b.guardian, b.approvals[0].signature.clone()))
            .collect(),
    )
    .await
    .unwrap_err();
    assert!(
        revert_reason(err).contains("is not valid for this recovery"),
        "cancelled approvals"
    );

    // 4. A completed recovery, then its approvals replayed.
    let mut done = device
        .create_session(
            address,
            new_key.address(),
            Duration::from_secs(30 * 86_400),
            "",
        )
        .await
        .unwrap();
    let done_bundles: Vec<ApprovalBundle> = [
        GuardianSigner::Key(&guardians.friend),
        GuardianSigner::Key(&guardians.tablet),
    ]
    .into_iter()
    .map(|g| approve(&done.request, g).unwrap())
    .collect();
    for b in &done_bundles {
        device.add_approvals(&mut done, b).await.unwrap();
    }
    device
        .advance(&mut done, &new_key, &quiet_chain)
        .await
        .unwrap();
    travel(&harness, &chain, 2 * 86_400 + 1).await;
    device
        .advance(&mut done, &new_key, &quiet_chain)
        .await
        .unwrap();
    assert!(matches!(
        done.chains[0].stage,
        RecoveryStage::Executed { .. }
    ));
    // The old device learns it lost control.
    assert_eq!(
        owner_client
            .alerts(&account, owner.address())
            .await
            .unwrap(),
        [RecoveryAlert::OwnerChanged {
            chain_id: 31337,
            account: address,
            owner: new_key.address()
        }]
    );
    assert!(
        owner_client
            .alerts(&account, new_key.address())
            .await
            .unwrap()
            .is_empty()
    );
    // Locally: a replayed approval is recognised as belonging to a finished recovery.
    let mut replay = done.clone();
    replay.chains[0].approvals.clear();
    assert!(matches!(
        device.add_approvals(&mut replay, &done_bundles[0]).await,
        Err(RecoveryError::StaleApproval { chain_id: 31337 })
    ));
    // On chain: the same signatures no longer verify.
    let done_target = &done.request.chains[0];
    let err = raw_start(
        &client,
        &attacker,
        address,
        attacker.address(),
        done_target.deadline,
        done_bundles
            .iter()
            .map(|b| (b.guardian, b.approvals[0].signature.clone()))
            .collect(),
    )
    .await
    .unwrap_err();
    assert!(
        revert_reason(err).contains("is not valid for this recovery"),
        "replay"
    );

    // 5. Approvals from a previous guardian set: the new owner replaces the friend; the friend's
    //    approval no longer counts.
    let recovered = recovery_client(&harness, &[&chain]);
    let replacement = LocalSigner::random().unwrap();
    let sent = recovered
        .set_guardians(
            &account,
            &new_key,
            &[
                guardians.tablet.address(),
                guardians.carol.address(),
                replacement.address(),
            ],
            2,
            &quiet_chain,
        )
        .await
        .unwrap();
    assert_eq!(sent.len(), 1);
    let mut later = device
        .create_session(address, attacker.address(), Duration::from_secs(86_400), "")
        .await
        .unwrap();
    let old_friend = approve(&later.request, GuardianSigner::Key(&guardians.friend)).unwrap();
    assert!(matches!(
        device.add_approvals(&mut later, &old_friend).await,
        Err(RecoveryError::NotAGuardian { .. })
    ));
    let tablet = approve(&later.request, GuardianSigner::Key(&guardians.tablet)).unwrap();
    let later_target = &later.request.chains[0];
    let err = raw_start(
        &client,
        &attacker,
        address,
        attacker.address(),
        later_target.deadline,
        vec![
            (
                old_friend.guardian,
                old_friend.approvals[0].signature.clone(),
            ),
            (tablet.guardian, tablet.approvals[0].signature.clone()),
        ],
    )
    .await
    .unwrap_err();
    assert!(
        revert_reason(err).contains(&format!(
            "{} is not a guardian of this account",
            guardians.friend.address()
        )),
        "previous guardian set"
    );

    // Expired approvals are refused before anything is sent.
    travel(&harness, &chain, 2 * 86_400).await;
    let tablet_again = approve(&later.request, GuardianSigner::Key(&guardians.tablet)).unwrap();
    assert!(matches!(
        device.add_approvals(&mut later, &tablet_again).await,
        Err(RecoveryError::Expired { .. })
    ));
    // Unknown account.
    assert!(matches!(
        device
            .create_session(
                Address::repeat_byte(0x42),
                attacker.address(),
                Duration::from_secs(60),
                ""
            )
            .await,
        Err(RecoveryError::UnknownAccount { .. })
    ));
    // Every bundle the relayer sent was paid back by its refund.
    harness.assert_relayer_covered().await;
}

/// One address on every chain (security review, finding 1): the account lives on chain A only;
/// after the guardians moved it to a new key there, someone deploys the same address on chain B
/// for the old key. The wallet completes the recovery on B too (the owner's settings signed on A
/// apply on B as they are), and then only the new key controls the address on B.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recovered_account_follows_its_address_to_a_chain_deployed_later() {
    let (a, b) = tokio::join!(devnet(31337), devnet(31338));
    let harness = start_relay(&[&a, &b], vec![]).await;
    let guardians = Guardians::new(&harness, &[&a, &b]).await;
    // The owner only ever used chain A.
    let (old_key, account, _) = protected_account(&harness, &[&a], &guardians).await;
    let address = account.address();
    assert!(node(&b).code(address).await.unwrap().is_empty());

    // Recovery on chain A alone (the new device knows only chain A for now).
    let new_key = LocalSigner::random().unwrap();
    let on_a = recovery_client(&harness, &[&a]);
    let mut session = on_a
        .create_session(address, new_key.address(), Duration::from_secs(86_400), "")
        .await
        .unwrap();
    for g in [
        GuardianSigner::Key(&guardians.friend),
        GuardianSigner::Key(&guardians.tablet),
    ] {
        let bundle = approve(&session.request, g).unwrap();
        on_a.add_approvals(&mut session, &bundle).await.unwrap();
    }
    on_a.advance(&mut session, &new_key, &quiet_chain)
        .await
        .unwrap();
    travel(&harness, &a, 2 * 86_400 + 1).await;
    on_a.advance(&mut session, &new_key, &quiet_chain)
        .await
        .unwrap();
    assert!(session.is_finished(), "{:?}", session.chains);

    // Later, a stranger deploys the same address on chain B, for the old key.
    let stranger = node(&b)
        .raw("eth_accounts", json!([]))
        .await
        .unwrap()
        .as_array()
        .unwrap()[3]
        .clone();
    node(&b)
        .raw(
            "eth_sendTransaction",
            json!([{
                "from": stranger,
                "to": account.factory,
                "data": Bytes::from(
                    harbor_core::aa::IHarborAccountFactory::createAccountCall {
                        owner: account.initial_owner,
                        salt: account.salt,
                    }
                    .abi_encode(),
                ),
            }]),
        )
        .await
        .unwrap();
    let both = recovery_client(&harness, &[&a, &b]);
    let on_b = both.account_state(31338, address).await.unwrap();
    assert!(on_b.deployed);
    assert_eq!(on_b.owner, old_key.address());
    assert!(on_b.guardians.is_empty());
    // The new device is warned: the address there is not under its key yet.
    assert_eq!(
        both.alerts(&account, new_key.address()).await.unwrap(),
        [RecoveryAlert::OwnerChanged {
            chain_id: 31338,
            account: address,
            owner: old_key.address()
        }]
    );

    // The wallet now covers chain B: a new request names only B, with the owner's guardians
    // (from the settings signed on A) and B's own nonce.
    let mut session = both
        .create_session(address, new_key.address(), Duration::from_secs(86_400), "")
        .await
        .unwrap();
    assert_eq!(session.request.chains.len(), 1);
    assert_eq!(session.request.chains[0].chain_id, 31338);
    assert_eq!(session.chains[0].threshold, 2);
    for g in [
        GuardianSigner::Key(&guardians.friend),
        guardians.carol_signer(),
    ] {
        let bundle = approve(&session.request, g).unwrap();
        both.add_approvals(&mut session, &bundle).await.unwrap();
    }
    // Applying the settings and starting the recovery go in one sponsored operation.
    both.advance(&mut session, &new_key, &quiet_chain)
        .await
        .unwrap();
    assert!(
        matches!(session.chains[0].stage, RecoveryStage::Started { .. }),
        "{:?}",
        session.chains[0]
    );
    let on_b = both.account_state(31338, address).await.unwrap();
    assert_eq!(on_b.config_version(), 1);
    assert_eq!(on_b.guardians.len(), 3);
    travel(&harness, &b, 2 * 86_400 + 1).await;
    both.advance(&mut session, &new_key, &quiet_chain)
        .await
        .unwrap();
    assert!(session.is_finished(), "{:?}", session.chains);

    // Only the new key controls the address on B; the old key cannot.
    set_balance(&b, address, eth("1")).await;
    pay(&harness, &b, &account, &new_key).await.unwrap();
    let err = pay(&harness, &b, &account, &old_key).await.unwrap_err();
    assert!(
        err.to_string().to_lowercase().contains("signature"),
        "{err}"
    );
    assert!(
        both.alerts(&account, new_key.address())
            .await
            .unwrap()
            .is_empty()
    );
    // Every bundle the relayer sent was paid back by its refund.
    harness.assert_relayer_covered().await;
}

/// The same when nobody deployed the account on chain B yet: the recovery creates it there
/// (for its first key), applies the settings and starts, in one operation; chain A and B are
/// recovered in one session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recovery_creates_the_account_where_it_does_not_exist_yet() {
    let (a, b) = tokio::join!(devnet(31337), devnet(31338));
    let harness = start_relay(&[&a, &b], vec![]).await;
    let guardians = Guardians::new(&harness, &[&a, &b]).await;
    let (old_key, account, _) = protected_account(&harness, &[&a], &guardians).await;
    let address = account.address();
    let new_key = LocalSigner::random().unwrap();
    let device = recovery_client(&harness, &[&a, &b]);
    // Before: on B the address would be created for the old key.
    assert!(
        device
            .alerts(&account, new_key.address())
            .await
            .unwrap()
            .iter()
            .any(|alert| matches!(
                alert,
                RecoveryAlert::OwnerChanged {
                    chain_id: 31337,
                    ..
                }
            ))
    );
    let mut session = device
        .create_session(address, new_key.address(), Duration::from_secs(86_400), "")
        .await
        .unwrap();
    assert_eq!(session.chains.len(), 2);
    assert_eq!(session.origin, Some(account));
    // One deadline for every chain, and that is what the guardian is told.
    let deadline = session.request.chains[0].deadline;
    assert!(
        session
            .request
            .chains
            .iter()
            .all(|c| c.deadline == deadline)
    );
    let text = describe_request(
        &session.request,
        None,
        &harbor_core::chains::ChainRegistry::new(vec![]),
    );
    assert!(text.contains(&format!("Unix time {deadline}")), "{text}");
    for g in [
        GuardianSigner::Key(&guardians.friend),
        GuardianSigner::Key(&guardians.tablet),
    ] {
        let bundle = approve(&session.request, g).unwrap();
        device.add_approvals(&mut session, &bundle).await.unwrap();
    }
    device
        .advance(&mut session, &new_key, &quiet_chain)
        .await
        .unwrap();
    assert!(!node(&b).code(address).await.unwrap().is_empty());
    for d in [&a, &b] {
        travel(&harness, d, 2 * 86_400 + 1).await;
    }
    device
        .advance(&mut session, &new_key, &quiet_chain)
        .await
        .unwrap();
    assert!(session.is_finished(), "{:?}", session.chains);
    for d in [&a, &b] {
        set_balance(d, address, eth("1")).await;
        pay(&harness, d, &account, &new_key).await.unwrap();
        assert!(pay(&harness, d, &account, &old_key).await.is_err());
    }
    assert!(
        device
            .alerts(&account, new_key.address())
            .await
            .unwrap()
            .is_empty()
    );
    // The old key is told it lost the account everywhere.
    assert_eq!(
        device
            .alerts(&account, old_key.address())
            .await
            .unwrap()
            .len(),
        2
    );
    // Every bundle the relayer sent was paid back by its refund.
    harness.assert_relayer_covered().await;
}
