/**
 * `routewatch run` as a real process for integration tests: spawn bin/routewatch, wait until its
 * HTTP API answers, query the API, read its pino log lines (stderr), and stop it (SIGTERM, bounded
 * wait, SIGKILL as a last resort). Every wait is bounded.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SessionInfo } from "../../src/session/bgp/info.js";
import type { RouterInfo } from "../../src/session/bmp/types.js";
import type { ServiceStatus } from "../../src/correlate/engine.js";
import { waitFor } from "../harness/lab.js";
import { cliCommand, REPO } from "./routewatch.js";

export interface ApiRoute {
  prefix: string;
  path_id: number;
  source: string;
  peer: string;
  peer_asn: number;
  peer_bgp_id: string;
  router: string | null;
  next_hop: string;
  stale: boolean;
  since: string;
  attributes: Record<string, unknown>;
}

export interface ApiAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  activeSince: string;
  firedAt?: string;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Routewatch {
  /** http://HOST:PORT of the API. */
  url: string;
  child: ChildProcess;
  /** Everything written on stderr so far (pino JSON lines and any crash output). */
  stderr(): string;
  /** stderr lines that are JSON objects (pino records). */
  logs(): Record<string, unknown>[];
  /** Resolves when the process has exited. */
  exited: Promise<Exit>;
  get(path: string): Promise<{ status: number; text: string }>;
  json<T>(path: string): Promise<T>;
  peers(): Promise<{ bgp: SessionInfo[]; bmp: RouterInfo[] }>;
  routes(query?: Record<string, string>): Promise<ApiRoute[]>;
  services(): Promise<ServiceStatus[]>;
  alerts(): Promise<{ firing: ApiAlert[]; pending: ApiAlert[] }>;
  metrics(): Promise<string>;
  /** SIGTERM (or `signal`), then a bounded wait for the exit; SIGKILL if it does not come. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
}

/** Starts `bin/routewatch run ARGS` and waits until /healthz answers. `http` is the --http-listen value. */
export async function startRoutewatch(
  args: string[],
  http: string,
  options: { startTimeoutMs?: number; env?: Record<string, string> } = {},
): Promise<Routewatch> {
  const [cmd, cmdArgs] = cliCommand(["run", "--http-listen", http, ...args]);
  const child = spawn(cmd, cmdArgs, {
    cwd: REPO,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (err += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<Exit>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const url = `http://${http}`;
  const get = async (path: string): Promise<{ status: number; text: string }> => {
    const res = await fetch(url + path, { signal: AbortSignal.timeout(5000) });
    return { status: res.status, text: await res.text() };
  };
  const json = async <T>(path: string): Promise<T> => {
    const r = await get(path);
    if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status}: ${r.text}`);
    return JSON.parse(r.text) as T;
  };
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const rw: Routewatch = {
    url,
    child,
    stderr: () => err,
    logs: () =>
      err.split("\n").flatMap((l) => {
        if (!l.startsWith("{")) return [];
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    exited,
    get,
    json,
    peers: () => json("/api/v1/peers"),
    async routes(query = {}) {
      const q = new URLSearchParams(query).toString();
      return (await json<{ routes: ApiRoute[] }>(`/api/v1/routes${q ? `?${q}` : ""}`)).routes;
    },
    async services() {
      return (await json<{ services: ServiceStatus[] }>("/api/v1/services")).services;
    },
    alerts: () => json("/api/v1/alerts"),
    async metrics() {
      return (await get("/metrics")).text;
    },
    async stop(signal = "SIGTERM", timeoutMs = 10_000) {
      if (running()) {
        child.kill(signal);
        const done = await Promise.race([
          exited,
          new Promise<undefined>((r) => setTimeout(() => r(undefined), timeoutMs).unref()),
        ]);
        if (!done && running()) child.kill("SIGKILL");
      }
      return exited;
    },
  };
  try {
    await waitFor(
      `routewatch HTTP on ${http}`,
      async () => {
        if (!running()) throw new Error(`routewatch exited: ${err.slice(-2000)}`);
        return (await get("/healthz")).status === 200;
      },
      options.startTimeoutMs ?? 20_000,
      50,
    );
  } catch (e) {
    await rw.stop("SIGKILL");
    throw e;
  }
  return rw;
}

/** A temporary directory, removed by the returned function. */
export function scratchDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `routewatch-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a routewatch config file (JSON is valid YAML). */
export function writeConfig(dir: string, config: unknown, name = "routewatch.yaml"): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(config, null, 2) + "\n");
  return file;
}

/** One sample of a Prometheus text exposition: labels must match exactly those given (others ignored). */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Samples of `name` whose labels include `labels`. */
export function samples(all: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The sum of the matching samples (0 when none). */
export function metricSum(all: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples(all, name, labels).reduce((a, s) => a + s.value, 0);
}

/** A raw TCP client: connect from `localAddress`, collect what arrives, see the close. */
export interface RawClient {
  socket: Socket;
  received(): Buffer;
  closed(): boolean;
}

export function rawConnect(host: string, port: number, localAddress: string): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let isClosed = false;
    const socket = connect({ host, port, localAddress });
    socket.once("error", reject);
    socket.on("data", (d: Buffer) => chunks.push(d));
    socket.on("close", () => (isClosed = true));
    socket.once("connect", () => {
      socket.off("error", reject);
      socket.on("error", () => undefined);
      resolve({ socket, received: () => Buffer.concat(chunks), closed: () => isClosed });
    });
  });
}

/** Milliseconds since `t0` (performance.now()). */
export const since = (t0: number): number => performance.now() - t0;
