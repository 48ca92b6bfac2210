/**
 * Configuration: a YAML file (`--config`) and command-line flags (which win), validated at start-up
 * with zod. Unknown keys are rejected and every error names the field and what was expected.
 */
import { readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { parseIp, parsePrefix } from "../../codec/ip.js";
import { OperatorError } from "./errors.js";

/** "ADDR:PORT" or "[IPv6]:PORT" as host and port. */
export interface Endpoint {
  host: string;
  port: number;
}

export function parseEndpoint(text: string): Endpoint | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  // Port 0 asks the system for a free port (tests; the bound port is logged and served by the API).
  if (!parseIp(host) || port > 65535) return undefined;
  return { host, port };
}

export function formatEndpoint(e: Endpoint): string {
  return e.host.includes(":") ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

const endpoint = z.string().transform((s, ctx) => {
  const e = parseEndpoint(s);
  if (!e) {
    ctx.addIssue({
      code: "custom",
      message: `expected ADDR:PORT (e.g. 0.0.0.0:179 or [::]:179), got "${s}"`,
    });
    return z.NEVER;
  }
  return e;
});

const ipv4 = z.string().refine((s) => parseIp(s)?.length === 4, { message: "expected an IPv4 address" });
const ip = z.string().refine((s) => parseIp(s) !== undefined, { message: "expected an IP address" });
const cidr = z.string().refine(
  (s) => {
    try {
      parsePrefix(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: "expected a CIDR prefix like 10.0.0.0/8" },
);
const asn = z.number().int().min(1).max(4294967295);
const seconds = z.number().min(0);

const peerSchema = z
  .object({
    address: ip,
    asn: asn.optional(),
    /** Also open the connection from our side (otherwise wait for the peer). */
    connect: z.boolean().default(false),
    port: z.number().int().min(1).max(65535).default(179),
    maxPrefixes: z.number().int().min(1).optional(),
    name: z.string().optional(),
  })
  .strict();

export const configSchema = z
  .object({
    asn: asn.default(64512),
    /** BGP Identifier; defaults to the first non-loopback IPv4 address of this host. */
    routerId: ipv4.optional(),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    bgp: z
      .object({
        listen: z.array(endpoint).default([{ host: "0.0.0.0", port: 179 }]),
        holdTime: z
          .number()
          .int()
          .refine((v) => v === 0 || (v >= 3 && v <= 65535), {
            message: "expected 0 or 3..65535 seconds",
          })
          .default(90),
        /** Peers allowed to connect (CIDRs); their ASN is taken from their OPEN. */
        allowPeers: z.array(cidr).default([]),
        /** Known peers: expected ASN, limits, optional connect-out. */
        peers: z.array(peerSchema).default([]),
        /** Per-peer prefix limit (RFC 4486 Cease 1 above it); 0 for none. */
        maxPrefixes: z.number().int().min(0).default(0),
        /** Fraction of the limit at which a warning is logged. */
        maxPrefixWarning: z.number().gt(0).lte(1).default(0.8),
        /** Restart time we advertise as graceful restart receiver (RFC 4724). */
        gracefulRestartTime: z.number().int().min(0).max(4095).default(120),
        /** Seconds between connection attempts to `connect: true` peers. */
        connectRetry: seconds.default(30),
        /** Seconds a new connection may wait for the peer's OPEN (RFC 4271 8.2.2: 4 minutes). */
        openHoldTime: z.number().int().min(1).default(240),
        /** Connections from one address that may wait for their OPEN at once; more are refused. */
        maxPendingConnections: z.number().int().min(1).default(16),
        /** Seconds without an UPDATE after which a peer that sends no End-of-RIB counts as synced. */
        syncQuiet: seconds.default(5),
        /** Seconds a peer's connections are refused after a max-prefix Cease (RFC 4486). */
        maxPrefixIdleHold: seconds.default(60),
        /** Upper bound in seconds on keeping stale routes after a graceful restart re-establishes (RFC 4724 4.2). */
        stalePathTime: z.number().int().min(1).default(360),
      })
      .strict()
      .prefault({}),
    bmp: z
      .object({
        listen: z.array(endpoint).default([{ host: "0.0.0.0", port: 11019 }]),
        /** Routers allowed to stream (CIDRs); empty allows any. */
        allowRouters: z.array(cidr).default([]),
        /** Seconds without a new route from a peer after which its initial dump counts as done (no End-of-RIB). */
        initialDumpQuiet: seconds.default(5),
      })
      .strict()
      .prefault({}),
    http: z
      .object({
        listen: endpoint.default({ host: "0.0.0.0", port: 9179 }),
        /** How Alertmanager and people reach this API (for generatorURL links); default from listen. */
        externalUrl: z.url().optional(),
      })
      .strict()
      .prefault({}),
    inventory: z
      .object({
        /** A kubectl List (JSON/YAML) or a JSON Lines watch-event timeline, instead of the API server. */
        file: z.string().optional(),
        /** Watch the Kubernetes API (kubeconfig, KUBECONFIG or in-cluster). */
        kubernetes: z.boolean().default(false),
        kubeconfig: z.string().optional(),
      })
      .strict()
      .prefault({}),
    record: z
      .object({
        /** Directory for recordings (BGP as MRT, BMP as received, inventory changes); unset: no recording. */
        dir: z.string().optional(),
        /** Seconds after which a new file is started. */
        rotateSeconds: z.number().min(1).default(3600),
        /** Size in bytes after which a new file is started. */
        rotateBytes: z
          .number()
          .int()
          .min(4096)
          .default(64 * 1024 * 1024),
        /** Files older than this many seconds are deleted. */
        keepSeconds: z
          .number()
          .min(1)
          .default(7 * 24 * 3600),
        /** The oldest files are deleted while all recordings together exceed this many bytes. */
        keepBytes: z
          .number()
          .int()
          .min(1)
          .default(1024 * 1024 * 1024),
      })
      .strict()
      .prefault({}),
    alerts: z
      .object({
        /** Seconds a condition must hold before it fires. */
        grace: seconds.default(5),
        /** Alertmanager base URLs (v2 API). */
        alertmanager: z.array(z.url()).default([]),
        /** Seconds between re-sends of firing alerts. */
        resend: z.number().min(1).default(60),
        /** Seconds after an endpoint change before SlowConvergence fires. */
        slowConvergence: z.number().min(1).default(30),
        flap: z
          .object({
            penalty: z.number().positive().default(1000),
            changePenalty: z.number().min(0).default(500),
            halfLife: z.number().positive().default(900),
            suppress: z.number().positive().default(2000),
            reuse: z.number().positive().default(750),
            maxPenalty: z.number().positive().default(12000),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema> & { routerId: string };
export type PeerConfig = z.infer<typeof peerSchema>;

/** A configuration error naming the field and what was expected. */
export class ConfigError extends OperatorError {
  override name = "ConfigError";
}

function describe(error: z.ZodError, source: string): string {
  return error.issues
    .map((i) => {
      const path = i.path.length
        ? i.path
            .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
            .join("")
            .replace(/^\./, "")
        : "(top level)";
      return `${source}: ${path}: ${i.message}`;
    })
    .join("\n");
}

function defaultRouterId(): string | undefined {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return undefined;
}

/**
 * Validates raw settings (the YAML file's object merged with flags). `source` names where they came
 * from in error messages.
 */
export function buildConfig(raw: unknown, source = "config"): Config {
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new ConfigError(describe(parsed.error, source));
  const c = parsed.data;
  const routerId = c.routerId ?? defaultRouterId();
  if (!routerId)
    throw new ConfigError(
      `${source}: routerId: no IPv4 address found on this host; set routerId (--router-id)`,
    );
  return { ...c, routerId };
}

/** Reads a YAML (or JSON) file of settings. */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError(`${path}: cannot read: ${(e as Error).message}`);
  }
  try {
    return parseYaml(text) ?? {};
  } catch (e) {
    throw new ConfigError(`${path}: not valid YAML: ${(e as Error).message}`);
  }
}

/** Sets `value` at a dotted path in a plain object, creating the levels in between. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let o = target;
  for (const k of keys.slice(0, -1)) {
    if (typeof o[k] !== "object" || o[k] === null) o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  o[keys.at(-1)!] = value;
}
