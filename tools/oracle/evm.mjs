// Reference oracle for Harbor's differential tests: answers one JSON request per stdin line with
// results computed by viem and MetaMask's @metamask/eth-sig-util (independent implementations).
import { createInterface } from 'node:readline';
import {
  hashTypedData, hexToBytes, keccak256, parseTransaction, recoverMessageAddress, serializeTransaction,
} from 'viem';
import { HDKey, hdKeyToAccount, privateKeyToAccount } from 'viem/accounts';
import { personalSign, signTypedData, SignTypedDataVersion } from '@metamask/eth-sig-util';

const big = (v) => (v === undefined || v === null ? undefined : BigInt(v));
const num = (v) => (v === undefined || v === null ? undefined : Number(BigInt(v)));

// A Harbor TransactionRequest (JSON-RPC hex fields) as a viem transaction.
function viemTx(tx) {
  const out = {
    chainId: num(tx.chainId), nonce: num(tx.nonce), gas: big(tx.gas), to: tx.to ?? null,
    value: big(tx.value ?? '0x0'), data: tx.input ?? tx.data ?? '0x',
  };
  const type = num(tx.type);
  if (type === 0 || type === 1) out.gasPrice = big(tx.gasPrice);
  if (type === 1 || type === 2 || type === 4) out.accessList = tx.accessList ?? [];
  if (type === 2 || type === 4) {
    out.maxFeePerGas = big(tx.maxFeePerGas);
    out.maxPriorityFeePerGas = big(tx.maxPriorityFeePerGas);
  }
  if (type === 4) {
    out.authorizationList = tx.authorizationList.map((a) => ({
      address: a.address, chainId: num(a.chainId), nonce: num(a.nonce),
      r: a.r, s: a.s, yParity: num(a.yParity),
    }));
  }
  out.type = { 0: 'legacy', 1: 'eip2930', 2: 'eip1559', 4: 'eip7702' }[type];
  return out;
}

const ops = {
  async address({ key }) {
    return privateKeyToAccount(key).address;
  },
  async personalSign({ key, message }) {
    const viemSig = await privateKeyToAccount(key).signMessage({ message: { raw: message } });
    const mmSig = personalSign({ privateKey: Buffer.from(key.slice(2), 'hex'), data: message });
    if (viemSig !== mmSig) throw new Error(`viem and eth-sig-util disagree: ${viemSig} ${mmSig}`);
    const recovered = await recoverMessageAddress({ message: { raw: message }, signature: viemSig });
    return { signature: viemSig, recovered };
  },
  // MetaMask's reading of a personal_sign parameter as sent by a site (hex or text).
  async mmPersonalSign({ key, data }) {
    return { signature: personalSign({ privateKey: Buffer.from(key.slice(2), 'hex'), data }) };
  },
  async typedData({ key, json }) {
    const data = JSON.parse(json);
    const signature = signTypedData({
      privateKey: Buffer.from(key.slice(2), 'hex'), data, version: SignTypedDataVersion.V4,
    });
    let viemHash = null;
    try { viemHash = hashTypedData(data); } catch (e) { viemHash = `error: ${e.shortMessage ?? e.message}`; }
    return { signature, viemHash };
  },
  async signTx({ key, tx }) {
    const raw = await privateKeyToAccount(key).signTransaction(viemTx(tx));
    return { raw, hash: keccak256(raw) };
  },
  async parseTx({ raw }) {
    const tx = parseTransaction(raw);
    return JSON.parse(JSON.stringify(tx, (_, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v)));
  },
  async seedAddress({ seed, path }) {
    const account = hdKeyToAccount(HDKey.fromMasterSeed(hexToBytes(seed)), { path });
    return account.address;
  },
  async signAuthorization({ key, authorization }) {
    const signed = await privateKeyToAccount(key).signAuthorization({
      address: authorization.address, chainId: num(authorization.chainId), nonce: num(authorization.nonce),
    });
    return { r: signed.r, s: signed.s, yParity: signed.yParity };
  },
};

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  if (!line.trim()) continue;
  let reply;
  try {
    const request = JSON.parse(line);
    const op = ops[request.op];
    if (!op) throw new Error(`unknown op ${request.op}`);
    reply = { ok: await op(request) };
  } catch (e) {
    reply = { error: String(e?.message ?? e) };
  }
  process.stdout.write(`${JSON.stringify(reply)}\n`);
}
