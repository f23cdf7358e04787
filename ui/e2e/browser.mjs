// End to end in a real browser: Debian's Chromium with the unpacked Harbor extension, a dApp
// page that finds Harbor through EIP-6963, and the real Harbor app (under Xvfb, approvals
// clicked through WebDriver) on the dev chain with its sponsor. Started by
// `cargo xtask desktop --e2e` after run.mjs.
import { createServer } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { RPC, TOKEN, FUNDER_KEY, env, sleep, log, drivers, Instance, button, nav, q, cast, createWallet, waitNotification, xwindow } from "./app.mjs";

const EXTENSION = env("HARBOR_EXTENSION");
const { chromium } = await import(pathToFileURL(join(env("HARBOR_PLAYWRIGHT"), "index.mjs")).href);
const viem = await import(pathToFileURL(join(env("HARBOR_VIEM"), "_esm/index.js")).href);
const { createSiweMessage } = await import(pathToFileURL(join(env("HARBOR_VIEM"), "_esm/siwe/index.js")).href);

const dialogButton = (text) => `//div[@role='dialog']//button[normalize-space(.)=${q(text)}]`;

// The dApp: finds Harbor among EIP-6963 announcements and keeps what it hears.
const PAGE = `<!doctype html><title>Harbor test dApp</title><script>
window.dapp = { provider: null, events: [] };
window.addEventListener("eip6963:announceProvider", (e) => {
  if (e.detail.info.rdns !== "app.harbor.wallet" || window.dapp.provider) return;
  window.dapp.provider = e.detail.provider;
  window.dapp.info = e.detail.info;
  e.detail.provider.on("accountsChanged", (a) => window.dapp.events.push(["accountsChanged", a]));
  e.detail.provider.on("chainChanged", (c) => window.dapp.events.push(["chainChanged", c]));
});
window.dispatchEvent(new Event("eip6963:requestProvider"));
window.ask = (method, params) => window.dapp.provider.request({ method, params }).then(
  (result) => ({ result }), (e) => ({ error: { code: e.code, message: e.message } }));
</script>`;

async function main() {
  const server = createServer((_, res) => {
    res.setHeader("content-type", "text/html");
    res.end(PAGE);
  }).listen(0, "127.0.0.1");
  await new Promise((r) => server.on("listening", r));
  const site = `127.0.0.1:${server.address().port}`;

  // The extension tries 18545 first: no app of the previous run may still hold it.
  const { createConnection } = await import("node:net");
  const portBusy = () => new Promise((r) => {
    const c = createConnection(18545, "127.0.0.1", () => (c.destroy(), r(true)));
    c.on("error", () => r(false));
  });
  for (let i = 0; i < 100 && (await portBusy()); i++) await sleep(100);
  if (await portBusy()) throw new Error("port 18545 is still taken by an app of the previous run");
  const app = new Instance("browser-owner", 4484);
  await app.start();
  const account = await createWallet(app, { backup: "guardians" });
  cast("send", "--rpc-url", RPC, "--private-key", FUNDER_KEY, TOKEN, "mint(address,uint256)", account, "10000000");
  log(`browser: account ${account}`);

  const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "harbor-chromium-")), {
    executablePath: env("HARBOR_CHROMIUM"),
    headless: false,
    args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", `--disable-extensions-except=${EXTENSION}`, `--load-extension=${EXTENSION}`],
  });
  try {
    const worker = browser.serviceWorkers()[0] ?? (await browser.waitForEvent("serviceworker", { timeout: 15000 }));
    const extensionId = new URL(worker.url()).host;

    // Before pairing, a page hears a clear 4900.
    const page = await browser.newPage();
    await page.goto(`http://${site}/`);
    const info = await page.evaluate(() => window.dapp.info);
    if (info?.name !== "Harbor") throw new Error(`EIP-6963 did not find Harbor: ${JSON.stringify(info)}`);
    const early = await page.evaluate(() => window.ask("eth_chainId", []));
    if (early.error?.code !== 4900 || !/not paired/.test(early.error.message)) throw new Error(`before pairing: ${JSON.stringify(early)}`);

    // Pairing: the popup asks, the app shows the same code, the person allows.
    const popup = await browser.newPage();
    await popup.goto(`chrome-extension://${extensionId}/popup.html`);
    try {
      await popup.waitForSelector("#pair:not([hidden])", { timeout: 20000 });
    } catch (e) {
      throw new Error(`the popup did not offer pairing; it says: ${await popup.textContent("#status")}`);
    }
    await popup.click("#pair");
    await popup.waitForSelector("#code:not([hidden])", { timeout: 20000 });
    const code = (await popup.textContent("#code .code")).trim();
    const shown = await app.text(`//div[@role='dialog']//p[contains(., ${q(code)})]`, 20000);
    log(`browser: the app shows the pairing code (${shown})`);
    await app.shot("20-dapp-pairing");
    await app.click(dialogButton("Allow"));
    await popup.waitForFunction(() => document.getElementById("status").textContent.startsWith("Connected"), null, { timeout: 20000 });
    await popup.close();

    // Each request is approved (or rejected) in the app while the page waits.
    const decide = async (method, params, choice, shot) => {
      const answer = page.evaluate(([m, p]) => window.ask(m, p), [method, params]);
      await app.find(dialogButton(choice), 30000);
      if (shot) await app.shot(shot);
      await app.click(dialogButton(choice));
      return answer;
    };
    const connected = await decide("eth_requestAccounts", [], "Approve", "21-dapp-connect");
    if (connected.result?.[0]?.toLowerCase() !== account.toLowerCase()) throw new Error(`connect: ${JSON.stringify(connected)}`);
    log("browser: connected");

    const chain = { id: 31337, name: "dev", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [RPC] } } };
    const client = viem.createPublicClient({ chain, transport: viem.http(RPC) });

    // personal_sign while the account does not exist yet: ERC-6492, checked by viem.
    const hello = viem.toHex("hello from the browser");
    const signed = await decide("personal_sign", [hello, account], "Approve", "22-dapp-message");
    if (!(await client.verifyMessage({ address: account, message: { raw: hello }, signature: signed.result }))) {
      throw new Error("viem does not accept the ERC-6492 signature");
    }
    // Sign-In with Ethereum for this very site.
    const siwe = createSiweMessage({ domain: site, address: account, chainId: 31337, nonce: "browser12345", uri: `http://${site}/`, version: "1" });
    const signIn = await decide("personal_sign", [viem.toHex(siwe), account], "Approve", "23-dapp-sign-in");
    if (!(await client.verifySiweMessage({ message: siwe, signature: signIn.result, domain: site }))) throw new Error("SIWE not verified");
    log("browser: message and sign-in verified by viem (ERC-6492)");

    // Two token transfers in one sponsored batch, followed to confirmation.
    const transfer = (to, amount) => viem.encodeFunctionData({ abi: viem.erc20Abi, functionName: "transfer", args: [to, amount] });
    const [first, second] = ["0x00000000000000000000000000000000000000b1", "0x00000000000000000000000000000000000000b2"];
    const sent = await decide("wallet_sendCalls", [{ version: "2.0.0", chainId: "0x7a69", from: account, atomicRequired: true,
      calls: [{ to: TOKEN, data: transfer(first, 1000000n) }, { to: TOKEN, data: transfer(second, 2000000n) }] }], "Approve", "24-dapp-calls");
    let status;
    for (let i = 0; i < 200; i++) {
      status = await page.evaluate((id) => window.ask("wallet_getCallsStatus", [id]), sent.result.id);
      if (status.result?.status !== 100) break;
      await sleep(300);
    }
    if (status.result?.status !== 200) throw new Error(`batch: ${JSON.stringify(status)}`);
    const balance = (who) => client.readContract({ address: TOKEN, abi: viem.erc20Abi, functionName: "balanceOf", args: [who] });
    if ((await balance(first)) !== 1000000n || (await balance(second)) !== 2000000n) throw new Error("the transfers are not on chain");
    log("browser: sponsored batch confirmed, balances on chain");

    // Typed data now that the account exists: ERC-1271.
    const typed = { types: { EIP712Domain: [{ name: "name", type: "string" }, { name: "chainId", type: "uint256" }], Note: [{ name: "text", type: "string" }] },
      primaryType: "Note", domain: { name: "Harbor e2e", chainId: 31337 }, message: { text: "typed in the browser" } };
    const typedSig = await decide("eth_signTypedData_v4", [account, JSON.stringify(typed)], "Approve", "25-dapp-typed-data");
    const { EIP712Domain: _, ...types } = typed.types;
    if (!(await client.verifyTypedData({ address: account, domain: typed.domain, types, primaryType: "Note", message: typed.message, signature: typedSig.result }))) {
      throw new Error("viem does not accept the ERC-1271 typed-data signature");
    }
    log("browser: typed data verified by viem (ERC-1271)");

    // Refused by the person: 4001. Refused by Harbor: a guardian change from a site.
    const refused = await decide("personal_sign", [viem.toHex("no thanks"), account], "Reject");
    if (refused.error?.code !== 4001) throw new Error(`reject: ${JSON.stringify(refused)}`);
    const guardian = await page.evaluate(([to]) => window.ask("eth_sendTransaction", [{ to, data: "0x263bc14f" + "00".repeat(64) }]), [account]);
    if (guardian.error?.code !== 4100) throw new Error(`own-account call: ${JSON.stringify(guardian)}`);

    // The page cannot reach the provider itself.
    const direct = await page.evaluate(async () => {
      const ws = await new Promise((r) => {
        const s = new WebSocket("ws://127.0.0.1:18545/ws");
        s.onopen = () => r("open");
        s.onerror = () => r("refused");
      });
      const http = await fetch("http://127.0.0.1:18545/", { method: "POST", body: "{}" }).then((r) => r.status, () => "refused");
      return { ws, http };
    });
    if (direct.ws !== "refused" || (direct.http !== "refused" && direct.http !== 403)) throw new Error(`direct access: ${JSON.stringify(direct)}`);
    log("browser: rejection 4001, own-account call 4100, direct access refused");

    // The second dev chain: asked, approved, announced; the same account, read from that chain's
    // node (it holds coins only there).
    const secondRpc = env("HARBOR_SECOND_RPC_URL");
    const secondId = `0x${Number(cast("chain-id", "--rpc-url", secondRpc)).toString(16)}`;
    cast("send", "--rpc-url", secondRpc, "--private-key", FUNDER_KEY, account, "--value", "123000000000000000");
    const switched = await decide("wallet_switchEthereumChain", [{ chainId: secondId }], "Approve", "27-dapp-switch");
    if (switched.error) throw new Error(`switch: ${JSON.stringify(switched)}`);
    await page.waitForFunction((id) => window.dapp.events.some(([n, c]) => n === "chainChanged" && c === id), secondId, { timeout: 20000 });
    const there = await page.evaluate(async (a) => ({
      chainId: await window.ask("eth_chainId", []),
      accounts: await window.ask("eth_accounts", []),
      balance: await window.ask("eth_getBalance", [a, "latest"]),
    }), account);
    if (there.chainId.result !== secondId || there.accounts.result?.[0]?.toLowerCase() !== account.toLowerCase()
      || BigInt(there.balance.result ?? -1) !== 123000000000000000n) {
      throw new Error(`after the switch: ${JSON.stringify(there)}`);
    }
    log(`browser: switched to the second dev chain ${secondId}; same account, its balance read there`);

    // Disconnected in Settings: the page hears accountsChanged([]).
    await app.click(nav("Settings"));
    await app.shot("26-connected-sites");
    await app.click(`//li[strong[normalize-space(.)=${q(`http://${site}`)}]]//button`);
    await page.waitForFunction(() => window.dapp.events.some(([n, a]) => n === "accountsChanged" && a.length === 0), null, { timeout: 20000 });
    log("browser: revoked in Settings; the page sees no account");

    // Closing the window keeps Harbor in the tray: it says so once and still answers the page; a
    // request that needs the person brings the window back.
    if (xwindow("state") !== "shown") throw new Error("the app's window is not shown");
    xwindow("close");
    await waitNotification(/Harbor is still running/);
    if (xwindow("state") !== "hidden") throw new Error("the window did not hide on close");
    const still = await page.evaluate(() => window.ask("eth_chainId", []));
    if (!/^0x[0-9a-f]+$/.test(still.result ?? "")) throw new Error(`with the window closed: ${JSON.stringify(still)}`);
    const again = await decide("eth_requestAccounts", [], "Approve");
    if (xwindow("state") !== "shown") throw new Error("a waiting request did not bring the window back");
    if (again.result?.[0]?.toLowerCase() !== account.toLowerCase()) throw new Error(`reconnect: ${JSON.stringify(again)}`);
    log("browser: closed into the tray, said so, kept answering; a request brought the window back");
  } finally {
    await browser.close();
    server.close();
    await app.stop();
  }
}

main()
  .then(() => {
    log("browser: passed");
    process.exit(0);
  })
  .catch((e) => {
    console.error("e2e: browser FAILED:", e.message);
    for (const d of drivers) d.kill();
    process.exit(1);
  });
