"""A page in an app's WebView using Harbor through the DappEngine, end to end on a dev chain:
connect, a sign-in, an EIP-5792 batch of two token transfers (sponsored) followed to
confirmation, a refused request, malformed ones, and the events for the page."""

import asyncio
import json
import os
import time

import pytest

import harbor
from test_live import ANVIL_0, new_wallet, rpc

pytestmark = pytest.mark.live

ORIGIN = "https://shop.example"


def mint(token, to, amount):
    rpc("eth_sendTransaction", [{
        "from": ANVIL_0, "to": token,
        "data": "0x40c10f19" + to[2:].lower().rjust(64, "0") + hex(amount)[2:].rjust(64, "0"),
    }])


def transfer(to, amount):
    return "0xa9059cbb" + to[2:].lower().rjust(64, "0") + hex(amount)[2:].rjust(64, "0")


async def ask(engine, method, params):
    return await engine.request(ORIGIN, json.dumps({"method": method, "params": params}))


def result(answer):
    assert isinstance(answer, harbor.DappAnswer.RESULT), answer
    return json.loads(answer.json)


def test_a_page_connects_signs_in_and_sends_a_batch(tmp_path):
    asyncio.run(flow(tmp_path))


async def flow(tmp_path):
    vault, wallet, account = await new_wallet(tmp_path, "page")
    smart = account.address
    token = os.environ["HARBOR_DEV_TOKEN"]
    mint(token, smart, 10 * 10**6)
    engine = harbor.DappEngine(wallet)

    # Before connecting: the page sees the chain, no account, and cannot ask for signatures.
    assert result(await ask(engine, "eth_chainId", [])) == "0x7a69"
    assert result(await ask(engine, "eth_accounts", [])) == []
    refused = await ask(engine, "personal_sign", ["0x00", smart])
    assert isinstance(refused, harbor.DappAnswer.ERROR) and refused.code == 4100

    # Connecting waits for the person; the summary says who asks.
    connect = await ask(engine, "eth_requestAccounts", [])
    assert isinstance(connect, harbor.DappAnswer.PENDING)
    assert connect.request.kind == "connect"
    assert connect.request.title == "https://shop.example wants to connect to Harbor"
    assert [p.id for p in engine.pending()] == [connect.request.id]
    # Addresses reach pages in lower case, as MetaMask gives them.
    assert result(await engine.approve(connect.request.id, None)) == [smart.lower()]
    assert [(e.name, json.loads(e.data_json)) for e in engine.take_events()] == [
        ("connect", {"chainId": "0x7a69"}), ("accountsChanged", [smart.lower()]),
    ]
    [session] = engine.sessions()
    assert (session.origin, session.account, session.chain_id) == (ORIGIN, smart, 31337)

    # A sign-in for this very site: no warnings; the signature is the account's (ERC-6492 while
    # it does not exist on the chain yet).
    issued = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    siwe = (
        f"shop.example wants you to sign in with your Ethereum account:\n{smart}\n\n"
        f"URI: https://shop.example\nVersion: 1\nChain ID: 31337\nNonce: abcdef123\nIssued At: {issued}"
    )
    sign_in = await ask(engine, "personal_sign", [siwe, smart])
    assert sign_in.request.kind == "signIn" and sign_in.request.warnings == []
    signature = result(await engine.approve(sign_in.request.id, None))
    assert signature.endswith("6492" * 16)

    # The person says no: the page gets 4001.
    again = await ask(engine, "personal_sign", ["0x68656c6c6f", smart])
    rejected = engine.reject(again.request.id)
    assert isinstance(rejected, harbor.DappAnswer.ERROR) and rejected.code == 4001

    # Two token transfers in one batch, sponsored; simulated before approval.
    friend, other = "0x" + "b1" * 20, "0x" + "b2" * 20
    batch = await ask(engine, "wallet_sendCalls", [{
        "version": "2.0.0", "chainId": "0x7a69", "from": smart, "atomicRequired": True,
        "calls": [{"to": token, "data": transfer(friend, 1_000_000)},
                  {"to": token, "data": transfer(other, 2_000_000)}],
    }])
    pending = batch.request
    assert pending.kind == "calls" and pending.warnings == []
    assert any("You send 2 HDD" in line for line in pending.lines), pending.lines
    assert pending.payer.startswith("Gas is paid by")
    summary = json.loads(pending.summary_json)
    assert [c["formatted"] for c in summary["assetChanges"]] == ["1", "2"]
    batch_id = result(await engine.approve(pending.id, None))["id"]
    for _ in range(200):
        status = result(await ask(engine, "wallet_getCallsStatus", [batch_id]))
        if status["status"] != 100:
            break
        await asyncio.sleep(0.2)
    assert status["status"] == 200, status
    assert status["atomic"] is True and len(status["receipts"]) == 1
    assert status["version"] == "2.0.0"

    # Malformed and refused requests get their codes, never a crash.
    for method, params, code in [
        ("eth_sign", [smart, "0x" + "11" * 32], 4200),
        ("eth_signTransaction", [{"to": friend}], 4200),
        ("wallet_sendCalls", [{"version": "2.0.0", "chainId": "0x7a69", "calls": []}], -32602),
        ("wallet_getCallsStatus", ["0xdoesnotexist"], 5730),
        ("wallet_switchEthereumChain", [{"chainId": "0x424242"}], 4902),
        ("no_such_method", [], 4200),
    ]:
        answer = await ask(engine, method, params)
        assert isinstance(answer, harbor.DappAnswer.ERROR) and answer.code == code, (method, answer)
    not_json = await engine.request(ORIGIN, "{")
    assert not_json.code == -32700

    # Disconnecting: the page sees no account any more.
    assert engine.disconnect(ORIGIN)
    assert [(e.name, e.data_json) for e in engine.take_events()] == [("accountsChanged", "[]")]
    assert result(await ask(engine, "eth_accounts", [])) == []
