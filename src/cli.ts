/** The routewatch command line: `routewatch <command> [options]`. */
import { parseArgs } from "node:util";
import { LineWriter } from "./core/line-writer.js";
import { decodeFile } from "./decode/command.js";
import { InputError } from "./input/open.js";
import { DEFAULT_BMP_PORTS } from "./input/read-items.js";

const USAGE = `usage: routewatch <command> [options]

commands:
  decode FILE [--format json|text] [--summary] [--bmp-port N]...
      Decode every BGP and BMP message in a pcap, pcapng or MRT file (plain, gzip or bzip2).
      --format json   one JSON object per message (default)
      --format text   one line per route, like bgpdump -m
      --summary       only print {"messages","updates","announced","withdrawn","errors",...}
      --bmp-port N    a TCP port carrying BMP in captures (repeatable; default ${DEFAULT_BMP_PORTS.join(", ")})
      Exit code: 0 decoded cleanly, 1 some records were malformed (counted, reported on stderr),
      2 the file could not be read or the options are wrong.
`;

class UsageError extends Error {}

function fail(message: string): never {
  throw new UsageError(message);
}

async function decodeCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: "string", default: "json" },
      summary: { type: "boolean", default: false },
      "bmp-port": { type: "string", multiple: true },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length !== 1) fail("decode takes exactly one FILE");
  const format = values.format;
  if (format !== "json" && format !== "text") fail(`--format must be json or text, not "${format}"`);
  const bmpPorts = (values["bmp-port"] ?? []).map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 1 || n > 65535)
      fail(`--bmp-port must be a TCP port (1-65535), not "${p}"`);
    return n;
  });
  const out = new LineWriter(1);
  const errors = new LineWriter(2, 0);
  let shown = 0;
  const summary = await decodeFile(
    positionals[0]!,
    { format, summary: values.summary, bmpPorts: bmpPorts.length ? bmpPorts : DEFAULT_BMP_PORTS },
    out,
    (level, message) => {
      // Thousands of identical problems would drown the terminal; the summary has the counts.
      if (++shown <= 100) errors.line(`routewatch: ${level}: ${message}`);
      else if (shown === 101) errors.line("routewatch: more problems not shown (see the counts)");
    },
  );
  return summary.errors > 0 ? 1 : 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "decode":
        return await decodeCommand(rest);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        fail(`unknown command "${command}"`);
    }
  } catch (e) {
    if (
      e instanceof UsageError ||
      e instanceof InputError ||
      (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
    ) {
      process.stderr.write(`routewatch: ${(e as Error).message}\n`);
      if (e instanceof UsageError || !(e instanceof InputError))
        process.stderr.write("run `routewatch --help` for usage\n");
      return 2;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
