// End-to-end test of the real desktop app: three app instances (owner, guardian, new device),
// each with its own data folder, driven through tauri-driver (WebDriver) under Xvfb, against a
// dev chain and the paymaster relay. Started by `cargo xtask desktop --e2e`, which sets the env.
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run through cargo xtask desktop --e2e)`);
  return v;
};
const APP = env("HARBOR_APP");
const DRIVER = env("HARBOR_TAURI_DRIVER");
const WORK = env("HARBOR_E2E_DIR");
const RPC = env("HARBOR_RPC_URL");
const TOKEN = env("HARBOR_DEV_TOKEN");
const CAST = env("HARBOR_CAST");
const FUNDER_KEY = env("HARBOR_DEV_KEY");
const SHOTS = join(WORK, "screenshots");
mkdirSync(SHOTS, { recursive: true });
const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";
const PASSWORD = "harbor e2e password";
const RECIPIENT = "0x000000000000000000000000000000000000bEEF";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.log("e2e:", ...a);
const drivers = [];

/** One app instance behind its own tauri-driver. */
class Instance {
  constructor(name, port) {
    this.name = name;
    this.port = port;
    this.dataDir = join(WORK, name);
    mkdirSync(this.dataDir, { recursive: true });
  }
  async start() {
    this.driver = spawn(DRIVER, ["--port", String(this.port), "--native-port", String(this.port + 1)], {
      env: { ...process.env, HARBOR_DATA_DIR: this.dataDir },
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.driver.stderr.on("data", (d) => process.env.HARBOR_E2E_VERBOSE && process.stderr.write(`[${this.name}] ${d}`));
    drivers.push(this.driver);
    for (let i = 0; i < 100; i++) {
      try {
        await fetch(`http://127.0.0.1:${this.port}/status`);
        break;
      } catch {
        await sleep(100);
      }
    }
    const started = performance.now();
    const res = await this.call("POST", "/session", {
      capabilities: { alwaysMatch: { "tauri:options": { application: APP } } },
    });
    this.session = res.sessionId;
    await this.find(`//button`, 30000);
    this.coldStartMs = performance.now() - started;
    log(`${this.name}: first screen after ${Math.round(this.coldStartMs)} ms`);
  }
  async call(method, path, body) {
    const url = `http://127.0.0.1:${this.port}${path.startsWith("/session/") || path === "/session" ? "" : `/session/${this.session}`}${path}`;
    const r = await fetch(url, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await r.json();
    if (json.value && json.value.error) throw new Error(`${method} ${path}: ${json.value.error}: ${json.value.message}`);
    return json.value;
  }
  async find(xpath, timeout = 15000) {
    const end = Date.now() + timeout;
    let last;
    while (Date.now() < end) {
      try {
        const els = await this.call("POST", "/elements", { using: "xpath", value: xpath });
        for (const e of els) {
          const id = e[ELEMENT] ?? e.ELEMENT ?? Object.values(e)[0];
          if (!this.elementKey) {
            this.elementKey = Object.keys(e)[0];
            log(`${this.name}: element key ${this.elementKey}`);
          }
          const shown = await this.call("GET", `/element/${id}/displayed`).catch(() => true);
          if (shown) return id;
        }
      } catch (e) {
        last = e;
      }
      await sleep(150);
    }
    await this.shot(`failed-${this.name}`);
    throw new Error(`${this.name}: nothing matches ${xpath} after ${timeout} ms ${last ?? ""}`);
  }
  async text(xpath, timeout) {
    return (await this.call("GET", `/element/${await this.find(xpath, timeout)}/text`)).trim();
  }
  async click(xpath, timeout) {
    await this.call("POST", `/element/${await this.find(xpath, timeout)}/click`, {});
  }
  async type(xpath, text) {
    const el = await this.find(xpath);
    await this.call("POST", `/element/${el}/clear`, {});
    await this.call("POST", `/element/${el}/value`, { text });
  }
  /** Sets a (long) text field through the page, as a paste does. */
  async paste(xpath, text) {
    const el = await this.find(xpath);
    await this.call("POST", "/execute/sync", {
      script: `const el = arguments[0]; const proto = el.tagName === "TEXTAREA" ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
               Object.getOwnPropertyDescriptor(proto, "value").set.call(el, arguments[1]);
               el.dispatchEvent(new Event("input", { bubbles: true }));`,
      args: [{ [this.elementKey]: el }, text],
    });
  }
  /** Chooses the option of a select whose text contains `text` (or whose value is `text`). */
  async choose(xpath, text) {
    const end = Date.now() + 15000;
    let ok = false;
    while (!ok && Date.now() < end) {
    const el = await this.find(xpath);
    ok = await this.call("POST", "/execute/sync", {
      script: `const el = arguments[0];
               const o = [...el.options].find((o) => o.value === arguments[1] || o.textContent.includes(arguments[1]));
               if (!o) return false;
               Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, "value").set.call(el, o.value);
               el.dispatchEvent(new Event("change", { bubbles: true }));
               return true;`,
      args: [{ [this.elementKey]: el }, text],
    });
    if (!ok) await sleep(200);
    }
    if (!ok) throw new Error(`${this.name}: no option ${text} in ${xpath}`);
  }
  async waitText(xpath, pattern, timeout = 60000) {
    const end = Date.now() + timeout;
    let seen = "";
    while (Date.now() < end) {
      seen = await this.text(xpath, timeout).catch(() => "");
      if (pattern.test(seen)) return seen;
      await sleep(300);
    }
    await this.shot(`failed-${this.name}`);
    throw new Error(`${this.name}: ${xpath} never matched ${pattern}; last text: ${seen}`);
  }
  async shot(name) {
    if (!name.startsWith("failed")) {
      await this.call("POST", "/execute/sync", { script: "window.scrollTo(0, 0);", args: [] }).catch(() => {});
    }
    const png = await this.call("GET", "/screenshot").catch(() => null);
    if (png) writeFileSync(join(SHOTS, `${name}.png`), Buffer.from(png, "base64"));
  }
  async stop() {
    await this.call("DELETE", "").catch(() => {});
    this.driver.kill();
  }
}

const button = (text) => `//button[normalize-space(.)=${q(text)}]`;
const buttonStarting = (text) => `//button[starts-with(normalize-space(.), ${q(text)})]`;
const field = (label) =>
  `//label[starts-with(normalize-space(.), ${q(label)})]//*[self::input or self::textarea or self::select]`;
const testId = (id) => `//*[@data-testid=${q(id)}]`;
const nav = (name) => `//nav//button[normalize-space(.)=${q(name)}]`;
function q(s) {
  return s.includes("'") ? `"${s}"` : `'${s}'`;
}

function cast(...args) {
  return execFileSync(CAST, args, { encoding: "utf8" }).trim();
}

async function createWallet(app, { backup }) {
  await app.click(button("Create a new wallet"));
  await app.type(field("Password"), PASSWORD);
  await app.type(field("Type it again"), PASSWORD);
  await app.click(button("Continue"));
  await app.find(`//h1[normalize-space(.)='How do you want to back up your wallet?']`, 30000);
  if (backup === "phrase") {
    await app.shot("02-backup-choice");
    await app.click(buttonStarting("Recovery phrase"));
    await app.find(testId("phrase-words"));
    const words = [];
    for (let i = 1; i <= 12; i++) words.push(await app.text(`${testId("phrase-words")}/li[${i}]`));
    await app.click(button("I have written them down"));
    for (let n = 1; n <= 12; n++) {
      const els = await app.call("POST", "/elements", { using: "xpath", value: testId(`quiz-${n}`) });
      if (els.length) await app.type(testId(`quiz-${n}`), words[n - 1]);
    }
    await app.shot("03-phrase-quiz");
    await app.click(button("Check"));
  } else {
    await app.click(buttonStarting("Guardians (recommended)"));
  }
  return app.text(testId("home-address"), 30000);
}

async function send(app, { asset, amount, shot }) {
  await app.click(nav("Send"));
  if (asset) await app.choose(field("What to send"), asset);
  await app.type(field("Recipient address"), RECIPIENT);
  await app.find(testId("recipient"));
  await app.type(field("Amount"), amount);
  await app.click(button("Review"));
  const gas = await app.text(testId("gas-payer"), 30000);
  if (!/Gas paid by Harbor sponsor/.test(gas)) throw new Error(`review does not say who pays gas: ${gas}`);
  if (shot) await app.shot("06-send-review");
  await app.click(button("Confirm and send"));
  const receipt = await app.text(testId("send-receipt"), 90000);
  if (!receipt.includes("Confirmed")) throw new Error(`receipt: ${receipt}`);
  if (shot) await app.shot("07-send-receipt");
  log(`sent ${amount} ${asset ?? "ETH"}`);
}

/** Resident memory of the app's processes (the app and its WebKit helpers), in MB. */
function memoryOf(rootPid) {
  const children = new Map();
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(Number(pid), ppid);
    } catch {}
  }
  const tree = new Set([rootPid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of children) if (tree.has(ppid) && !tree.has(pid)) (tree.add(pid), (grew = true));
  }
  // RSS counts shared libraries once per process; PSS shares them out, so the sum is honest.
  let rssKb = 0;
  let pssKb = 0;
  const names = [];
  for (const pid of tree) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const name = /Name:\s+(\S+)/.exec(status)?.[1];
      if (name === "WebKitWebDriver") continue;
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
      rssKb += Number(/Rss:\s+(\d+)/.exec(rollup)?.[1] ?? 0);
      pssKb += Number(/Pss:\s+(\d+)/.exec(rollup)?.[1] ?? 0);
      names.push(name);
    } catch {}
  }
  return { rssMb: rssKb / 1024, pssMb: pssKb / 1024, names };
}

async function main() {
  const owner = new Instance("owner", 4444);
  const guardian = new Instance("guardian", 4454);
  const device = new Instance("new-device", 4464);

  // Owner: onboarding with the phrase quiz, receive, two sponsored sends, activity.
  await owner.start();
  await owner.shot("01-welcome");
  const account = await createWallet(owner, { backup: "phrase" });
  log(`owner account ${account}`);
  cast("rpc", "--rpc-url", RPC, "anvil_setBalance", account, "0x8ac7230489e80000");
  cast("send", "--rpc-url", RPC, "--private-key", FUNDER_KEY, TOKEN, "mint(address,uint256)", account, "1000000000");
  await owner.click(nav("Receive"));
  const shown = await owner.text(testId("receive-address"));
  if (shown !== account) throw new Error(`receive shows ${shown}, home showed ${account}`);
  await owner.shot("05-receive");
  await owner.click(nav("Home"));
  await owner.waitText(testId("chain-31337"), /10 ETH/);
  await owner.shot("04-home");
  await send(owner, { amount: "0.5", shot: true });
  await owner.type(field("Save this recipient as"), "Bob");
  await owner.click(button("Save"));
  await send(owner, { asset: "HDD", amount: "12.5" });
  await owner.click(nav("Activity"));
  const activity = await owner.waitText(testId("activity-list"), /Sent 12\.5 HDD[\s\S]*Sent 0\.5 ETH/);
  if (!/paid by/.test(activity)) throw new Error(`activity lacks who paid the gas: ${activity}`);
  await owner.shot("08-activity");
  const ethAt = cast("balance", "--rpc-url", RPC, RECIPIENT);
  const tokensAt = cast("call", "--rpc-url", RPC, TOKEN, "balanceOf(address)(uint256)", RECIPIENT);
  if (ethAt !== "500000000000000000" || !tokensAt.startsWith("12500000")) throw new Error(`recipient has ${ethAt} wei and ${tokensAt} token units`);
  log("recipient received 0.5 ETH and 12.5 HDD on chain");

  // Guardian: its own wallet answers the owner's invitation.
  await guardian.start();
  await createWallet(guardian, { backup: "guardians" });
  await owner.click(nav("Guardians"));
  await owner.click(button("Create an invitation"), 30000);
  const invitation = await owner.text(testId("invitation-link"));
  await guardian.click(nav("Guardians"));
  await guardian.paste(field("Invitation"), invitation);
  await guardian.type(field("Your name, as they know you"), "Carol");
  await guardian.click(button("Accept"));
  const reply = await guardian.text(testId("invitation-reply"));
  await owner.paste(field("Their reply"), reply);
  await owner.click(button("Add from reply"));
  await owner.waitText(testId("guardian-list"), /Carol/);
  await owner.shot("09-guardians");
  await owner.click(button("Save guardians"));
  await owner.find(`//*[normalize-space(.)='Guardians saved.']`, 90000);
  log("guardian Carol saved on chain");

  // New device: restore through guardians.
  await device.start();
  await device.click(button("Get my account back with my guardians"));
  await device.type(field("Password"), PASSWORD);
  await device.type(field("Type it again"), PASSWORD);
  await device.click(button("Continue"));
  await device.find(testId("home-address"), 30000);
  await device.click(nav("Recovery"));
  await device.type(field("Account address"), account);
  await device.type(field("A note for your guardians"), "my new laptop");
  await device.click(button("Start recovery"));
  const request = await device.text(testId("request-link"), 30000);
  await guardian.click(nav("Recovery"));
  await guardian.paste(field("Recovery request"), request);
  await guardian.click(button("Read the request"));
  await guardian.waitText(testId("request-description"), /my new laptop/);
  await guardian.shot("11-guardian-approves");
  await guardian.click(button("Approve"));
  const approval = await guardian.text(testId("approval-link"));
  await device.paste(field("A guardian's approval"), approval);
  await device.click(button("Add approval"));
  await device.waitText(testId("recovery-card"), /1 of 1 approvals/);
  await device.click(button("Continue recovery"));
  await device.waitText(testId("recovery-stage-31337"), /Waiting period/, 90000);
  await device.shot("10-recovery-waiting");
  log("recovery started on the new device");

  // Owner: the alert appears; one click cancels.
  await owner.click(nav("Home"));
  await owner.waitText(testId("recovery-alert"), /Someone is trying to take over/, 60000);
  await owner.shot("12-owner-alert");
  await owner.click(button("Cancel this recovery"));
  const end = Date.now() + 90000;
  while (Date.now() < end) {
    const els = await owner.call("POST", "/elements", { using: "xpath", value: testId("recovery-alert") });
    if (!els.length) break;
    await sleep(500);
  }
  await device.click(button("Continue recovery"));
  await device.waitText(testId("recovery-stage-31337"), /Cancelled by the owner/, 60000);
  log("the owner cancelled; the new device sees it");

  // Settings in Chinese.
  await owner.click(nav("Settings"));
  await owner.choose(field("Language"), "zh-Hans");
  await owner.find(`//nav//button[normalize-space(.)='设置']`);
  await owner.shot("13-settings-zh-Hans");
  await owner.choose(field("语言"), "en");

  // Figures for the README: cold start, and idle memory of the owner's app once it is alone.
  await guardian.stop();
  await device.stop();
  await owner.click(nav("Home"));
  await sleep(5000);
  const appPids = execFileSync("pgrep", ["-f", APP], { encoding: "utf8" }).trim().split("\n").map(Number);
  const mem = memoryOf(Math.min(...appPids));
  const figures = {
    coldStartMs: Math.round(owner.coldStartMs),
    coldStartGuardianMs: Math.round(guardian.coldStartMs),
    coldStartDeviceMs: Math.round(device.coldStartMs),
    idleMemoryPssMb: Math.round(mem.pssMb),
    idleMemoryRssMb: Math.round(mem.rssMb),
    processes: mem.names,
  };
  writeFileSync(join(WORK, "figures.json"), JSON.stringify(figures, null, 2));
  log(`figures: ${JSON.stringify(figures)}`);
  await owner.stop();
}

main()
  .then(() => {
    log("passed");
    process.exit(0);
  })
  .catch((e) => {
    console.error("e2e: FAILED:", e.message);
    for (const d of drivers) d.kill();
    process.exit(1);
  });
