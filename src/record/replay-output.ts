/** How `routewatch replay` prints: JSON Lines (the contract scripts read) or a readable timeline. */
import type { LineWriter } from "../core/line-writer.js";
import { formatTimestamp } from "../core/time.js";
import type { Alert } from "../alerts/lifecycle.js";
import type { Convergence } from "../correlate/convergence.js";
import type { ReplayListener, ReplayResult } from "./replay.js";

function alertJson(a: Alert): { labels: Record<string, string>; annotations: Alert["annotations"] } {
  return { labels: a.labels, annotations: a.annotations };
}

export function jsonReplayOutput(out: LineWriter): ReplayListener & { summary(r: ReplayResult): void } {
  return {
    alert: (ts, event, a) =>
      out.line(JSON.stringify({ ts: formatTimestamp(ts), event, alert: alertJson(a) })),
    convergence: (c: Convergence) =>
      out.line(
        JSON.stringify({
          ts: formatTimestamp(c.tsMicros),
          event: "convergence",
          namespace: c.namespace,
          service: c.service,
          seconds: c.seconds,
        }),
      ),
    summary: (r) =>
      out.line(
        JSON.stringify({
          event: "summary",
          firing: r.firing.map((a) => ({ labels: a.labels })),
          routes: r.routes,
          warnings: r.warnings,
          start: formatTimestamp(r.startMicros),
          end: formatTimestamp(r.endMicros),
        }),
      ),
  };
}

function labelText(labels: Record<string, string>): string {
  const { alertname, severity, ...rest } = labels;
  let svc = "";
  if (rest.namespace !== undefined && rest.service !== undefined) {
    svc = ` ${rest.namespace}/${rest.service}`;
    delete rest.namespace;
    delete rest.service;
  }
  const more = Object.entries(rest)
    .filter(([, v]) => v !== "")
    .map(([k, v]) => ` ${k}=${v}`)
    .join("");
  return `${alertname} (${severity})${svc}${more}`;
}

export function textReplayOutput(out: LineWriter): ReplayListener & { summary(r: ReplayResult): void } {
  return {
    alert: (ts, event, a) => {
      out.line(
        `${formatTimestamp(ts)}  ${event === "firing" ? "FIRING  " : "RESOLVED"}  ${labelText(a.labels)}`,
      );
      if (event === "firing") out.line(`${" ".repeat(28)}  ${a.annotations.summary}`);
    },
    convergence: (c) =>
      out.line(
        `${formatTimestamp(c.tsMicros)}  CONVERGED ${c.namespace}/${c.service} in ${c.seconds.toFixed(3)} s`,
      ),
    summary: (r) => {
      out.line("");
      out.line(
        `Input from ${formatTimestamp(r.startMicros)} to ${formatTimestamp(r.endMicros)}; ${r.routes} routes at the end.`,
      );
      if (r.firing.length === 0) out.line("Nothing firing at the end.");
      else {
        out.line(`Firing at the end (${r.firing.length}):`);
        for (const a of r.firing) {
          out.line(`  ${labelText(a.labels)}`);
          out.line(`    ${a.annotations.summary}`);
          out.line(`    fix: ${a.annotations.fix}`);
        }
      }
      for (const w of r.warnings) out.line(`warning: ${w}`);
    },
  };
}
