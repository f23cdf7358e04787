// What the end-to-end runs share: the real app driven through tauri-driver (WebDriver) under
// Xvfb, XPath helpers, the env set by `cargo xtask desktop --e2e`, onboarding.
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run through cargo xtask desktop --e2e)`);
  return v;
};
export const APP = env("HARBOR_APP");
export const DRIVER = env("HARBOR_TAURI_DRIVER");
export const WORK = env("HARBOR_E2E_DIR");
export const RPC = env("HARBOR_RPC_URL");
export const TOKEN = env("HARBOR_DEV_TOKEN");
export const CAST = env("HARBOR_CAST");
export const FUNDER_KEY = env("HARBOR_DEV_KEY");
export const SHOTS = join(WORK, "screenshots");
mkdirSync(SHOTS, { recursive: true });
export const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";
export const PASSWORD = "harbor e2e password";
export const RECIPIENT = "0x000000000000000000000000000000000000bEEF";
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const log = (...a) => console.log("e2e:", ...a);
export const drivers = [];

/** One app instance behind its own tauri-driver. */
export class Instance {
  constructor(name, port, extraEnv = {}) {
    this.name = name;
    this.port = port;
    this.extraEnv = extraEnv;
    this.dataDir = join(WORK, name);
    mkdirSync(this.dataDir, { recursive: true });
  }
  async start() {
    this.driver = spawn(DRIVER, ["--port", String(this.port), "--native-port", String(this.port + 1)], {
      env: { ...process.env, ...this.extraEnv, HARBOR_DATA_DIR: this.dataDir, HARBOR_LOG_FILE: join(this.dataDir, "harbor.log") },
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
  /** Gives a file input the file at `path`, as choosing it in the file dialog does. */
  async upload(xpath, path) {
    const el = await this.find(xpath);
    await this.call("POST", `/element/${el}/value`, { text: path });
  }
  /** Waits until the field's value is `value`. */
  async waitValue(xpath, value, timeout = 15000) {
    const end = Date.now() + timeout;
    let seen;
    while (Date.now() < end) {
      seen = await this.call("GET", `/element/${await this.find(xpath)}/property/value`);
      if (seen === value) return;
      await sleep(200);
    }
    await this.shot(`failed-${this.name}`);
    throw new Error(`${this.name}: ${xpath} holds ${JSON.stringify(seen)}, not ${JSON.stringify(value)}`);
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

/** Acts on the app's X window as a window manager would: "close" (the ×) or "state". */
export function xwindow(action, title = "Harbor") {
  return execFileSync("/usr/bin/python3", [new URL("./xwindow.py", import.meta.url).pathname, action, title], { encoding: "utf8" }).trim();
}

/** Titles of the system notifications shown so far (read from dunst on the run's private bus). */
export function notificationsShown() {
  const dunstctl = (...args) => execFileSync("dunstctl", args, { encoding: "utf8" });
  dunstctl("close-all");
  const history = JSON.parse(dunstctl("history"));
  return history.data.flat().map((n) => n.summary?.data ?? "");
}

/** Waits until a system notification whose title matches `pattern` was shown. */
export async function waitNotification(pattern, ms = 30000) {
  const end = Date.now() + ms;
  let seen = [];
  while (Date.now() < end) {
    seen = notificationsShown();
    if (seen.some((t) => pattern.test(t))) return;
    await sleep(300);
  }
  throw new Error(`no system notification matched ${pattern}; shown: ${JSON.stringify(seen)}`);
}

export const button = (text) => `//button[normalize-space(.)=${q(text)}]`;
export const buttonStarting = (text) => `//button[starts-with(normalize-space(.), ${q(text)})]`;
export const field = (label) =>
  `//label[starts-with(normalize-space(.), ${q(label)})]//*[self::input or self::textarea or self::select]`;
export const testId = (id) => `//*[@data-testid=${q(id)}]`;
export const nav = (name) => `//nav//button[normalize-space(.)=${q(name)}]`;
export function q(s) {
  return s.includes("'") ? `"${s}"` : `'${s}'`;
}

export function cast(...args) {
  return execFileSync(CAST, args, { encoding: "utf8" }).trim();
}

export async function createWallet(app, { backup }) {
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

