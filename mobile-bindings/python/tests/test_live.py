"""The whole flow from Python against a dev chain and the relay (started by `cargo xtask test`):
create a vault, import, a sponsored send of ETH and a token, then guardians and a recovery of
the account on a new device, with the owner's alert."""

import asyncio
import gc
import json
import os
import time
import urllib.request

import pytest

import harbor

pytestmark = pytest.mark.live

PASSWORD = "correct horse battery"
ANVIL_0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


def rpc(method, params):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(
        os.environ["HARBOR_RPC_URL"], body, {"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        reply = json.loads(response.read())
    assert "error" not in reply, reply
    return reply["result"]


def chain():
    relay = os.environ["HARBOR_RELAY_URL"]
    return harbor.ChainInfo(
        chain_id=31337,
        name="Harbor dev chain",
        currency_symbol="ETH",
        rpc_url=os.environ["HARBOR_RPC_URL"],
        bundler_url=relay,
        paymaster_url=relay,
        explorer_url=None,
        testnet=True,
    )


class Stages(harbor.SendListener):
    def __init__(self):
        self.seen = []

    def on_progress(self, stage):
        self.seen.append(type(stage).__name__.rsplit(".", 1)[-1])


async def new_wallet(tmp_path, name):
    vault = await harbor.create_vault(str(tmp_path / f"{name}.harbor"), PASSWORD, True)
    phrase = harbor.generate_mnemonic(harbor.MnemonicLanguage.ENGLISH, 12)
    wallet = vault.import_mnemonic(name, phrase, "")
    return vault, wallet, vault.accounts(wallet.id)[0]


def test_sponsored_send_then_recovery(tmp_path):
    asyncio.run(flow(tmp_path))


async def flow(tmp_path):
    client = harbor.ChainClient(chain())
    vault, wallet, account = await new_wallet(tmp_path, "ana")
    smart = account.smart_account

    # Funds to send (none for gas): 1 ETH and 25 dev tokens.
    rpc("anvil_setBalance", [smart, hex(10**18)])
    token = os.environ["HARBOR_DEV_TOKEN"]
    amount = 25 * 10**6
    rpc("eth_sendTransaction", [{
        "from": ANVIL_0, "to": token,
        "data": "0x40c10f19" + smart[2:].lower().rjust(64, "0") + hex(amount)[2:].rjust(64, "0"),
    }])
    balance = await client.native_balance(smart)
    assert balance.formatted == "1" and balance.symbol == "ETH"
    assert (await client.token_balance(token, smart)).formatted == "25"

    friend = "0x" + "f1" * 20
    calls = [
        client.native_transfer(friend, "0.25"),
        await client.token_transfer(token, friend, "12.5"),
    ]
    stages = Stages()
    receipt = await client.send_calls(
        vault, wallet.id, 0, None, calls, True, "Sent 0.25 ETH and 12.5 HDD to a friend", stages
    )
    assert receipt.sponsor == "Harbor dev sponsor"
    assert receipt.transaction_hash
    assert stages.seen[0] == "PREPARING" and stages.seen[-1] == "INCLUDED", stages.seen
    assert (await client.native_balance(smart)).formatted == "0.75"  # no gas paid
    assert (await client.token_balance(token, friend)).formatted == "12.5"
    [entry] = vault.activity(smart, 10)
    assert entry.status == "confirmed" and entry.sponsor == "Harbor dev sponsor"

    # A sponsored send the account cannot afford fails with a typed, readable error.
    with pytest.raises(harbor.HarborError.Rejected):
        await client.send_calls(
            vault, wallet.id, 0, None, [client.native_transfer(friend, "5")], True, "too much", None
        )

    # Guardians: two friends' wallets, 2 of 2 would warn; 2 of 3 with a tablet.
    service = harbor.RecoveryService([chain()])
    guardians = [await new_wallet(tmp_path, n) for n in ("bob", "carol", "tablet")]
    infos = [
        harbor.GuardianInfo(address=a.owner_address, name=n, kind=k)
        for (n, k), (_, _, a) in zip(
            [("Bob", harbor.GuardianType.PERSON), ("Carol", harbor.GuardianType.PERSON),
             ("My tablet", harbor.GuardianType.OWN_DEVICE)],
            guardians,
        )
    ]
    changed = await service.set_guardians(vault, wallet.id, 0, None, infos, 2, None)
    assert changed
    state = await service.guardian_state(31337, smart)
    assert state.threshold == 2 and len(state.guardians) == 3
    assert [g.name for g in harbor.named_guardians(vault, smart)] == ["Bob", "Carol", "My tablet"]

    # The phone is lost. A new device: new vault, new key, a request for the guardians.
    phone, phone_wallet, phone_account = await new_wallet(tmp_path, "phone")
    progress = await service.start_recovery(phone, smart, phone_wallet.id, 0, 86_400, "new phone")
    assert [c.stage for c in progress.chains] == ["collectingApprovals"]
    for guardian_vault, guardian_wallet, _ in guardians[:2]:
        text = harbor.describe_recovery_request(progress.request_link, "Ana")
        assert "Ana's account" in text
        approval = harbor.approve_recovery_request(
            guardian_vault, guardian_wallet.id, 0, progress.request_link, None
        )
        progress = await service.add_approval(phone, progress.id, approval)
    assert progress.chains[0].stage == "readyToSubmit"
    # A stranger's approval is refused with its reason.
    stranger_vault, stranger_wallet, _ = await new_wallet(tmp_path, "stranger")
    bad = harbor.approve_recovery_request(
        stranger_vault, stranger_wallet.id, 0, progress.request_link, None
    )
    with pytest.raises(harbor.HarborError.Recovery) as err:
        await service.add_approval(phone, progress.id, bad)
    assert "is not a guardian" in str(err.value)

    # The app restarts: the recovery is still there. (The error's traceback holds the vault
    # object too; an app closes the vault by dropping every reference.)
    del phone, err
    gc.collect()
    phone = harbor.Vault.open(str(tmp_path / "phone.harbor"))
    await phone.unlock(PASSWORD)
    [saved] = harbor.saved_recoveries(phone)
    assert saved.id == progress.id and saved.chains[0].stage == "readyToSubmit"

    progress = await service.advance_recovery(phone, progress.id, None)
    assert progress.chains[0].stage == "started", progress.chains[0].last_error
    [alert] = await service.alerts(account.owner_address, None)
    assert alert.cancellable and alert.new_owner == phone_account.owner_address
    assert alert.seconds_left > 86_000

    # Two days later (anvil time travel; the relay sees the new time on its next poll).
    rpc("evm_increaseTime", [2 * 86_400 + 1])
    rpc("evm_mine", [])
    for _ in range(40):
        time.sleep(0.25)
        progress = await service.advance_recovery(phone, progress.id, None)
        if progress.chains[0].stage == "executed":
            break
    assert progress.chains[0].stage == "executed", progress.chains[0].last_error
    assert progress.finished

    # The new key moves the funds; the old one is refused.
    receipt = await client.send_calls(
        phone, phone_wallet.id, 0, account.owner_address,
        [client.native_transfer(friend, "0.1")], True, "after recovery", None,
    )
    assert receipt.account == smart
    with pytest.raises(harbor.HarborError.Rejected):
        await client.send_calls(
            vault, wallet.id, 0, None, [client.native_transfer(friend, "0.1")], True, "old", None
        )
    [alert] = await service.alerts(account.owner_address, None)
    assert not alert.cancellable and "another key" in alert.message
