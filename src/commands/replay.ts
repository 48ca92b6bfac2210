/**
 * `routewatch replay INPUT... --inventory FILE [--grace 5s] [--speed max|1x|Nx]
 *  [--format json|text] [--from T --to T] [--config FILE]`.
 * Exit code: 1 when an alert is firing at the end of the input, 0 when none, 2 on bad input.
 */
import { parseArgs } from "node:util";
import { buildConfig, readConfigFile, setPath } from "../core/config.js";
import { parseDuration } from "../core/duration.js";
import { UsageError } from "../core/errors.js";
import { LineWriter } from "../core/line-writer.js";
import { createLogger } from "../core/log.js";
import { parseTimestamp } from "../core/time.js";
import { DEFAULT_BMP_PORTS } from "../input/read-items.js";
import { replay } from "../record/replay.js";
import { jsonReplayOutput, textReplayOutput } from "../record/replay-output.js";
import { ports } from "./decode.js";

function parseSpeed(text: string): number | "max" {
  if (text === "max") return "max";
  const m = /^(\d+(?:\.\d+)?)x$/.exec(text);
  if (!m || Number(m[1]) <= 0)
    throw new UsageError(`--speed must be max or a factor like 1x or 10x, not "${text}"`);
  return Number(m[1]);
}

function parseTime(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = parseTimestamp(text);
  if (Number.isNaN(t))
    throw new UsageError(`--${flag} must be an RFC 3339 time like 2026-11-25T14:00:00Z, not "${text}"`);
  return t;
}

export async function replayCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      inventory: { type: "string" },
      grace: { type: "string" },
      speed: { type: "string", default: "max" },
      format: { type: "string", default: "json" },
      from: { type: "string" },
      to: { type: "string" },
      config: { type: "string" },
      "router-id": { type: "string" },
      "bmp-port": { type: "string", multiple: true },
      "bgp-port": { type: "string", multiple: true },
      "log-level": { type: "string", default: "silent" },
    },
  });
  if (positionals.length === 0)
    throw new UsageError("replay takes at least one INPUT (a capture, an MRT file or a recording directory)");
  if (values.format !== "json" && values.format !== "text")
    throw new UsageError(`--format must be json or text, not "${values.format}"`);
  const raw = (values.config ? readConfigFile(values.config) : {}) as Record<string, unknown>;
  if (values.grace !== undefined) {
    const g = parseDuration(values.grace);
    if (g === undefined)
      throw new UsageError(`--grace: expected a duration like 5s or 500ms, got "${values.grace}"`);
    setPath(raw, "alerts.grace", g);
  }
  // The recorded routewatch's BGP identifier tells its side of a captured session; a replay needs
  // no router id of this host (routewatch's OPEN stands in for a missing one).
  if (values["router-id"] !== undefined) raw.routerId = values["router-id"];
  raw.routerId ??= "0.0.0.1";
  setPath(raw, "logLevel", values["log-level"]);
  const config = buildConfig(raw, values.config ?? "configuration");
  const bmpPorts = ports("bmp-port", values["bmp-port"]);
  const bgpPorts = ports("bgp-port", values["bgp-port"]);
  const out = new LineWriter(1);
  const output = values.format === "json" ? jsonReplayOutput(out) : textReplayOutput(out);
  const fromMicros = parseTime("from", values.from);
  const toMicros = parseTime("to", values.to);
  const result = await replay(
    {
      inputs: positionals,
      ...(values.inventory !== undefined ? { inventory: values.inventory } : {}),
      config,
      speed: parseSpeed(values.speed),
      ...(fromMicros !== undefined ? { fromMicros } : {}),
      ...(toMicros !== undefined ? { toMicros } : {}),
      ports: {
        bmpPorts: bmpPorts.length ? bmpPorts : DEFAULT_BMP_PORTS,
        ...(bgpPorts.length ? { bgpPorts } : {}),
      },
      log: createLogger(config.logLevel),
    },
    output,
  );
  output.summary(result);
  out.flush();
  return result.firing.length > 0 ? 1 : 0;
}
