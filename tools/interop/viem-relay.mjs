// Drives Harbor's relay with viem's account-abstraction client (software nobody at Harbor wrote):
// the relay is viem's ERC-7677 paymaster and its ERC-7769 bundler. Prints one JSON line.
import { createPublicClient, encodeFunctionData, erc20Abi, http, parseAbi } from 'viem';
import {
  createBundlerClient,
  createPaymasterClient,
  entryPoint07Abi,
  entryPoint07Address,
  getUserOperationHash,
  toSmartAccount,
} from 'viem/account-abstraction';
import { privateKeyToAccount } from 'viem/accounts';

const { RPC_URL, RELAY_URL, FACTORY, TOKEN, RECIPIENT, OWNER_KEY, CHAIN_ID } = process.env;
const chain = {
  id: Number(CHAIN_ID),
  name: 'Harbor dev chain',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [RPC_URL] } },
};
const client = createPublicClient({ chain, transport: http(RPC_URL) });
const owner = privateKeyToAccount(OWNER_KEY);
const factoryAbi = parseAbi([
  'function createAccount(address owner, uint256 salt) returns (address)',
  'function getAddress(address owner, uint256 salt) view returns (address)',
]);
const accountAbi = parseAbi([
  'struct Call { address target; uint256 value; bytes data; }',
  'function execute(address target, uint256 value, bytes data)',
  'function executeBatch(Call[] calls)',
]);
const address = await client.readContract({
  address: FACTORY,
  abi: factoryAbi,
  functionName: 'getAddress',
  args: [owner.address, 0n],
});

const account = await toSmartAccount({
  client,
  entryPoint: { abi: entryPoint07Abi, address: entryPoint07Address, version: '0.7' },
  async getAddress() {
    return address;
  },
  async getFactoryArgs() {
    return {
      factory: FACTORY,
      factoryData: encodeFunctionData({
        abi: factoryAbi,
        functionName: 'createAccount',
        args: [owner.address, 0n],
      }),
    };
  },
  async encodeCalls(calls) {
    if (calls.length === 1) {
      const [c] = calls;
      return encodeFunctionData({
        abi: accountAbi,
        functionName: 'execute',
        args: [c.to, c.value ?? 0n, c.data ?? '0x'],
      });
    }
    return encodeFunctionData({
      abi: accountAbi,
      functionName: 'executeBatch',
      args: [calls.map((c) => ({ target: c.to, value: c.value ?? 0n, data: c.data ?? '0x' }))],
    });
  },
  async getStubSignature() {
    return `0x${'11'.repeat(32)}${'22'.repeat(32)}1b`;
  },
  async signMessage() {
    throw new Error('not used in this test');
  },
  async signTypedData() {
    throw new Error('not used in this test');
  },
  async signUserOperation(userOperation) {
    const hash = getUserOperationHash({
      userOperation: { ...userOperation, sender: address },
      entryPointAddress: entryPoint07Address,
      entryPointVersion: '0.7',
      chainId: chain.id,
    });
    return owner.sign({ hash });
  },
});

const paymaster = createPaymasterClient({ transport: http(RELAY_URL) });
const bundler = createBundlerClient({ account, client, paymaster, transport: http(RELAY_URL) });
const hash = await bundler.sendUserOperation({
  calls: [
    {
      to: TOKEN,
      data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [RECIPIENT, 1500000n] }),
    },
    { to: RECIPIENT, value: 1000n },
  ],
});
const receipt = await bundler.waitForUserOperationReceipt({ hash, pollingInterval: 200, timeout: 60_000 });
console.log(
  JSON.stringify({
    sender: address,
    userOpHash: hash,
    success: receipt.success,
    paymaster: receipt.paymaster,
    actualGasCost: receipt.actualGasCost.toString(),
    transactionHash: receipt.receipt.transactionHash,
  }),
);
