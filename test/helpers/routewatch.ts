/**
 * Running `routewatch decode` from tests: the real command (bin/routewatch, spawned) and the same
 * code in-process (decodeFile with an in-memory writer, which is much faster for many files).
 */
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { memoryWriter } from "../../src/core/line-writer.js";
import { decodeFile } from "../../src/decode/command.js";
import type { DecodeFormat, DecodeSummary } from "../../src/decode/decoder.js";
import { DEFAULT_BMP_PORTS } from "../../src/input/read-items.js";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const BIN = path.join(REPO, "bin", "routewatch");
export const CAPTURES_DIR = path.join(REPO, "fixtures", "captures");
export const MRT_DIR = path.join(REPO, "fixtures", "mrt");

/** Files of a fixtures folder with one of the given extensions (compressed ones included). */
export function fixtureFiles(dir: string, pattern: RegExp): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => pattern.test(f))
    .map((f) => path.join(dir, f))
    .sort();
}

export function tempDir(prefix = "routewatch-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

let built = false;

/** Newest modification time of the .ts files under `dir` (what bin/routewatch checks). */
function newestSource(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith(".ts")) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

function bundleIsFresh(): boolean {
  const bundle = fs.statSync(path.join(REPO, "dist", "routewatch.mjs"), { throwIfNoEntry: false });
  return (
    bundle !== undefined && ["src", "codec"].every((d) => newestSource(path.join(REPO, d)) <= bundle.mtimeMs)
  );
}

/**
 * bin/routewatch rebuilds dist/ when a source is newer; two test files spawning it at once could
 * race on that write. When the bundle is stale, the first spawn of each test process runs under a
 * lock (mkdir is atomic).
 */
function ensureBuilt(): void {
  if (built) return;
  if (bundleIsFresh()) {
    built = true;
    return;
  }
  const lock = path.join(os.tmpdir(), "routewatch-test-build.lock");
  const deadline = Date.now() + 60_000;
  while (true) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      // A lock older than a minute was left by a killed run.
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 60_000 || Date.now() > deadline) {
        fs.rmSync(lock, { recursive: true, force: true });
        continue;
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
  try {
    execFileSync(process.execPath, [BIN, "--help"], { stdio: "ignore" });
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
  built = true;
}

/** Spawns at a time: more only queue up for the machine's two cores. */
const MAX_RUNNING = 3;
let running = 0;
const waiting: (() => void)[] = [];

/** Runs `bin/routewatch ARGS` to completion (a few at a time). */
export async function runCli(args: readonly string[]): Promise<CliResult> {
  ensureBuilt();
  // A finished run hands its slot straight to the next waiting one.
  if (running >= MAX_RUNNING) await new Promise<void>((resolve) => waiting.push(resolve));
  else running++;
  try {
    return await spawnCli(args);
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

function spawnCli(args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { encoding: "utf8", maxBuffer: 1 << 30 },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: unknown; signal?: NodeJS.Signals | null }) | null;
        resolve({
          status: e ? (typeof e.code === "number" ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stdout,
          stderr,
        });
      },
    );
  });
}

/** The bin/routewatch command line, for spawning it with other stdio. */
export function cliCommand(args: readonly string[]): [string, string[]] {
  ensureBuilt();
  return [process.execPath, [BIN, ...args]];
}

export interface DecodeResult {
  text: string;
  summary: DecodeSummary;
  /** What the CLI would print on stderr, as "level: message". */
  reports: string[];
}

/** `routewatch decode FILE --format F [--summary] [--bmp-port N]...`, run in this process. */
export async function decodeInProcess(
  file: string,
  opts: { format?: DecodeFormat; summary?: boolean; bmpPorts?: number[] } = {},
): Promise<DecodeResult> {
  const { writer, text } = memoryWriter();
  const reports: string[] = [];
  const summary = await decodeFile(
    file,
    {
      format: opts.format ?? "json",
      summary: opts.summary ?? false,
      bmpPorts: opts.bmpPorts ?? DEFAULT_BMP_PORTS,
    },
    writer,
    (level, message) => reports.push(`${level}: ${message}`),
  );
  return { text: text(), summary, reports };
}

/** JSON lines to objects. */
export function jsonLines<T = Record<string, unknown>>(text: string): T[] {
  return text
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as T);
}
