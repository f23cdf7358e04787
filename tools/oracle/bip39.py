"""Reference oracle for Harbor's differential tests: Trezor's BIP-39 (`mnemonic`) and SLIP-39
(`shamir-mnemonic`) implementations, one JSON request per stdin line, one JSON reply per line."""

import json
import sys

import shamir_mnemonic
from mnemonic import Mnemonic


def handle(request):
    op = request["op"]
    if op == "to_mnemonic":
        return Mnemonic(request["language"]).to_mnemonic(bytes.fromhex(request["entropy"]))
    if op == "to_seed":
        return Mnemonic.to_seed(request["phrase"], request.get("passphrase", "")).hex()
    if op == "check":
        return Mnemonic(request["language"]).check(request["phrase"])
    if op == "to_entropy":
        return bytes(Mnemonic(request["language"]).to_entropy(request["phrase"])).hex()
    if op == "slip39_split":
        groups = shamir_mnemonic.generate_mnemonics(
            request["group_threshold"],
            [tuple(g) for g in request["groups"]],
            bytes.fromhex(request["secret"]),
            request.get("passphrase", "").encode(),
            request.get("extendable", True),
            request.get("iteration_exponent", 1),
        )
        return groups
    if op == "slip39_combine":
        secret = shamir_mnemonic.combine_mnemonics(
            request["mnemonics"], request.get("passphrase", "").encode()
        )
        return secret.hex()
    raise ValueError(f"unknown op {op}")


for line in sys.stdin:
    if not line.strip():
        continue
    try:
        reply = {"ok": handle(json.loads(line))}
    except Exception as error:  # noqa: BLE001 - every failure is reported to the caller
        reply = {"error": f"{type(error).__name__}: {error}"}
    sys.stdout.write(json.dumps(reply, ensure_ascii=False) + "\n")
    sys.stdout.flush()
