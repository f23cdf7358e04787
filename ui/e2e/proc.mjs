// What the runs measure of an app's processes: memory summed over its process tree.
import { readdirSync, readFileSync } from "node:fs";

/** Resident memory of the app's processes (the app and its WebKit helpers), in MB. */
export function memoryOf(rootPid) {
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
