// End-to-end test of the real desktop app: three app instances (owner, guardian, new device),
// each with its own data folder, driven through tauri-driver (WebDriver) under Xvfb, against a
// dev chain and the paymaster relay. Started by `cargo xtask desktop --e2e`, which sets the env.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  APP, RPC, TOKEN, env, FUNDER_KEY, WORK, RECIPIENT, PASSWORD, sleep, log, drivers, Instance, button, buttonStarting, field, testId, nav, cast, createWallet, waitNotification,
} from "./app.mjs";
import QRCode from "qrcode";
import { memoryOf } from "./proc.mjs";

async function send(app, { asset, amount, shot }) {
  await app.click(nav("Send"));
  if (asset) await app.choose(field("What to send"), asset);
  await app.type(field("Recipient address"), RECIPIENT);
  await app.find(testId("recipient"));
  await app.type(field("Amount"), amount);
  await app.click(button("Review"));
  const gas = await app.text(testId("gas-payer"), 30000);
  if (!/Gas paid by Harbor dev sponsor/.test(gas)) throw new Error(`review does not say who pays gas: ${gas}`);
  if (shot) await app.shot("06-send-review");
  await app.click(button("Confirm and send"));
  const receipt = await app.text(testId("send-receipt"), 90000);
  if (!receipt.includes("Confirmed")) throw new Error(`receipt: ${receipt}`);
  if (shot) await app.shot("07-send-receipt");
  log(`sent ${amount} ${asset ?? "ETH"}`);
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

  // A gas sponsor added by its link, read from a picture of its QR code: the relay's profile,
  // checked against the chain. The app then registers the account for recovery alerts with it.
  const presets = JSON.parse(readFileSync(env("HARBOR_DEV_CHAINS"), "utf8"));
  const relayUrl = presets[0].paymasterUrl;
  const link = `${relayUrl.split("/rpc/")[0]}/.well-known/harbor-sponsor/${relayUrl.split("/").pop()}`;
  await owner.click(nav("Settings"));
  const picture = join(WORK, "sponsor-qr.png");
  await QRCode.toFile(picture, link, { width: 480 });
  await owner.upload(testId("sponsor-qr-file"), picture);
  await owner.waitValue(field("Sponsor link"), link);
  await owner.click(button("Add sponsor"));
  await owner.waitText(`//*[@data-testid='sponsors']`, /Harbor dev sponsor[\s\S]*Pays on Harbor Dev Chain:.*Gas for up to/, 30000);
  log("sponsor added by its link, read from a QR picture");

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
  // The sponsor's relay reported it (the app was in the background).
  await owner.waitText(testId("alert-reported-by"), /Harbor dev sponsor warned you/, 60000);
  // ... and the desktop showed it as a system notification (dunst on the run's session bus).
  await waitNotification(/Someone is trying to take over your account/);
  log("system notification shown");
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

  // The gas sponsor added earlier (by its link) is listed with what it pays for; removed.
  await owner.call("POST", "/execute/sync", {
    script: "document.querySelector('[data-testid=sponsors]').scrollIntoView();",
    args: [],
  });
  await owner.shot("14-settings-sponsor");
  await owner.click(`//*[@data-testid='sponsors']//button[normalize-space(.)='Remove']`);
  await owner.waitText(`//*[@data-testid='sponsors']`, /No gas sponsor yet/);
  log("sponsor removed");

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
