/** `routewatch decode FILE [--format json|text] [--summary] [--bmp-port N]... [--bgp-port N]...`. */
import { parseArgs } from "node:util";
import { UsageError } from "../core/errors.js";
import { LineWriter } from "../core/line-writer.js";
import { decodeFile } from "../decode/command.js";
import { DEFAULT_BMP_PORTS } from "../input/read-items.js";

/** Parses repeated `--NAME-port N` values. */
export function ports(flag: string, values: string[] | undefined): number[] {
  return (values ?? []).map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 1 || n > 65535)
      throw new UsageError(`--${flag} must be a TCP port (1-65535), not "${p}"`);
    return n;
  });
}

export async function decodeCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: "string", default: "json" },
      summary: { type: "boolean", default: false },
      "bmp-port": { type: "string", multiple: true },
      "bgp-port": { type: "string", multiple: true },
    },
  });
  if (positionals.length !== 1) throw new UsageError("decode takes exactly one FILE");
  const format = values.format;
  if (format !== "json" && format !== "text")
    throw new UsageError(`--format must be json or text, not "${format}"`);
  const bmpPorts = ports("bmp-port", values["bmp-port"]);
  const bgpPorts = ports("bgp-port", values["bgp-port"]);
  const out = new LineWriter(1);
  const errors = new LineWriter(2, 0);
  let shown = 0;
  const summary = await decodeFile(
    positionals[0]!,
    {
      format,
      summary: values.summary,
      bmpPorts: bmpPorts.length ? bmpPorts : DEFAULT_BMP_PORTS,
      ...(bgpPorts.length ? { bgpPorts } : {}),
    },
    out,
    (level, message) => {
      // Thousands of identical problems would drown the terminal; the summary has the counts.
      if (++shown <= 100) errors.line(`routewatch: ${level}: ${message}`);
      else if (shown === 101) errors.line("routewatch: more problems not shown (see the counts)");
    },
  );
  return summary.errors > 0 ? 1 : 0;
}
