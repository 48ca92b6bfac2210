/** Structured logs (pino): JSON lines on stderr, one logger per daemon with child loggers per component. */
import { pino, type Logger, type Level } from "pino";

export type { Logger };

export const LOG_LEVELS: readonly Level[] = ["fatal", "error", "warn", "info", "debug", "trace"];

export function createLogger(
  level: Level | "silent" = "info",
  destination: NodeJS.WritableStream | number = 2,
): Logger {
  return pino(
    { level, base: { name: "routewatch" }, timestamp: pino.stdTimeFunctions.isoTime },
    typeof destination === "number" ? pino.destination({ fd: destination, sync: true }) : destination,
  );
}
