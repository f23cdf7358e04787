//! Signatures by a Harbor account: what its owner key signs so that the account's ERC-1271
//! `isValidSignature` accepts it, and the ERC-6492 form that lets a verifier check it before the
//! account exists on a chain.
//!
//! The account checks `HarborMessage(bytes32 hash)` in its own EIP-712 domain (name
//! "HarborAccount", version "1", the chain id, the account's address), so a signature made for one
//! account or chain is worthless for another. A signature of the bare hash by the owner key is
//! refused.

use alloy_primitives::{Address, B256, Bytes, b256};
use alloy_sol_types::{SolValue, eip712_domain, sol};

use super::{HARBOR_ACCOUNT_FACTORY, HarborAccount};
use crate::keys::SignError;

/// The suffix that marks an ERC-6492 signature.
pub const ERC6492_MAGIC: B256 =
    b256!("6492649264926492649264926492649264926492649264926492649264926492");

sol! {
    /// What the owner key signs for the account (see `HarborAccount.messageDigest`).
    struct HarborMessage {
        bytes32 hash;
    }
}

/// The digest the owner key signs so that `account` on `chain_id` accepts a signature of
/// `hash` (ERC-1271).
pub fn account_message_digest(chain_id: u64, account: Address, hash: B256) -> B256 {
    let domain = eip712_domain! {
        name: "HarborAccount",
        version: "1",
        chain_id: chain_id,
        verifying_contract: account,
    };
    alloy_sol_types::SolStruct::eip712_signing_hash(&HarborMessage { hash }, &domain)
}

/// The signature of `hash` by `account` on `chain_id`, made with its owner key: 65 bytes the
/// deployed account accepts, or, when `deployed` is false, the ERC-6492 form that deploys it
/// first in a verifier's simulation.
pub fn sign_as_account(
    owner: &dyn super::OwnerSigner,
    account: &HarborAccount,
    chain_id: u64,
    hash: B256,
    deployed: bool,
) -> Result<Bytes, SignError> {
    let digest = account_message_digest(chain_id, account.address(), hash);
    let signature = owner.sign_owner(&digest)?;
    Ok(if deployed {
        signature
    } else {
        wrap_erc6492(account, &signature)
    })
}

/// `signature` in the ERC-6492 form: `abi.encode(factory, factoryCalldata, signature)` followed
/// by the magic suffix.
pub fn wrap_erc6492(account: &HarborAccount, signature: &[u8]) -> Bytes {
    let mut out = (
        HARBOR_ACCOUNT_FACTORY,
        account.factory_data(),
        Bytes::copy_from_slice(signature),
    )
        .abi_encode_params();
    out.extend_from_slice(ERC6492_MAGIC.as_slice());
    out.into()
}

/// The factory, its calldata and the inner signature of an ERC-6492 signature; `None` when it
/// is not one.
pub fn unwrap_erc6492(signature: &[u8]) -> Option<(Address, Bytes, Bytes)> {
    let body = signature.strip_suffix(ERC6492_MAGIC.as_slice())?;
    <(Address, Bytes, Bytes)>::abi_decode_params(body).ok()
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U256;

    use super::*;
    use crate::evm::{parse_signature, recover_address};
    use crate::keys::{LocalSigner, Signer};

    fn owner() -> LocalSigner {
        LocalSigner::from_hex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
            .expect("key")
    }

    #[test]
    fn deployed_accounts_get_the_owner_signature_of_the_wrapped_digest() {
        let owner = owner();
        let account = HarborAccount::new(owner.address(), U256::ZERO);
        let hash = B256::repeat_byte(0x11);
        let signature = sign_as_account(&owner, &account, 8453, hash, true).expect("sign");
        assert_eq!(signature.len(), 65);
        let digest = account_message_digest(8453, account.address(), hash);
        let signer = recover_address(&digest, &parse_signature(&signature).expect("parse"));
        assert_eq!(signer.expect("recover"), owner.address());
        // Bound to the chain and the account.
        assert_ne!(digest, account_message_digest(1, account.address(), hash));
        assert_ne!(digest, account_message_digest(8453, owner.address(), hash));
        // The same digest the recovery module uses for guardian accounts.
        assert_eq!(
            digest,
            crate::recovery::harbor_message_digest(8453, account.address(), hash)
        );
    }

    #[test]
    fn undeployed_accounts_get_the_erc6492_form() {
        let owner = owner();
        let account = HarborAccount::new(owner.address(), U256::from(7));
        let hash = B256::repeat_byte(0x22);
        let wrapped = sign_as_account(&owner, &account, 1, hash, false).expect("sign");
        assert!(wrapped.ends_with(ERC6492_MAGIC.as_slice()));
        let (factory, calldata, inner) = unwrap_erc6492(&wrapped).expect("6492");
        assert_eq!(factory, HARBOR_ACCOUNT_FACTORY);
        assert_eq!(calldata, account.factory_data());
        assert_eq!(
            inner,
            sign_as_account(&owner, &account, 1, hash, true).expect("sign")
        );
        assert!(unwrap_erc6492(&inner).is_none());
        assert!(unwrap_erc6492(ERC6492_MAGIC.as_slice()).is_none());
    }
}
