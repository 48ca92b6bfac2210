/**
 * What a scenario of fixtures/scenarios/ claims (its scenario.json) and the checks of a replay's
 * JSON Lines output against it. Shared by the scenario recorder (fixtures/make/scenarios/), which
 * checks the live run and both replays before it keeps a scenario, and by test/replay/, which
 * checks the committed files in CI.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseTimestamp } from "../../src/core/time.js";

export interface ExpectedAlert {
  /** The alert's complete label set (alertname and severity included). */
  labels: Record<string, string>;
  /** Fires and later resolves (true), or fires and is still firing at the end (false). */
  resolves: boolean;
  /** Why it belongs to this scenario when it is not the alert the scenario is about. */
  note?: string;
}

export interface ExpectedConvergence {
  namespace: string;
  service: string;
  minSeconds: number;
  maxSeconds: number;
}

export interface TimedAlert {
  ts: string;
  event: "firing" | "resolved";
  labels: Record<string, string>;
}

export interface TimedConvergence {
  ts: string;
  namespace: string;
  service: string;
  seconds: number;
}

/** The checks run on every scenario (by the recorder before keeping it, and in CI). */
export type CheckName = "recording" | "capture" | "recording-vs-live" | "capture-vs-live";

export const CHECKS: Record<CheckName, string> = {
  recording:
    "the recording replay (up to routewatch's stop) shows exactly the scenario's alerts, convergences and exit code",
  capture:
    "the capture replay (up to routewatch's stop) shows exactly the scenario's alerts, convergences and exit code",
  "recording-vs-live": "the recording replay tells what the live run told, within half a second",
  "capture-vs-live": "the capture replay tells what the live run told, within half a second",
};

/** A product bug this scenario shows: the checks it makes fail, and what is wrong. */
export interface KnownIssue {
  checks: CheckName[];
  bug: string;
}

export interface ScenarioFile {
  name: string;
  description: string;
  /** Product bugs the scenario shows (the checks named fail until they are fixed). */
  knownIssues?: KnownIssue[];
  /** The alerts that must fire (and resolve or not); no other alert may appear. */
  alerts: ExpectedAlert[];
  /** The convergences that must be measured (none: none may be). */
  convergence: ExpectedConvergence[];
  /** `routewatch replay`'s exit code: 1 iff an alert is still firing at the end. */
  exitCode: 0 | 1;
  /** The lab: address block, collector, which nodes and speakers took part. */
  lab: { base: number; collector: string; peers: Record<string, string> };
  /** What the recorder did, when (wall clock of the recording). */
  actions: { ts: string; what: string }[];
  /** What the live `routewatch run` reported (its log lines), for comparison with the replays. */
  live: { alerts: TimedAlert[]; convergence: TimedConvergence[] };
  /**
   * The recording's first and last timestamps, how long that is, and when routewatch was stopped
   * (SIGTERM; the capture goes on a few seconds past it).
   */
  recorded: { start: string; end: string; stop: string; seconds: number };
}

export function readScenario(dir: string): ScenarioFile {
  return JSON.parse(readFileSync(join(dir, "scenario.json"), "utf8")) as ScenarioFile;
}

/** One line of `routewatch replay --format json`. */
export type ReplayLine =
  | {
      ts: string;
      event: "firing" | "resolved";
      alert: { labels: Record<string, string>; annotations: Record<string, string> };
    }
  | { ts: string; event: "convergence"; namespace: string; service: string; seconds: number }
  | {
      event: "summary";
      firing: { labels: Record<string, string> }[];
      routes: number;
      warnings: string[];
      start: string;
      end: string;
    };

export interface ParsedReplay {
  alerts: TimedAlert[];
  convergence: TimedConvergence[];
  summary: Extract<ReplayLine, { event: "summary" }>;
}

export function parseReplay(text: string): ParsedReplay {
  const lines = text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as ReplayLine);
  const last = lines.at(-1);
  if (last?.event !== "summary") throw new Error("replay output does not end with a summary line");
  const alerts: TimedAlert[] = [];
  const convergence: TimedConvergence[] = [];
  for (const l of lines.slice(0, -1)) {
    if (l.event === "firing" || l.event === "resolved")
      alerts.push({ ts: l.ts, event: l.event, labels: l.alert.labels });
    else if (l.event === "convergence")
      convergence.push({ ts: l.ts, namespace: l.namespace, service: l.service, seconds: l.seconds });
    else throw new Error(`a summary line before the end: ${JSON.stringify(l)}`);
  }
  return { alerts, convergence, summary: last };
}

const labelKey = (labels: Record<string, string>): string =>
  JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/**
 * Problems of a replay's output against the scenario's claims (empty: it shows exactly what it
 * should): every expected alert fires once with exactly its labels and resolves iff it should, no
 * other alert appears, the summary lists exactly the alerts still firing, the convergences are the
 * expected ones, and the exit code is 1 iff something is firing at the end.
 */
export function expectationProblems(
  s: Pick<ScenarioFile, "alerts" | "convergence" | "exitCode">,
  r: ParsedReplay,
  exitCode?: number,
): string[] {
  const problems: string[] = [];
  const expected = new Map(s.alerts.map((a) => [labelKey(a.labels), a]));
  const names = new Set(s.alerts.map((a) => a.labels.alertname));
  for (const e of r.alerts) {
    if (!names.has(e.labels.alertname))
      problems.push(`unexpected alertname ${e.labels.alertname} (${e.event} at ${e.ts})`);
    else if (!expected.has(labelKey(e.labels)))
      problems.push(`${e.event} at ${e.ts} with unexpected labels ${JSON.stringify(e.labels)}`);
  }
  for (const a of s.alerts) {
    const k = labelKey(a.labels);
    const mine = r.alerts.filter((e) => labelKey(e.labels) === k);
    const firing = mine.filter((e) => e.event === "firing");
    const resolved = mine.filter((e) => e.event === "resolved");
    if (firing.length !== 1)
      problems.push(`${JSON.stringify(a.labels)} fired ${firing.length} times, expected once`);
    if (a.resolves && resolved.length !== 1)
      problems.push(`${JSON.stringify(a.labels)} resolved ${resolved.length} times, expected once`);
    if (!a.resolves && resolved.length !== 0)
      problems.push(`${JSON.stringify(a.labels)} resolved, expected still firing at the end`);
    if (firing[0] && resolved[0] && parseTimestamp(resolved[0].ts) < parseTimestamp(firing[0].ts))
      problems.push(`${JSON.stringify(a.labels)} resolved before it fired`);
  }
  const atEnd = r.summary.firing.map((f) => labelKey(f.labels)).sort();
  const shouldBe = s.alerts
    .filter((a) => !a.resolves)
    .map((a) => labelKey(a.labels))
    .sort();
  if (JSON.stringify(atEnd) !== JSON.stringify(shouldBe))
    problems.push(
      `firing at the end: ${JSON.stringify(r.summary.firing)}, expected ${JSON.stringify(shouldBe)}`,
    );
  if (r.convergence.length !== s.convergence.length)
    problems.push(
      `${r.convergence.length} convergences measured (${JSON.stringify(r.convergence)}), expected ${s.convergence.length}`,
    );
  s.convergence.forEach((c, i) => {
    const got = r.convergence[i];
    if (!got) return;
    if (got.namespace !== c.namespace || got.service !== c.service)
      problems.push(
        `convergence ${i} is of ${got.namespace}/${got.service}, expected ${c.namespace}/${c.service}`,
      );
    if (got.seconds < c.minSeconds || got.seconds > c.maxSeconds)
      problems.push(
        `convergence of ${c.namespace}/${c.service}: ${got.seconds} s, expected ${c.minSeconds}..${c.maxSeconds} s`,
      );
  });
  if (s.exitCode !== (shouldBe.length > 0 ? 1 : 0))
    problems.push(`scenario.json says exit code ${s.exitCode} but ${shouldBe.length} alerts fire at the end`);
  if (exitCode !== undefined && exitCode !== s.exitCode)
    problems.push(`exit code ${exitCode}, expected ${s.exitCode}`);
  return problems;
}

/**
 * Differences between what the live run reported and a replay: the same alert events (event and
 * labels, in order), each within `toleranceSeconds` of the live time, and the same convergences
 * (seconds within the tolerance).
 */
export function liveProblems(
  live: ScenarioFile["live"],
  r: ParsedReplay,
  toleranceSeconds: number,
): string[] {
  const problems: string[] = [];
  const show = (a: TimedAlert): string => `${a.event} ${JSON.stringify(a.labels)} at ${a.ts}`;
  const n = Math.max(live.alerts.length, r.alerts.length);
  for (let i = 0; i < n; i++) {
    const l = live.alerts[i];
    const x = r.alerts[i];
    if (!l || !x) {
      problems.push(`alert event ${i}: live ${l ? show(l) : "none"}, replay ${x ? show(x) : "none"}`);
      continue;
    }
    if (l.event !== x.event || labelKey(l.labels) !== labelKey(x.labels))
      problems.push(`alert event ${i}: live ${show(l)}, replay ${show(x)}`);
    else {
      const dt = Math.abs(parseTimestamp(l.ts) - parseTimestamp(x.ts)) / 1e6;
      if (dt > toleranceSeconds)
        problems.push(`alert event ${i}: live ${show(l)}, replay at ${x.ts} (${dt.toFixed(3)} s apart)`);
    }
  }
  if (live.convergence.length !== r.convergence.length)
    problems.push(
      `convergences: live ${JSON.stringify(live.convergence)}, replay ${JSON.stringify(r.convergence)}`,
    );
  live.convergence.forEach((c, i) => {
    const x = r.convergence[i];
    if (x && Math.abs(x.seconds - c.seconds) > toleranceSeconds)
      problems.push(`convergence ${i}: live ${c.seconds} s, replay ${x.seconds} s`);
  });
  return problems;
}

/** Half a second: a live timer fires a few milliseconds late, log lines have millisecond times. */
export const LIVE_TOLERANCE_SECONDS = 0.5;

/**
 * The problems one check finds. `recording` and `capture` are the replays' outputs cut at
 * routewatch's stop (`--to recorded.stop`) with their exit codes.
 */
export function checkProblems(
  check: CheckName,
  s: ScenarioFile,
  replays: { recording: { text: string; exitCode: number }; capture: { text: string; exitCode: number } },
): string[] {
  switch (check) {
    case "recording":
    case "capture":
      return expectationProblems(s, parseReplay(replays[check].text), replays[check].exitCode);
    case "recording-vs-live":
      return liveProblems(s.live, parseReplay(replays.recording.text), LIVE_TOLERANCE_SECONDS);
    case "capture-vs-live":
      return liveProblems(s.live, parseReplay(replays.capture.text), LIVE_TOLERANCE_SECONDS);
  }
}

/** Whether a check is expected to fail because of a known product bug. */
export function knownToFail(s: ScenarioFile, check: CheckName): boolean {
  return (s.knownIssues ?? []).some((k) => k.checks.includes(check));
}
