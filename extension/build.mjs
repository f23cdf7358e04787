// Builds the extension for Chromium-based browsers and Firefox: dist/chromium, dist/firefox
// (load unpacked) and a zip of each. Every script is bundled by Vite into one classic script.
import { build } from "vite";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";
import { join } from "node:path";

const here = new URL(".", import.meta.url).pathname;
const out = join(here, "dist");
const { version, description } = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));
const ENTRIES = ["inpage", "content", "background", "popup"];
const PAGES = ["http://*/*", "https://*/*"];

function manifest(browser) {
  const m = {
    manifest_version: 3,
    name: "Harbor",
    version,
    description,
    icons: { 16: "icon-16.png", 48: "icon-48.png", 128: "icon-128.png" },
    action: { default_popup: "popup.html", default_title: "Harbor", default_icon: { 16: "icon-16.png", 48: "icon-48.png" } },
    permissions: ["storage"],
    // The Harbor app on this computer (any of its ports).
    host_permissions: ["http://127.0.0.1/*"],
    content_scripts: [
      { matches: PAGES, js: ["inpage.js"], run_at: "document_start", all_frames: true, world: "MAIN" },
      { matches: PAGES, js: ["content.js"], run_at: "document_start", all_frames: true },
    ],
  };
  if (browser === "firefox") {
    m.background = { scripts: ["background.js"] };
    m.browser_specific_settings = { gecko: { id: "wallet@harbor.app", strict_min_version: "128.0" } };
  } else {
    m.background = { service_worker: "background.js" };
  }
  return m;
}

// --- a square icon, drawn and PNG-encoded here (no image tools needed) ---
const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, "ascii"), data])));
  return Buffer.concat([head, data, crc]);
}
function icon(size) {
  const rows = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let x = 0; x < size; x++) {
      const u = x / size, v = y / size;
      const r = 0.2, inCorner = (cx, cy) => (u - cx) ** 2 + (v - cy) ** 2 > r * r;
      const outside = (u < r && v < r && inCorner(r, r)) || (u > 1 - r && v < r && inCorner(1 - r, r)) ||
        (u < r && v > 1 - r && inCorner(r, 1 - r)) || (u > 1 - r && v > 1 - r && inCorner(1 - r, 1 - r));
      // A hull and a mast with a sail, in white on deep blue.
      const hull = v > 0.62 && v < 0.75 && u > 0.25 + (v - 0.62) && u < 0.75 - (v - 0.62);
      const mast = u > 0.48 && u < 0.52 && v > 0.2 && v < 0.6;
      const sail = u > 0.52 && v > 0.25 && v < 0.42 && u < 0.52 + (0.42 - v);
      const white = hull || mast || sail;
      const px = outside ? [0, 0, 0, 0] : white ? [255, 255, 255, 255] : [11, 61, 92, 255];
      px.forEach((c, i) => (row[1 + x * 4 + i] = c));
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

// --- a zip of stored (uncompressed) files ---
function zip(dir, target) {
  const files = readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile()).sort();
  const locals = [], centrals = [];
  let offset = 0;
  for (const name of files) {
    const data = readFileSync(join(dir, name));
    const crc = crc32(data), n = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18); local.writeUInt32LE(data.length, 22); local.writeUInt16LE(n.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16); central.writeUInt32LE(data.length, 20); central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(n.length, 28); central.writeUInt32LE(offset, 42);
    locals.push(local, n, data);
    centrals.push(central, n);
    offset += 30 + n.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(files.length, 8); end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  writeFileSync(target, Buffer.concat([...locals, cd, end]));
}

rmSync(out, { recursive: true, force: true });
const scripts = join(out, "scripts");
for (const entry of ENTRIES) {
  await build({
    configFile: false,
    logLevel: "warn",
    build: {
      outDir: scripts,
      emptyOutDir: false,
      minify: false,
      lib: { entry: join(here, "src", `${entry}.ts`), formats: ["iife"], name: `harbor_${entry}`, fileName: () => `${entry}.js` },
    },
  });
}
for (const browser of ["chromium", "firefox"]) {
  const dir = join(out, browser);
  mkdirSync(dir, { recursive: true });
  for (const entry of ENTRIES) copyFileSync(join(scripts, `${entry}.js`), join(dir, `${entry}.js`));
  copyFileSync(join(here, "src/popup.html"), join(dir, "popup.html"));
  for (const size of [16, 48, 128]) writeFileSync(join(dir, `icon-${size}.png`), icon(size));
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest(browser), null, 2) + "\n");
  zip(dir, join(out, `harbor-extension-${browser}-${version}.zip`));
}
rmSync(scripts, { recursive: true, force: true });
console.log(`extension: built ${out}/chromium and ${out}/firefox (+ zips)`);
