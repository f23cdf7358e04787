// A script using the Harbor desktop app through its local provider with viem, as the desktop
// README shows: an HTTP transport carrying the pairing token. Prints what it saw as JSON.
import { createWalletClient, http } from 'viem';

const { HARBOR_URL, HARBOR_TOKEN } = process.env;
const wallet = createWalletClient({
  transport: http(HARBOR_URL, { fetchOptions: { headers: { Authorization: `Bearer ${HARBOR_TOKEN}` } } }),
});
const chainId = await wallet.getChainId();
const before = await wallet.getAddresses();
const [account] = await wallet.requestAddresses(); // the person approves in Harbor
let refused = null;
try {
  await wallet.request({ method: 'eth_sign', params: [account, '0x' + '11'.repeat(32)] });
} catch (error) {
  refused = error.code ?? error.cause?.code ?? null;
}
console.log(JSON.stringify({ chainId, before, account, refused }));
