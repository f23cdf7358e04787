// A dApp written with viem, talking to Harbor through an EIP-1193 `custom` transport (the
// engine served over loopback HTTP by the test). It connects, signs in with Ethereum (checked
// by viem's verifySiweMessage on the chain: ERC-6492 / ERC-1271), reads the wallet's
// capabilities, sends two token transfers in one EIP-5792 batch and waits for its status.
// Prints what it saw as JSON.
import { createPublicClient, createWalletClient, custom, encodeFunctionData, erc20Abi, http } from 'viem';
import { createSiweMessage } from 'viem/siwe';

const { RPC_URL, CHAIN_ID, WALLET_URL, TOKEN, FIRST, SECOND } = process.env;
const chain = {
  id: Number(CHAIN_ID),
  name: 'Harbor dev chain',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [RPC_URL] } },
};

let id = 0;
const transport = custom({
  async request({ method, params }) {
    const response = await fetch(WALLET_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
    });
    const body = await response.json();
    if (body.error) {
      const error = new Error(body.error.message);
      error.code = body.error.code;
      error.data = body.error.data;
      throw error;
    }
    return body.result;
  },
});

const wallet = createWalletClient({ chain, transport });
const publicClient = createPublicClient({ chain, transport: http(RPC_URL) });

const [account] = await wallet.requestAddresses();
const chainId = await wallet.getChainId();
const capabilities = await wallet.getCapabilities({ account });

const message = createSiweMessage({
  domain: 'dapp.test',
  address: account,
  chainId,
  nonce: 'harbor12345678',
  uri: 'http://dapp.test/login',
  version: '1',
  statement: 'Sign in to the Harbor test dApp.',
});
const signature = await wallet.signMessage({ account, message });
const siweValid = await publicClient.verifySiweMessage({ message, signature, domain: 'dapp.test' });

const transfer = (to, amount) =>
  encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [to, amount] });
const sent = await wallet.sendCalls({
  account,
  calls: [
    { to: TOKEN, data: transfer(FIRST, 1_000_000n) },
    { to: TOKEN, data: transfer(SECOND, 2_500_000n) },
  ],
});
const status = await wallet.waitForCallsStatus({ id: sent.id, pollingInterval: 300, timeout: 90_000 });
// Deployed now: the sign-in is an ERC-1271 signature, checked by viem again.
const signatureAfter = await wallet.signMessage({ account, message });
const siweValidAfter = await publicClient.verifySiweMessage({ message, signature: signatureAfter, domain: 'dapp.test' });
let duplicate = null;
try {
  await wallet.request({
    method: 'wallet_getCallsStatus',
    params: ['0x' + 'ab'.repeat(32)],
  });
} catch (error) {
  duplicate = error.code ?? error.cause?.code ?? null;
}

console.log(
  JSON.stringify(
    { account, chainId, capabilities, siweValid, siweValidAfter, signatureBytes: (signatureAfter.length - 2) / 2, id: sent.id, status, unknownBatchCode: duplicate },
    (_, v) => (typeof v === 'bigint' ? v.toString() : v),
  ),
);
