"""The bindings from Python without a network: vault, keys, signing, paper shares, errors."""

import asyncio
import json

import pytest

import harbor

ABANDON = "abandon " * 11 + "about"
# m/44'/60'/0'/0/0 of the phrase above (BIP-44 test vector, also in the core's tests).
ABANDON_ADDRESS = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
PASSWORD = "correct horse battery"


def run(coro):
    return asyncio.run(coro)


def test_version_and_noop():
    assert harbor.harbor_version() == "0.1.0"
    assert harbor.noop() is None


def test_mnemonics_in_every_language():
    for language in harbor.Language:
        phrase = harbor.generate_mnemonic(language, 24)
        assert phrase.word_count() == 24 and phrase.language() == language
        info = harbor.validate_mnemonic(" ".join(phrase.words_to_show()))
        assert info.word_count == 24
        assert info.language == language
        assert len(harbor.mnemonic_words(language)) == 2048


def test_invalid_mnemonic_names_positions_not_words():
    with pytest.raises(harbor.HarborError.InvalidPhrase) as err:
        harbor.validate_mnemonic("abandon " * 10 + "harborx about")
    assert list(err.value.unknown_word_positions) == [11]
    assert "harborx" not in str(err.value)
    with pytest.raises(harbor.HarborError.InvalidPhrase):
        harbor.generate_mnemonic(harbor.Language.ENGLISH, 13)


def test_vault_lifecycle_and_signing(tmp_path):
    path = str(tmp_path / "wallet.harbor")
    vault = run(harbor.create_vault(path, PASSWORD, True))
    wallet = vault.import_mnemonic("Main", ABANDON, "")
    assert wallet.is_mnemonic
    [account] = vault.accounts(wallet.id)
    assert account.owner_address == ABANDON_ADDRESS
    assert account.smart_account == harbor.smart_account_address(ABANDON_ADDRESS)
    second = vault.add_account(wallet.id, "Savings")
    assert second.index == 1

    signature = vault.sign_message(wallet.id, 0, b"hello")
    assert signature.startswith("0x") and len(signature) == 132

    typed = {
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "chainId", "type": "uint256"}],
            "Mail": [{"name": "contents", "type": "string"}],
        },
        "primaryType": "Mail",
        "domain": {"name": "Harbor", "chainId": 1},
        "message": {"contents": "hi"},
    }
    assert len(vault.sign_typed_data(wallet.id, 0, json.dumps(typed), 1)) == 132
    with pytest.raises(harbor.HarborError.InvalidInput):
        vault.sign_typed_data(wallet.id, 0, json.dumps(typed), 10)

    tx = {"to": "0x" + "11" * 20, "value": "0x1", "chainId": "0x7a69", "nonce": "0x0",
          "gas": "0x5208", "maxFeePerGas": "0x77359400", "maxPriorityFeePerGas": "0x3b9aca00"}
    raw = vault.sign_transaction(wallet.id, 0, json.dumps(tx), 31337)
    assert raw.startswith("0x02")

    # Reopen: locked; the wrong password is a typed error and changes nothing.
    vault.lock()
    with pytest.raises(harbor.HarborError.Locked):
        vault.sign_message(wallet.id, 0, b"hello")
    del vault
    vault = harbor.Vault.open(path)
    assert not vault.is_unlocked()
    with pytest.raises(harbor.HarborError.WrongPassword):
        run(vault.unlock("not the password"))
    run(vault.unlock(PASSWORD))
    assert vault.sign_message(wallet.id, 0, b"hello") == signature

    run(vault.change_password(PASSWORD, "another long password", None))
    with pytest.raises(harbor.HarborError.WrongPassword):
        vault.export_mnemonic(wallet.id, PASSWORD)
    assert vault.export_mnemonic(wallet.id, "another long password") == ABANDON


class DictStore(harbor.SecureStore):
    """What an app's Keychain/Keystore wrapper does, in memory."""

    def __init__(self):
        self.items = {}

    def put(self, name, secret):
        self.items[name] = bytes(secret)

    def get(self, name):
        return self.items.get(name)

    def delete(self, name):
        self.items.pop(name, None)


def test_secure_store_unlock(tmp_path):
    path = str(tmp_path / "wallet.harbor")
    store = DictStore()
    vault = run(harbor.create_vault(path, PASSWORD, True))
    vault.enable_secure_store_unlock(store)
    assert vault.secure_store_unlock_enabled()
    assert len(store.items) == 1
    assert all(PASSWORD.encode() not in v for v in store.items.values())
    del vault
    vault = harbor.Vault.open(path)
    vault.unlock_with_secure_store(store)
    assert vault.is_unlocked()
    # The app lost its key (biometrics reset): a clear error, the password still works.
    store.items.clear()
    vault.lock()
    with pytest.raises(harbor.HarborError.SecureStore):
        vault.unlock_with_secure_store(store)
    run(vault.unlock(PASSWORD))


def test_paper_shares(tmp_path):
    groups = harbor.split_mnemonic_into_shares(
        ABANDON, 1, [harbor.ShareGroup(threshold=2, count=3)], "paper"
    )
    shares = groups[0]
    assert len(shares) == 3 and all(len(s.split()) == 20 for s in shares)
    english = harbor.Language.ENGLISH
    assert harbor.combine_shares_to_mnemonic([shares[2], shares[0]], "paper", english) == ABANDON
    with pytest.raises(harbor.HarborError.InvalidShares) as err:
        harbor.combine_shares_to_mnemonic([shares[1]], "paper", english)
    assert "needs 2 shares" in str(err.value)

    vault = run(harbor.create_vault(str(tmp_path / "w.harbor"), PASSWORD, True))
    restored = vault.import_shares("Paper", [shares[0], shares[1]], "paper", english, ABANDON_ADDRESS)
    assert vault.accounts(restored.id)[0].owner_address == ABANDON_ADDRESS
    # The same shares read in another language are another wallet: refused when the first
    # address written beside them is given.
    with pytest.raises(harbor.HarborError.InvalidShares) as err:
        vault.import_shares(
            "Wrong", [shares[0], shares[1]], "paper", harbor.Language.SPANISH, ABANDON_ADDRESS
        )
    assert "check the language" in str(err.value)


def test_paper_shares_of_a_vault_wallet_keep_its_language(tmp_path):
    vault = run(harbor.create_vault(str(tmp_path / "es.harbor"), PASSWORD, True))
    phrase = harbor.generate_mnemonic(harbor.Language.SPANISH, 12)
    assert "NewPhrase" not in repr(phrase.words_to_show())  # the words, shown on request only
    wallet = vault.add_new_phrase("Spanish", phrase, "")
    address = vault.accounts(wallet.id)[0].owner_address
    paper = vault.split_into_shares(wallet.id, PASSWORD, 1, [harbor.ShareGroup(threshold=2, count=3)], "")
    assert paper.language == harbor.Language.SPANISH
    assert paper.first_address == address
    other = run(harbor.create_vault(str(tmp_path / "other.harbor"), PASSWORD, True))
    restored = other.import_shares("Back", paper.groups[0][:2], "", paper.language, paper.first_address)
    assert other.accounts(restored.id)[0].owner_address == address


def test_amounts_addresses_and_guardian_advice():
    assert harbor.parse_amount("12.5", 6) == "12500000"
    assert harbor.format_amount("12500000", 6) == "12.5"
    with pytest.raises(harbor.HarborError.InvalidInput):
        harbor.parse_amount("1.2.3", 6)
    assert harbor.checksum_address(ABANDON_ADDRESS.lower()) == ABANDON_ADDRESS
    assert not harbor.is_address("0x123")
    assert harbor.suggested_threshold(3) == 2
    assert harbor.review_guardians(3, 2) == []
    [warning] = harbor.review_guardians(3, 1)
    assert "One guardian" in warning


def dev_chain():
    # A network with a bundler, never contacted by these tests.
    return harbor.ChainInfo(
        chain_id=31337, name="Dev", currency_symbol="ETH", rpc_url="http://127.0.0.1:9",
        bundler_url="http://127.0.0.1:9", paymaster_url=None, explorer_url=None, testnet=True,
    )


def test_invitation_round_trip(tmp_path):
    vault = run(harbor.create_vault(str(tmp_path / "w.harbor"), PASSWORD, True))
    vault.save_chain(dev_chain())
    vault.import_mnemonic("Main", ABANDON, "")
    wallet = harbor.Wallet(vault)
    [account] = wallet.accounts()
    assert account.owner == ABANDON_ADDRESS and not account.recovered
    link = wallet.create_invitation(account.address, "Ana", harbor.GuardianKind.PERSON)
    assert link.startswith("harbor://invite?")
    reply = run(wallet.accept_invitation(link, account.address, "Bob"))
    guardian = harbor.read_invitation_reply(reply)
    assert guardian.name == "Bob" and guardian.kind == harbor.GuardianKind.PERSON
    assert guardian.address == ABANDON_ADDRESS  # the key of the account named, not the account
    with pytest.raises(harbor.HarborError.InvalidInput):
        harbor.read_invitation_reply(link)
    # An account this vault has no key for is named as such.
    with pytest.raises(harbor.HarborError.NotFound):
        run(wallet.accept_invitation(link, "0x" + "22" * 20, "Bob"))


def test_objects_close_explicitly(tmp_path):
    path = str(tmp_path / "w.harbor")
    with run(harbor.create_vault(path, PASSWORD, True)) as vault:
        wallet = harbor.Wallet(vault)
        assert wallet.accounts() == []
        wallet.close()
        with pytest.raises(harbor.ClosedError):
            wallet.accounts()
    with pytest.raises(harbor.ClosedError):
        vault.is_unlocked()
    vault.close()  # twice is fine
    # Every handle closed: the file can be opened again right away.
    again = harbor.Vault.open(path)
    assert not again.is_unlocked()
    again.close()


EXIT_PROBE = """
import asyncio, os, sys, tempfile
import harbor
async def main():
    path = os.path.join(tempfile.mkdtemp(), "w.harbor")
    vault = await harbor.create_vault(path, "correct horse battery", True)
    await vault.unlock("correct horse battery")
asyncio.run(main())
"""


def test_the_interpreter_exits_cleanly_after_async_calls():
    # Security review, finding 10: a library thread handing over a result while the
    # interpreter exits used to abort the process ("FATAL: exception not rethrown") in most runs.
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    for _ in range(12):
        done = subprocess.run(
            [sys.executable, "-c", EXIT_PROBE], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr[-500:]
