/** `routewatch run [--config FILE] [flags]`: the daemon. */
import { parseArgs } from "node:util";
import { parseIp, parsePrefix } from "../../codec/ip.js";
import { realClock } from "../core/clock.js";
import {
  buildConfig,
  ConfigError,
  parseEndpoint,
  readConfigFile,
  setPath,
  type Config,
} from "../core/config.js";
import { parseDuration } from "../core/duration.js";
import { UsageError } from "../core/errors.js";
import { createLogger } from "../core/log.js";
import { Metrics } from "../core/metrics.js";
import { Daemon } from "../daemon.js";
import { createInventory } from "../inventory/provider.js";

function list(flag: string, text: string, check: (item: string) => boolean, expected: string): string[] {
  const items = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of items)
    if (!check(item)) throw new UsageError(`--${flag}: expected ${expected}, got "${item}"`);
  return items;
}

const isPrefix = (s: string): boolean => {
  try {
    parsePrefix(s);
    return s.includes("/");
  } catch {
    return false;
  }
};

/** run's flags (check takes them too). */
export const RUN_OPTIONS = {
  config: { type: "string" },
  "bgp-listen": { type: "string" },
  "bmp-listen": { type: "string" },
  "http-listen": { type: "string" },
  asn: { type: "string" },
  "router-id": { type: "string" },
  "allow-peers": { type: "string" },
  "log-level": { type: "string" },
  inventory: { type: "string" },
  kubernetes: { type: "boolean" },
  kubeconfig: { type: "string" },
  alertmanager: { type: "string" },
  grace: { type: "string" },
  "record-dir": { type: "string" },
} as const;

export type RunValues = Partial<Record<Exclude<keyof typeof RUN_OPTIONS, "kubernetes">, string>> & {
  kubernetes?: boolean;
};

/** Builds the configuration from `--config FILE` and the flags. */
export function runConfig(args: string[]): Config {
  return configFromFlags(parseArgs({ args, options: RUN_OPTIONS }).values);
}

/** The configuration from parsed run flags (the file named by --config, then the flags over it). */
export function configFromFlags(values: RunValues): Config {
  const raw = (values.config ? readConfigFile(values.config) : {}) as Record<string, unknown>;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new ConfigError(`${values.config}: expected a mapping of settings`);
  const endpoint = (s: string): boolean => parseEndpoint(s) !== undefined;
  if (values["bgp-listen"] !== undefined)
    setPath(raw, "bgp.listen", list("bgp-listen", values["bgp-listen"], endpoint, "ADDR:PORT"));
  if (values["bmp-listen"] !== undefined)
    setPath(raw, "bmp.listen", list("bmp-listen", values["bmp-listen"], endpoint, "ADDR:PORT"));
  if (values["http-listen"] !== undefined)
    setPath(raw, "http.listen", list("http-listen", values["http-listen"], endpoint, "ADDR:PORT")[0]);
  if (values.asn !== undefined) {
    const n = Number(values.asn);
    if (!Number.isInteger(n) || n < 1 || n > 4294967295)
      throw new UsageError(`--asn: expected an AS number 1..4294967295, got "${values.asn}"`);
    raw.asn = n;
  }
  if (values["router-id"] !== undefined) {
    if (parseIp(values["router-id"])?.length !== 4)
      throw new UsageError(`--router-id: expected an IPv4 address, got "${values["router-id"]}"`);
    raw.routerId = values["router-id"];
  }
  if (values["allow-peers"] !== undefined)
    setPath(raw, "bgp.allowPeers", list("allow-peers", values["allow-peers"], isPrefix, "CIDR"));
  if (values["log-level"] !== undefined) raw.logLevel = values["log-level"];
  if (values.inventory !== undefined) setPath(raw, "inventory.file", values.inventory);
  if (values.kubernetes || values.kubeconfig !== undefined) setPath(raw, "inventory.kubernetes", true);
  if (values.kubeconfig !== undefined) setPath(raw, "inventory.kubeconfig", values.kubeconfig);
  if (values.alertmanager !== undefined) {
    setPath(
      raw,
      "alerts.alertmanager",
      list("alertmanager", values.alertmanager, (u) => /^https?:\/\/.+/.test(u), "an http(s) URL"),
    );
  }
  if (values.grace !== undefined) {
    const g = parseDuration(values.grace);
    if (g === undefined)
      throw new UsageError(`--grace: expected a duration like 5s or 500ms, got "${values.grace}"`);
    setPath(raw, "alerts.grace", g);
  }
  if (values["record-dir"] !== undefined) setPath(raw, "record.dir", values["record-dir"]);
  return buildConfig(raw, values.config ?? "configuration");
}

export async function runCommand(args: string[]): Promise<number> {
  const config = runConfig(args);
  const log = createLogger(config.logLevel);
  const clock = realClock;
  const metrics = new Metrics();
  const inventory = await createInventory(config, clock, log, metrics);
  const daemon = new Daemon({ config, log, clock, metrics, inventory });
  try {
    await daemon.start();
  } catch (e) {
    log.fatal({ err: e }, "routewatch could not start");
    await daemon.stop().catch(() => {});
    process.stderr.write(`routewatch: cannot start: ${(e as Error).message}\n`);
    return 2;
  }
  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, "stopping: closing sessions with a Cease NOTIFICATION");
      void daemon.stop().then(
        () => resolve(0),
        (e: unknown) => {
          log.error({ err: e }, "error while stopping");
          resolve(1);
        },
      );
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
}
