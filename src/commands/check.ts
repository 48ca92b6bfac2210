/**
 * `routewatch check [--duration 30s] [run's flags]` or `routewatch check --replay INPUT... [--inventory FILE]`:
 * the checks an operator does by hand after deploying, as one command. Runs the live pipeline for a
 * while (or replays an input), then prints a table per LoadBalancer service (IP, policy, endpoint
 * nodes, advertising nodes per view, ECMP width at the ToR, verdict) and every problem with its fix.
 * Exit code 1 when a problem is found (so it can gate a deployment), 0 otherwise, 2 on bad usage.
 */
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { realClock } from "../core/clock.js";
import { buildConfig, readConfigFile, setPath } from "../core/config.js";
import { parseDuration } from "../core/duration.js";
import { UsageError } from "../core/errors.js";
import { LineWriter } from "../core/line-writer.js";
import { createLogger } from "../core/log.js";
import { Metrics } from "../core/metrics.js";
import type { Condition } from "../correlate/condition.js";
import type { ServiceStatus } from "../correlate/engine.js";
import { Daemon } from "../daemon.js";
import { DEFAULT_BMP_PORTS } from "../input/read-items.js";
import { createInventory } from "../inventory/provider.js";
import { replay } from "../record/replay.js";
import { configFromFlags, RUN_OPTIONS, type RunValues } from "./run.js";

export interface Problem {
  labels: Record<string, string>;
  annotations: Condition["annotations"];
  firing: boolean;
}

const VIEWS = [
  ["bgp", "BGP"],
  ["bmp-pre", "BMP PRE"],
  ["bmp-post", "BMP POST"],
  ["bmp-locrib", "LOC-RIB"],
] as const;

/** The per-service table, columns padded to their widest cell. */
export function serviceTable(services: ServiceStatus[]): string[] {
  const rows = [
    ["SERVICE", "IP", "POLICY", "ENDPOINT NODES", ...VIEWS.map(([, h]) => h), "ECMP", "VERDICT"],
    ...services.map((s) => [
      `${s.namespace}/${s.name}`,
      s.ips.join(","),
      s.policy,
      s.endpointNodes.join(",") || "-",
      ...VIEWS.map(([v]) => s.advertisers[v]?.join(",") || "-"),
      s.ecmp.basis === "none" ? "0" : `${s.ecmp.width} (${s.ecmp.basis})`,
      s.verdict.join(","),
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join("  ")
      .trimEnd(),
  );
}

export function printReport(out: LineWriter, services: ServiceStatus[], problems: Problem[]): void {
  if (services.length === 0) out.line("No LoadBalancer services with an address in the inventory.");
  else for (const row of serviceTable(services)) out.line(row);
  out.line("");
  if (problems.length === 0) {
    out.line("No problems found.");
    return;
  }
  out.line(`Problems (${problems.length}):`);
  for (const p of problems) {
    const { alertname, severity, ...rest } = p.labels;
    const where = Object.entries(rest)
      .filter(([, v]) => v)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    out.line(`- ${alertname} (${severity}${p.firing ? "" : ", not yet past the grace period"}) ${where}`);
    out.line(`  ${p.annotations.summary}`);
    out.line(`  ${p.annotations.description}`);
    out.line(`  Fix: ${p.annotations.fix}`);
  }
}

function sortProblems(problems: Problem[]): Problem[] {
  const key = (p: Problem): string => JSON.stringify(p.labels);
  return problems.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export async function checkCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...RUN_OPTIONS, duration: { type: "string" }, replay: { type: "boolean" } },
  });
  const { duration: durationFlag, replay: replayFlag, ...runValues } = values;
  const out = new LineWriter(1);
  if (replayFlag) return checkReplay(positionals, runValues, out);
  if (positionals.length)
    throw new UsageError(`check takes no INPUT without --replay (got "${positionals[0]}")`);
  const durationText = durationFlag ?? "30s";
  const duration = parseDuration(durationText);
  if (duration === undefined)
    throw new UsageError(`--duration: expected a duration like 30s, got "${durationText}"`);

  const config = configFromFlags(runValues);
  if (!config.inventory.file && !config.inventory.kubernetes) {
    throw new UsageError("check needs the cluster's view: --inventory FILE or --kubernetes");
  }
  const log = createLogger(config.logLevel === "info" ? "warn" : config.logLevel);
  const metrics = new Metrics();
  const inventory = await createInventory(config, realClock, log, metrics);
  const daemon = new Daemon({ config, log, clock: realClock, metrics, inventory });
  await daemon.start();
  try {
    await sleep(duration * 1000);
    daemon.correlator!.evaluate();
    const problems: Problem[] = [
      ...daemon.lifecycle
        .firing()
        .map((a) => ({ labels: a.labels, annotations: a.annotations, firing: true })),
      ...daemon.lifecycle.pending().map((p) => ({
        labels: { alertname: p.condition.alertname, severity: p.condition.severity, ...p.condition.labels },
        annotations: p.condition.annotations,
        firing: false,
      })),
    ];
    const sessions = daemon.speaker.sessions();
    const routers = daemon.collector.routers();
    out.line(
      `After ${durationText}: ${sessions.filter((s) => s.state === "Established").length} BGP sessions established, ${routers.length} BMP routers.`,
    );
    printReport(out, daemon.correlator!.services(), sortProblems(problems));
    out.flush();
    return problems.length > 0 ? 1 : 0;
  } finally {
    await daemon.stop();
  }
}

async function checkReplay(inputs: string[], values: RunValues, out: LineWriter): Promise<number> {
  if (inputs.length === 0) throw new UsageError("check --replay takes at least one INPUT");
  const raw = (values.config ? readConfigFile(values.config) : {}) as Record<string, unknown>;
  if (values["router-id"] !== undefined) raw.routerId = values["router-id"]; // tells routewatch's side of a capture
  raw.routerId ??= "0.0.0.1";
  if (values.grace !== undefined) {
    const g = parseDuration(values.grace);
    if (g === undefined) throw new UsageError(`--grace: expected a duration like 5s, got "${values.grace}"`);
    setPath(raw, "alerts.grace", g);
  }
  const config = buildConfig(raw, values.config ?? "configuration");
  const result = await replay(
    {
      inputs,
      ...(values.inventory !== undefined ? { inventory: values.inventory } : {}),
      config,
      speed: "max",
      ports: { bmpPorts: DEFAULT_BMP_PORTS },
      log: createLogger("silent"),
    },
    { alert: () => {}, convergence: () => {} },
  );
  const problems: Problem[] = [
    ...result.firing.map((a) => ({ labels: a.labels, annotations: a.annotations, firing: true })),
    ...result.pending.map((p) => ({
      labels: { alertname: p.condition.alertname, severity: p.condition.severity, ...p.condition.labels },
      annotations: p.condition.annotations,
      firing: false,
    })),
  ];
  printReport(out, result.services, sortProblems(problems));
  for (const w of result.warnings) out.line(`warning: ${w}`);
  out.flush();
  return problems.length > 0 ? 1 : 0;
}
