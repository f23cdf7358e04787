// The extension's popup: is Harbor running, is this browser paired; pair it.
import { NOT_RUNNING } from "./protocol";
import type { Status } from "./relay";

const status = document.getElementById("status")!;
const pair = document.getElementById("pair") as HTMLButtonElement;
const code = document.getElementById("code")!;

async function refresh() {
  const s = (await chrome.runtime.sendMessage({ type: "status" })) as Status;
  pair.hidden = !s.running || s.paired;
  if (!s.running) {
    status.textContent = NOT_RUNNING + ".";
    status.className = "bad";
  } else if (!s.paired) {
    status.textContent = "Harbor is running. Pair this browser so websites can ask it to connect.";
    status.className = "";
  } else {
    status.textContent = `Connected to Harbor (port ${s.port}). Websites ask Harbor before they see your account.`;
    status.className = "";
  }
}

chrome.runtime.onMessage.addListener((message) => {
  if (message?.type === "pairCode") {
    code.hidden = false;
    code.innerHTML = "";
    code.append("Harbor should show the code ");
    const b = document.createElement("div");
    b.className = "code";
    b.textContent = String(message.code);
    code.append(b, "Click Allow there if it matches.");
  }
});

pair.addEventListener("click", async () => {
  pair.disabled = true;
  const result = (await chrome.runtime.sendMessage({ type: "pair" })) as { paired: boolean; error?: string };
  code.hidden = true;
  pair.disabled = false;
  if (result.error) status.textContent = result.error;
  await refresh();
});

refresh();
