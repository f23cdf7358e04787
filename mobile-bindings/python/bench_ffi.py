"""FFI overhead from Python, measured in one run: a no-op call vs `Vault.sign_message`."""

import asyncio
import tempfile
import timeit

import harbor

ABANDON = "abandon " * 11 + "about"

with tempfile.TemporaryDirectory() as tmp:
    vault = asyncio.run(harbor.create_vault(f"{tmp}/bench.harbor", "correct horse battery", True))
    wallet = vault.import_mnemonic("Bench", ABANDON, "")

    def best(fn, number):
        return min(timeit.repeat(fn, number=number, repeat=5)) / number

    noop = best(harbor.noop, 20_000)
    version = best(harbor.harbor_version, 20_000)
    sign = best(lambda: vault.sign_message(wallet.id, 0, b"hello"), 500)
    print(f"FFI from Python: noop {noop * 1e6:.2f} us, harbor_version {version * 1e6:.2f} us, "
          f"sign_message {sign * 1e6:.1f} us")
    print(f"  sign_message / noop = {sign / noop:.0f}x "
          f"(the boundary is {noop / sign * 100:.1f} % of a signature)")
