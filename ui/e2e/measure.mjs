// Harbor against Tauri's hello world, both built with the shipped profile in the same run: cold
// start to the first rendered button (through tauri-driver, so WebKitWebDriver's own start is in
// both) and idle memory of every process of the app. Rounds alternate the two apps so machine
// noise hits both alike. Started by `cargo xtask desktop --bundle`, which sets the env.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryOf } from "./proc.mjs";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run through cargo xtask desktop --bundle)`);
  return v;
};
const DRIVER = env("HARBOR_TAURI_DRIVER");
const APPS = { harbor: env("HARBOR_APP"), hello: env("HARBOR_HELLO_APP") };
const OUT = env("HARBOR_MEASURE_OUT");
const ROUNDS = 3;
const PORT = 4494;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function call(method, path, body) {
  const r = await fetch(`http://127.0.0.1:${PORT}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await r.json();
  if (json.value?.error) throw new Error(`${method} ${path}: ${json.value.error}: ${json.value.message}`);
  return json.value;
}

/** Launches `binary`, returns ms to its first rendered button and its idle memory 5 s later. */
async function once(binary) {
  const driver = spawn(DRIVER, ["--port", String(PORT), "--native-port", String(PORT + 1)], {
    env: { ...process.env, HARBOR_DATA_DIR: mkdtempSync(join(tmpdir(), "harbor-measure-")), HARBOR_NO_KEYRING: "1" },
    stdio: "ignore",
  });
  try {
    for (let i = 0; i < 100; i++) {
      try {
        await fetch(`http://127.0.0.1:${PORT}/status`);
        break;
      } catch {
        await sleep(100);
      }
    }
    const started = performance.now();
    const { sessionId } = await call("POST", "/session", {
      capabilities: { alwaysMatch: { "tauri:options": { application: binary } } },
    });
    let coldStartMs;
    for (const end = Date.now() + 30000; Date.now() < end; await sleep(20)) {
      const found = await call("POST", `/session/${sessionId}/elements`, { using: "xpath", value: "//button" });
      if (found.length) {
        coldStartMs = performance.now() - started;
        break;
      }
    }
    if (coldStartMs === undefined) throw new Error(`${binary} showed no button within 30 s`);
    await sleep(5000);
    const pids = execFileSync("pgrep", ["-f", `^${binary}`], { encoding: "utf8" }).trim().split("\n").map(Number);
    const mem = memoryOf(Math.min(...pids));
    await call("DELETE", `/session/${sessionId}`).catch(() => {});
    return { coldStartMs, pssMb: mem.pssMb, rssMb: mem.rssMb, processes: mem.names };
  } finally {
    driver.kill();
    await sleep(1000);
  }
}

const runs = { harbor: [], hello: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const name of ["hello", "harbor"]) {
    const r = await once(APPS[name]);
    runs[name].push(r);
    console.log(`measure: ${name} round ${round + 1}: first screen ${Math.round(r.coldStartMs)} ms, PSS ${Math.round(r.pssMb)} MB (${r.processes.join(", ")})`);
  }
}
const figure = (name, key) => median(runs[name].map((r) => r[key]));
const figures = {};
for (const key of ["coldStartMs", "pssMb", "rssMb"]) {
  figures[key] = { harbor: Math.round(figure("harbor", key)), hello: Math.round(figure("hello", key)) };
  figures[key].ratio = Number((figure("harbor", key) / figure("hello", key)).toFixed(2));
}
writeFileSync(OUT, JSON.stringify({ rounds: ROUNDS, figures, runs }, null, 2));
console.log(`measure: medians of ${ROUNDS} rounds, Harbor ÷ hello world: ${JSON.stringify(figures)}`);
process.exit(0);
