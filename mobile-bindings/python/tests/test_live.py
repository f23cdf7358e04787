"""The whole flow from Python against a dev chain and the relay (started by `cargo xtask test`):
create a vault, import, a sponsored send of ETH and a token, then guardians and a recovery of
the account on a new device, with the owner's alert."""

import asyncio
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


class CountingTransport(harbor.UrllibTransport):
    """The shipped transport, with the requests the library made through it counted."""

    def __init__(self):
        super().__init__()
        self.requests = 0

    def send(self, request):
        self.requests += 1
        return super().send(request)


async def new_wallet(tmp_path, name):
    """A new vault with the dev chain and a new phrase wallet: (vault, wallet, its account)."""
    vault = await harbor.create_vault(str(tmp_path / f"{name}.harbor"), PASSWORD, True)
    vault.save_chain(chain())
    vault.add_new_phrase(name, harbor.generate_mnemonic(harbor.Language.ENGLISH, 12), "")
    wallet = harbor.Wallet(vault)
    return vault, wallet, wallet.accounts()[0]


def test_sponsored_send_then_recovery(tmp_path):
    asyncio.run(flow(tmp_path))


def native(balances):
    [on_dev] = balances
    assert on_dev.error is None, on_dev.error
    return on_dev.amounts


async def flow(tmp_path):
    transport = CountingTransport()
    harbor.set_http_transport(transport)
    vault, wallet, account = await new_wallet(tmp_path, "ana")
    smart = account.address

    # Funds to send (none for gas): 1 ETH and 25 dev tokens.
    rpc("anvil_setBalance", [smart, hex(10**18)])
    token = os.environ["HARBOR_DEV_TOKEN"]
    amount = 25 * 10**6
    rpc("eth_sendTransaction", [{
        "from": ANVIL_0, "to": token,
        "data": "0x40c10f19" + smart[2:].lower().rjust(64, "0") + hex(amount)[2:].rjust(64, "0"),
    }])
    tokens = [harbor.TokenRef(chain_id=31337, address=token)]
    eth, dev = native(await wallet.balances(smart, tokens))
    assert (eth.formatted, eth.symbol, dev.formatted) == ("1", "ETH", "25")
    assert transport.requests > 0, "the library bypassed the app's HTTP transport"

    # A transfer is reviewed (amount, balance, recipient) before it is sent.
    friend = "0x" + "f1" * 20
    request = harbor.SendRequest(account=smart, chain_id=31337, to=friend, amount="0.25", token=None)
    review = await wallet.review_send(request)
    assert review.sponsored and review.creates_account and review.amount == "0.25"
    assert harbor.RecipientWarning.FIRST_TIME() in review.warnings
    too_much = harbor.SendRequest(account=smart, chain_id=31337, to=friend, amount="5", token=None)
    with pytest.raises(harbor.HarborError.InsufficientFunds):
        await wallet.review_send(too_much)

    stages = Stages()
    receipt = await wallet.send(request, stages)
    assert receipt.sponsor == "Harbor dev sponsor" and receipt.account == smart
    assert receipt.transaction_hash
    assert stages.seen[0] == "PREPARING" and stages.seen[-1] == "INCLUDED", stages.seen
    # Signed by the smart account, now deployed: a 65-byte ERC-1271 signature.
    assert len(await wallet.sign_message(smart, 31337, b"hello")) == 2 + 2 * 65

    # A batch of calls in one operation: ETH and a token.
    calls = [
        harbor.Call(to=friend, value_wei=str(10**17), data="0x"),
        harbor.token_transfer_call(token, friend, harbor.parse_amount("12.5", 6)),
    ]
    await wallet.send_calls(smart, 31337, calls, "Sent 0.1 ETH and 12.5 HDD to a friend", None)
    eth, dev = native(await wallet.balances(smart, tokens))
    assert (eth.formatted, dev.formatted) == ("0.65", "12.5")  # no gas paid
    entries = wallet.activity(smart, 10)
    assert [e.status for e in entries] == [harbor.ActivityStatus.CONFIRMED] * 2
    assert entries[0].sponsor == "Harbor dev sponsor" and entries[0].chain_name == "Harbor dev chain"

    # A sponsored send the account cannot afford, built by hand, fails with a typed error.
    with pytest.raises(harbor.HarborError.Rejected):
        big = [harbor.Call(to=friend, value_wei=str(5 * 10**18), data="0x")]
        await wallet.send_calls(smart, 31337, big, "too much", None)

    # Guardians: two friends' wallets and a tablet, 2 of 3.
    guardians = [await new_wallet(tmp_path, n) for n in ("bob", "carol", "tablet")]
    named = [
        harbor.Guardian(address=a.owner, name=n, kind=k)
        for (n, k), (_, _, a) in zip(
            [("Bob", harbor.GuardianKind.PERSON), ("Carol", harbor.GuardianKind.PERSON),
             ("My tablet", harbor.GuardianKind.OWN_DEVICE)],
            guardians,
        )
    ]
    assert await wallet.set_guardians(smart, named, 2, None) == 1
    # A guardian's account does not exist on chain yet: its signature is in the ERC-6492 form.
    _, bob_wallet, bob = guardians[0]
    assert (await bob_wallet.sign_message(bob.address, 31337, b"hello")).endswith("6492" * 16)
    [guarded] = await wallet.guardians(smart)
    assert guarded.threshold == 2 and guarded.deployed
    assert [g.name for g in guarded.guardians] == ["Bob", "Carol", "My tablet"]

    # The phone is lost. A new device: new vault, new key, a request for the guardians.
    phone, phone_wallet, phone_account = await new_wallet(tmp_path, "phone")
    progress = await phone_wallet.start_recovery(smart, None, 0, 86_400, "new phone")
    assert [c.stage for c in progress.chains] == ["collectingApprovals"]
    assert progress.new_owner == phone_account.owner
    for _, guardian_wallet, guardian_account in guardians[:2]:
        summary = guardian_wallet.describe_request(progress.request_link, "Ana")
        assert "Ana's account" in summary.description and summary.account == smart
        approval = await guardian_wallet.approve_request(
            progress.request_link, guardian_account.address, False
        )
        progress = await phone_wallet.add_approval(progress.id, approval)
    assert progress.chains[0].stage == "readyToSubmit"
    # A stranger's approval is refused with its reason.
    _, stranger, stranger_account = await new_wallet(tmp_path, "stranger")
    bad = await stranger.approve_request(progress.request_link, stranger_account.address, False)
    with pytest.raises(harbor.HarborError.Recovery) as err:
        await phone_wallet.add_approval(progress.id, bad)
    assert "is not a guardian" in str(err.value)

    # The app restarts: the recovery is still there.
    del err
    phone_wallet.close()
    phone.close()
    phone = harbor.Vault.open(str(tmp_path / "phone.harbor"))
    await phone.unlock(PASSWORD)
    phone_wallet = harbor.Wallet(phone)
    [saved] = phone_wallet.recoveries()
    assert saved.id == progress.id and saved.chains[0].stage == "readyToSubmit"

    progress = await phone_wallet.advance_recovery(progress.id, None)
    assert progress.chains[0].stage == "started", progress.chains[0].last_error
    [alert] = await wallet.alerts(smart)
    assert alert.kind == harbor.AlertKind.PENDING and alert.cancellable
    assert alert.new_owner == phone_account.owner and alert.seconds_left > 86_000

    # Two days later (anvil time travel; the relay sees the new time on its next poll).
    rpc("evm_increaseTime", [2 * 86_400 + 1])
    rpc("evm_mine", [])
    for _ in range(40):
        time.sleep(0.25)
        progress = await phone_wallet.advance_recovery(progress.id, None)
        if progress.chains[0].stage == "executed":
            break
    assert progress.chains[0].stage == "executed", progress.chains[0].last_error
    assert progress.finished

    # The phone lists the recovered account and signs for it; the old key is refused.
    recovered = [a for a in phone_wallet.accounts() if a.recovered]
    assert [a.address for a in recovered] == [smart]
    receipt = await phone_wallet.send_calls(
        smart, 31337, [harbor.Call(to=friend, value_wei="1", data="0x")], "after recovery", None
    )
    assert receipt.account == smart
    with pytest.raises(harbor.HarborError.Rejected):
        await wallet.send_calls(
            smart, 31337, [harbor.Call(to=friend, value_wei="1", data="0x")], "old", None
        )
    [alert] = await wallet.alerts(smart)
    assert alert.kind == harbor.AlertKind.TAKEN and "another key" in alert.message


def test_a_sponsor_link_sets_up_the_network(tmp_path):
    asyncio.run(sponsor_flow(tmp_path))


async def sponsor_flow(tmp_path):
    relay = os.environ["HARBOR_RELAY_URL"]
    base, key = relay.split("/rpc/")[0], relay.rsplit("/", 1)[1]
    vault = await harbor.create_vault(str(tmp_path / "s.harbor"), PASSWORD, True)
    # The dev chain's node, with no bundler or sponsor of the user's own.
    plain = chain()
    plain.bundler_url = None
    plain.paymaster_url = None
    vault.save_chain(plain)
    vault.add_new_phrase("s", harbor.generate_mnemonic(harbor.Language.ENGLISH, 12), "")
    wallet = harbor.Wallet(vault)
    account = wallet.accounts()[0].address
    assert await wallet.balances(account, []) == []

    with pytest.raises(harbor.HarborError.InvalidInput) as refused:
        await wallet.add_sponsor(f"{base}/healthz")
    assert "does not give a gas sponsor profile" in str(refused.value)

    sponsor = await wallet.add_sponsor(f"{base}/.well-known/harbor-sponsor/{key}")
    assert sponsor.name == "Harbor dev sponsor"
    assert [c.chain_id for c in sponsor.chains] == [31337]
    assert sponsor.chains[0].pays, "what it pays for, in its words"
    [network] = [c for c in vault.chains() if c.chain_id == 31337]
    assert network.sponsor == "Harbor dev sponsor"
    assert network.paymaster_url.startswith(base)
    [on_dev] = await wallet.balances(account, [])
    assert on_dev.error is None and on_dev.sponsor == "Harbor dev sponsor"
    assert [s.link for s in wallet.sponsors()] == [sponsor.link]

    wallet.remove_sponsor(sponsor.link)
    assert await wallet.balances(account, []) == []
    with pytest.raises(harbor.HarborError.NotFound):
        wallet.remove_sponsor(sponsor.link)


def test_recovery_notices_reach_the_wallet(tmp_path):
    asyncio.run(notices_flow(tmp_path))


async def notices_flow(tmp_path):
    relay = os.environ["HARBOR_RELAY_URL"]
    base, key = relay.split("/rpc/")[0], relay.rsplit("/", 1)[1]
    vault, wallet, account = await new_wallet(tmp_path, "owner")
    smart = account.address
    await wallet.add_sponsor(f"{base}/.well-known/harbor-sponsor/{key}")
    assert await wallet.register_for_alerts() >= 1
    assert await wallet.recovery_notices(0) == []

    # Two guardians, then a recovery from a new device with both approvals.
    guardians = [await new_wallet(tmp_path, n) for n in ("friend", "tablet")]
    named = [
        harbor.Guardian(address=a.owner, name=n, kind=harbor.GuardianKind.PERSON)
        for n, (_, _, a) in zip(("Friend", "Tablet"), guardians)
    ]
    assert await wallet.set_guardians(smart, named, 2, None) == 1
    _, phone_wallet, phone_account = await new_wallet(tmp_path, "phone")
    progress = await phone_wallet.start_recovery(smart, None, 0, 86_400, "new phone")
    for _, guardian_wallet, guardian_account in guardians:
        approval = await guardian_wallet.approve_request(
            progress.request_link, guardian_account.address, False
        )
        progress = await phone_wallet.add_approval(progress.id, approval)
    progress = await phone_wallet.advance_recovery(progress.id, None)
    assert progress.chains[0].stage == "started", progress.chains[0].last_error

    # The owner's app hears of it from the sponsor's relay, once.
    [notice] = await wallet.recovery_notices(10)
    assert notice.kind == harbor.NoticeKind.STARTED and notice.account == smart
    assert notice.new_owner == phone_account.owner and notice.chain_id == 31337
    assert notice.sponsor == "Harbor dev sponsor" and "cancel it now" in notice.message
    assert await wallet.recovery_notices(0) == []
    await wallet.cancel_recovery(smart, 31337, None)
    [notice] = await wallet.recovery_notices(10)
    assert notice.kind == harbor.NoticeKind.CANCELLED
