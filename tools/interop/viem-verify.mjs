// Verifies signatures with viem's public client (software nobody at Harbor wrote): it accepts
// EOA signatures, ERC-1271 signatures of deployed accounts and ERC-6492 signatures of accounts
// not deployed yet. Reads a JSON list of checks on stdin; prints a JSON list of booleans.
import { createPublicClient, http } from 'viem';

const { RPC_URL, CHAIN_ID } = process.env;
const chain = {
  id: Number(CHAIN_ID),
  name: 'Harbor dev chain',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [RPC_URL] } },
};
const client = createPublicClient({ chain, transport: http(RPC_URL) });

let input = '';
for await (const chunk of process.stdin) input += chunk;
const checks = JSON.parse(input);
const results = [];
for (const check of checks) {
  if (check.kind === 'message') {
    results.push(
      await client.verifyMessage({
        address: check.address,
        message: { raw: check.message },
        signature: check.signature,
      }),
    );
  } else {
    const { EIP712Domain: _domain, ...types } = check.typedData.types;
    results.push(
      await client.verifyTypedData({
        address: check.address,
        domain: check.typedData.domain,
        types,
        primaryType: check.typedData.primaryType,
        message: check.typedData.message,
        signature: check.signature,
      }),
    );
  }
}
console.log(JSON.stringify(results));
