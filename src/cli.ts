/**
 * The routewatch command line: `routewatch <command> [options]`. Each command's code is loaded only
 * when it runs (the bundle splits them), so `decode` starts without the daemon's libraries.
 */
import { OperatorError, UsageError } from "./core/errors.js";
import { USAGE } from "./commands/usage.js";

const COMMANDS: Record<string, () => Promise<(args: string[]) => Promise<number>>> = {
  decode: async () => (await import("./commands/decode.js")).decodeCommand,
  run: async () => (await import("./commands/run.js")).runCommand,
  replay: async () => (await import("./commands/replay.js")).replayCommand,
  check: async () => (await import("./commands/check.js")).checkCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (
    command === undefined ||
    command === "help" ||
    command === "--help" ||
    command === "-h" ||
    rest.includes("--help")
  ) {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  try {
    const load = COMMANDS[command];
    if (!load) throw new UsageError(`unknown command "${command}"`);
    return await (
      await load()
    )(rest);
  } catch (e) {
    const parseError = (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") === true;
    if (e instanceof OperatorError || parseError) {
      process.stderr.write(`routewatch: ${(e as Error).message}\n`);
      if (parseError || (e instanceof OperatorError && e.usage))
        process.stderr.write("run `routewatch --help` for usage\n");
      return 2;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
