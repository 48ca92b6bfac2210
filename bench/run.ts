/**
 * `npm run bench`: decode speed on a generated MRT update stream (bench/gen_mrt.py, deterministic),
 * compared with bgpdump on the same file. Prints figures; asserts nothing. Whole commands are timed
 * (best of several runs, since a shared machine is noisy) plus the in-process decode alone.
 *
 *   npm run bench -- [--updates N] [--runs N]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, openSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { LineWriter } from "../src/core/line-writer.js";
import { decodeFile } from "../src/decode/command.js";

const { values } = parseArgs({
  options: { updates: { type: "string", default: "300000" }, runs: { type: "string", default: "5" } },
});
const updates = Number(values.updates);
const runs = Number(values.runs);
const root = new URL("..", import.meta.url).pathname;
const dir = join(tmpdir(), "routewatch-bench");
mkdirSync(dir, { recursive: true });
const file = join(dir, `updates-${updates}.mrt`);
if (!existsSync(file)) {
  execFileSync("python3", [join(root, "bench", "gen_mrt.py"), file, "--updates", String(updates)], {
    stdio: "inherit",
  });
}
const bytes = statSync(file).size;

/** Best wall time of `runs` runs of a command, its output discarded; max RSS from /usr/bin/time. */
function timeCommand(cmd: string, args: string[]): { seconds: number; maxRssKb: number } | undefined {
  let best = Infinity;
  let rss = 0;
  for (let i = 0; i < runs; i++) {
    const r = spawnSync("/usr/bin/time", ["-f", "%e %M", cmd, ...args], {
      stdio: ["ignore", "ignore", "pipe"],
      encoding: "utf8",
    });
    if (r.error || r.status !== 0) return undefined;
    const last = r.stderr.trim().split("\n").pop()!.split(" ");
    best = Math.min(best, Number(last[0]));
    rss = Math.max(rss, Number(last[1]));
  }
  return { seconds: best, maxRssKb: rss };
}

const has = (cmd: string): boolean => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
const rw = join(root, "bin", "routewatch");
// Build once before timing so no run pays for it.
execFileSync(rw, ["--help"], { stdio: "ignore" });

console.log(`file: ${file} (${(bytes / 1e6).toFixed(1)} MB, ${updates} BGP4MP_MESSAGE_AS4 records)`);

// In-process: the decode alone, without process start-up. The first run includes the JIT warming
// up (what a one-shot command pays); the best of the later ones is the steady state.
const devNull = openSync("/dev/null", "w");
let first = 0;
let best = Infinity;
let counts = { messages: 0, announced: 0, withdrawn: 0 };
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const opts = { format: "json" as const, summary: true, bmpPorts: [] };
  counts = await decodeFile(file, opts, new LineWriter(devNull), () => {});
  const t = (performance.now() - t0) / 1000;
  if (i === 0) first = t;
  else best = Math.min(best, t);
}
const prefixes = counts.announced + counts.withdrawn;
const rate = (t: number): string =>
  `${t.toFixed(3)} s = ${(bytes / 1e6 / t).toFixed(0)} MB/s, ${(counts.messages / t / 1e6).toFixed(2)} M messages/s, ` +
  `${(prefixes / t / 1e6).toFixed(2)} M prefixes/s`;
console.log(`in-process --summary decode, first run:      ${rate(first)}`);
if (runs > 1) console.log(`in-process --summary decode, best later run: ${rate(best)}`);

const summary = timeCommand(rw, ["decode", file, "--summary"]);
const json = timeCommand(rw, ["decode", file, "--format", "json"]);
const text = timeCommand(rw, ["decode", file, "--format", "text"]);
const bgpdump = has("bgpdump") ? timeCommand("bgpdump", ["-m", file]) : undefined;
const show = (name: string, t: { seconds: number; maxRssKb: number } | undefined, target?: number): void => {
  if (!t) return console.log(`${name.padEnd(34)} failed or not installed`);
  const ratio = bgpdump ? bgpdump.seconds / t.seconds : undefined;
  const vs = ratio
    ? `  ${ratio.toFixed(1)}x bgpdump` +
      (target ? ` (target >= ${target}x: ${ratio >= target ? "met" : "NOT met"})` : "")
    : "";
  console.log(
    `${name.padEnd(34)} ${t.seconds.toFixed(2)} s  max RSS ${(t.maxRssKb / 1024).toFixed(0)} MB${vs}`,
  );
};
const nodeStart = timeCommand(process.execPath, ["-e", "0"]);
console.log(
  `whole commands, best of ${runs} (Node.js itself starts in ${nodeStart?.seconds.toFixed(2)} s here):`,
);
show("bgpdump -m", bgpdump);
show("routewatch decode --summary", summary, 10);
show("routewatch decode --format json", json, 1.5);
show("routewatch decode --format text", text);
if (bgpdump) {
  console.log(
    `in-process decode vs bgpdump -m: ${(bgpdump.seconds / first).toFixed(1)}x (first run), ` +
      (runs > 1 ? `${(bgpdump.seconds / best).toFixed(1)}x (best later run)` : ""),
  );
}
