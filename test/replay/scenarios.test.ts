/**
 * Every scenario of fixtures/scenarios/ (recorded with the real daemons by
 * fixtures/make/scenarios/, see fixtures/README.md) replayed through the same pipeline as
 * `routewatch run`:
 * - the recording directory and the capture replay to their committed outputs byte for byte, and
 *   to the same bytes a second time (the virtual clock makes a replay deterministic);
 * - independently of those files, the replays show exactly what scenario.json claims: the intended
 *   alerts fire (and resolve or not) with exactly those labels, no other alert appears, the
 *   convergences are measured or not, and the exit code is 1 iff something fires at the end;
 * - the recording replay tells what the live run told (the alert events logged by `routewatch run`
 *   while it was recorded, kept in scenario.json), at the same times give or take half a second;
 * - the recording's files decode: MRT with bgpdump -m (same routes as `routewatch decode`), the BMP
 *   container with `routewatch decode`.
 * Plus the command line itself on one scenario, --from/--to and --format text.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildConfig, readConfigFile } from "../../src/core/config.js";
import { memoryWriter } from "../../src/core/line-writer.js";
import { createLogger } from "../../src/core/log.js";
import { formatTimestamp, parseTimestamp } from "../../src/core/time.js";
import { DEFAULT_BMP_PORTS } from "../../src/input/read-items.js";
import { replay } from "../../src/record/replay.js";
import { jsonReplayOutput, textReplayOutput } from "../../src/record/replay-output.js";
import { bgpdump, bgpdumpAvailable, BGPDUMP_MISSING } from "../helpers/bgpdump.js";
import { decodeInProcess, REPO, runCli } from "../helpers/routewatch.js";
import {
  CHECKS,
  checkProblems,
  knownToFail,
  parseReplay,
  readScenario,
  type CheckName,
  type ScenarioFile,
} from "./scenario-expectations.js";

const SCENARIOS_DIR = join(REPO, "fixtures", "scenarios");
const NAMES = readdirSync(SCENARIOS_DIR)
  .filter((n) => statSync(join(SCENARIOS_DIR, n)).isDirectory())
  .sort();

interface ReplayRun {
  text: string;
  exitCode: number;
}

/** `routewatch replay` in this process: the same code path as the command (src/commands/replay.ts). */
async function replayInProcess(
  inputs: string[],
  o: { config: string; inventory?: string; format?: "json" | "text"; from?: string; to?: string },
): Promise<ReplayRun> {
  const raw = readConfigFile(o.config) as Record<string, unknown>;
  raw.routerId ??= "0.0.0.1";
  raw.logLevel = "silent";
  const config = buildConfig(raw, o.config);
  const { writer, text } = memoryWriter();
  const output = o.format === "text" ? textReplayOutput(writer) : jsonReplayOutput(writer);
  const result = await replay(
    {
      inputs,
      ...(o.inventory !== undefined ? { inventory: o.inventory } : {}),
      config,
      speed: "max",
      ...(o.from !== undefined ? { fromMicros: parseTimestamp(o.from) } : {}),
      ...(o.to !== undefined ? { toMicros: parseTimestamp(o.to) } : {}),
      ports: { bmpPorts: DEFAULT_BMP_PORTS },
      log: createLogger("silent"),
    },
    output,
  );
  output.summary(result);
  return { text: text(), exitCode: result.firing.length > 0 ? 1 : 0 };
}

function files(name: string): {
  dir: string;
  recording: string;
  capture: string;
  inventory: string;
  config: string;
  scenario: ScenarioFile;
} {
  const dir = join(SCENARIOS_DIR, name);
  return {
    dir,
    recording: join(dir, "recording"),
    capture: join(dir, "capture.pcapng"),
    inventory: join(dir, "inventory.jsonl"),
    config: join(dir, "config.yaml"),
    scenario: readScenario(dir),
  };
}

const replayRecording = (
  name: string,
  extra: { from?: string; to?: string; format?: "json" | "text" } = {},
) => {
  const f = files(name);
  return replayInProcess([f.recording], { config: f.config, ...extra });
};

const replayCapture = (name: string, extra: { from?: string; to?: string } = {}) => {
  const f = files(name);
  return replayInProcess([f.capture], { config: f.config, inventory: f.inventory, ...extra });
};

const read = (path: string): string => readFileSync(path, "utf8");

/**
 * The label values a text line shows. A `namespace` without a `service` (PoolNotAdvertised's
 * pool namespace) is left out: the text format drops it (see the known-bug test at the end).
 */
it("there are scenarios, one per alert kind and a clean relocation", () => {
  expect(NAMES).toEqual(
    expect.arrayContaining([
      "route-without-endpoint",
      "endpoint-without-route",
      "orphan-route",
      "aggregate-only",
      "service-unreachable",
      "buggy-service-ip",
      "route-flapping",
      "peer-flapping",
      "slow-convergence",
      "pod-relocation",
    ]),
  );
  const kinds = new Set(NAMES.flatMap((n) => files(n).scenario.alerts.map((a) => a.labels.alertname)));
  expect([...kinds].sort()).toEqual(
    [
      "AggregateOnly",
      "BuggyServiceIP",
      "EndpointWithoutRoute",
      "OrphanRoute",
      "PeerFlapping",
      "PoolNotAdvertised",
      "RouteFlapping",
      "RouteWithoutEndpoint",
      "ServiceUnreachable",
      "SlowConvergence",
    ].sort(),
  );
});

describe.each(NAMES)("scenario %s", (name) => {
  const f = files(name);

  it("replaying recording/ gives expected.jsonl byte for byte, and the same again", async () => {
    const first = await replayRecording(name);
    expect(first.text).toBe(read(join(f.dir, "expected.jsonl")));
    const second = await replayRecording(name);
    expect(second.text).toBe(first.text);
  });

  it("replaying capture.pcapng with its inventory and config gives expected-pcap.jsonl, and the same again", async () => {
    const first = await replayCapture(name);
    expect(first.text).toBe(read(join(f.dir, "expected-pcap.jsonl")));
    const second = await replayCapture(name);
    expect(second.text).toBe(first.text);
  });

  // The verdicts while routewatch watched (the capture goes on a few seconds past its stop).
  const cut = { to: f.scenario.recorded.stop };
  let cutReplays: Parameters<typeof checkProblems>[2] | undefined;
  const replaysCut = async (): Promise<Parameters<typeof checkProblems>[2]> =>
    (cutReplays ??= { recording: await replayRecording(name, cut), capture: await replayCapture(name, cut) });
  for (const check of Object.keys(CHECKS) as CheckName[]) {
    // A check a known product bug makes fail (scenario.json knownIssues) must keep failing until it is fixed.
    const known = knownToFail(f.scenario, check);
    (known ? it.fails : it)(
      `${CHECKS[check]}${known ? " (known bug, see scenario.json knownIssues)" : ""}`,
      async () => {
        expect(checkProblems(check, f.scenario, await replaysCut())).toEqual([]);
      },
    );
  }

  it("--format text prints the same alerts and convergences as JSON", async () => {
    const json = parseReplay(read(join(f.dir, "expected.jsonl")));
    const text = (await replayRecording(name, { format: "text" })).text.split("\n");
    const events = text.filter((l) => /^\S+ {2}(FIRING|RESOLVED|CONVERGED)/.test(l));
    const expected = [
      ...json.alerts.map((a) => ({
        ts: a.ts,
        what: a.event === "firing" ? "FIRING" : "RESOLVED",
        labels: a.labels,
      })),
      ...json.convergence.map((c) => ({
        ts: c.ts,
        what: "CONVERGED",
        labels: { service: `${c.namespace}/${c.service}`, seconds: c.seconds.toFixed(3) },
      })),
    ];
    expect(events).toHaveLength(expected.length);
    for (const e of expected) {
      const line = events.find(
        (l) => l.startsWith(`${e.ts}  ${e.what}`) && Object.values(e.labels).every((v) => l.includes(v)),
      );
      expect(line, `${e.what} ${JSON.stringify(e.labels)} at ${e.ts}`).toBeDefined();
    }
    const atEnd = json.summary.firing.length;
    expect(text).toContain(atEnd === 0 ? "Nothing firing at the end." : `Firing at the end (${atEnd}):`);
  });

  it.skipIf(!bgpdumpAvailable())(
    `recording/*.bgp.mrt decodes with bgpdump -m to the routes and state changes routewatch decode gives${bgpdumpAvailable() ? "" : ` (${BGPDUMP_MISSING})`}`,
    async () => {
      const mrts = readdirSync(f.recording).filter((n) => n.endsWith(".bgp.mrt"));
      expect(mrts.length).toBeGreaterThan(0);
      for (const mrt of mrts) {
        const file = join(f.recording, mrt);
        const theirs = bgpdump(file).map((row) => {
          const [sec, usec = "0"] = row.time.split(".");
          const ts = formatTimestamp(Number(sec) * 1e6 + Number(usec.padEnd(6, "0")));
          if (row.kind === "state")
            return `${ts}|STATE|${row.peerIp}|${row.peerAs}|${row.oldState}|${row.newState}`;
          return `${ts}|${row.kind === "route" ? "A" : "W"}|${row.peerIp}|${row.peerAs}|${row.prefix}`;
        });
        const ours = (await decodeInProcess(file, { format: "text" })).text
          .split("\n")
          .map((l) => l.split("|"))
          .filter((c) => c[1] === "BGP" && ["A", "W", "STATE"].includes(c[2]!))
          .map((c) => (c[2] === "STATE" ? c.slice(0, 7) : c.slice(0, 6)).filter((_, i) => i !== 1).join("|"));
        expect(theirs.length).toBeGreaterThan(0);
        expect(ours).toEqual(theirs);
      }
    },
  );

  it("recording/*.bmp.bmprec decodes with routewatch decode, without errors", async () => {
    const recs = readdirSync(f.recording).filter((n) => n.endsWith(".bmp.bmprec"));
    expect(recs.length).toBeGreaterThan(0);
    for (const rec of recs) {
      const d = await decodeInProcess(join(f.recording, rec), { summary: true });
      expect(d.reports).toEqual([]);
      expect(d.summary.errors).toBe(0);
      expect(d.summary.messages).toBeGreaterThan(0);
    }
  });
});

describe("the command line", () => {
  it("bin/routewatch replay of a recording prints expected.jsonl and exits 1 when something fires at the end", async () => {
    for (const name of ["route-without-endpoint", "endpoint-without-route"]) {
      const f = files(name);
      const r = await runCli(["replay", f.recording, "--config", f.config]);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(read(join(f.dir, "expected.jsonl")));
      expect(r.status).toBe(f.scenario.exitCode);
    }
  });

  it("--from and --to cut the output window: the lines inside it are the full replay's, the summary is at --to", async () => {
    const name = "slow-convergence";
    const full = read(join(files(name).dir, "expected.jsonl"))
      .split("\n")
      .filter(Boolean);
    const events = full
      .slice(0, -1)
      .map((l) => ({ line: l, ts: parseTimestamp((JSON.parse(l) as { ts: string }).ts) }));
    expect(events.length).toBeGreaterThanOrEqual(3);
    // A window that starts after the first event and ends before the last one.
    const from = events[0]!.ts + 1;
    const to = events.at(-1)!.ts - 1;
    const r = await replayRecording(name, { from: formatTimestamp(from), to: formatTimestamp(to) });
    const lines = r.text.split("\n").filter(Boolean);
    const inside = events.filter((e) => e.ts >= from && e.ts <= to).map((e) => e.line);
    expect(inside.length).toBeGreaterThan(0);
    expect(inside.length).toBeLessThan(events.length);
    expect(lines.slice(0, -1)).toEqual(inside);
    // What fires at --to: fired at or before it, not resolved by then.
    const parsed = parseReplay(read(join(files(name).dir, "expected.jsonl")));
    const key = (l: Record<string, string>): string => JSON.stringify(l);
    const firingAtTo = new Map<string, Record<string, string>>();
    for (const a of parsed.alerts.filter((a) => parseTimestamp(a.ts) <= to)) {
      if (a.event === "firing") firingAtTo.set(key(a.labels), a.labels);
      else firingAtTo.delete(key(a.labels));
    }
    const summary = parseReplay(r.text).summary;
    expect(summary.firing.map((x) => key(x.labels)).sort()).toEqual([...firingAtTo.keys()].sort());
    expect(parseTimestamp(summary.end)).toBeLessThanOrEqual(to);
    expect(r.exitCode).toBe(firingAtTo.size > 0 ? 1 : 0);
  });
});

// routewatch's own shutdown is no event of the network: the recording stops before routewatch closes
// its sessions, and a capture's replay keeps the routes of sessions routewatch left (its Cease, or
// its closing of the connection; the BMP connection it closed), so nothing fires after the stop.
it("inputs that end with routewatch's own shutdown give no alert after it", async () => {
  const after: string[] = [];
  for (const name of NAMES) {
    const stop = parseTimestamp(files(name).scenario.recorded.stop);
    for (const file of ["expected.jsonl", "expected-pcap.jsonl"]) {
      for (const a of parseReplay(read(join(files(name).dir, file))).alerts)
        if (parseTimestamp(a.ts) > stop + 1e6)
          after.push(`${name}/${file}: ${a.event} ${a.labels.alertname} at ${a.ts}`);
    }
  }
  expect(after).toEqual([]);
});

it("--format text shows every label of an alert, PoolNotAdvertised's namespace included", async () => {
  const text = (await replayRecording("service-unreachable", { format: "text" })).text;
  const line = text.split("\n").find((l) => l.includes("FIRING    PoolNotAdvertised"));
  expect(line).toBeDefined();
  expect(line).toContain("metallb-system");
});

// A capture an operator takes during an incident starts mid-session: the tables announced before it
// are unknown, so no missing-route verdict may rest on them. Cut every scenario's capture a few
// seconds in (editcap, from tshark's package): its replay may miss alerts, never invent one.
it("a capture cut to begin mid-session fires no alert the whole capture does not, and says why", async () => {
  const invented: string[] = [];
  const scratch = mkdtempSync(join(tmpdir(), "routewatch-midsession-"));
  try {
    for (const name of NAMES) {
      const f = files(name);
      const start = execFileSync(
        "tshark",
        ["-r", f.capture, "-c", "1", "-T", "fields", "-e", "frame.time_epoch"],
        {
          encoding: "utf8",
        },
      ).trim();
      const cut = join(scratch, `${name}.pcapng`);
      execFileSync("editcap", ["-A", (Number(start) + 5).toFixed(6), f.capture, cut]);
      const whole = parseReplay((await replayCapture(name)).text);
      const mid = parseReplay(
        (await replayInProcess([cut], { config: f.config, inventory: f.inventory })).text,
      );
      const fired = new Set(
        whole.alerts.filter((a) => a.event === "firing").map((a) => JSON.stringify(a.labels)),
      );
      for (const a of mid.alerts)
        if (a.event === "firing" && !fired.has(JSON.stringify(a.labels)))
          invented.push(`${name}: ${a.labels.alertname} ${JSON.stringify(a.labels)} at ${a.ts}`);
      expect(
        mid.summary.warnings.some((w) => w.includes("began before the input")),
        name,
      ).toBe(true);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  expect(invented).toEqual([]);
});
