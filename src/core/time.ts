/** Timestamps: integer microseconds since the Unix epoch inside, RFC 3339 UTC text outside. */

let cachedSecond = Number.NaN;
let cachedPrefix = "";

/** "2026-11-25T14:01:37.123456Z" (microsecond precision, always six digits). */
export function formatTimestamp(tsMicros: number): string {
  const second = Math.floor(tsMicros / 1e6);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 19);
  }
  const micros = tsMicros - second * 1e6;
  return `${cachedPrefix}.${String(micros).padStart(6, "0")}Z`;
}

/** Parses RFC 3339 text (any fraction precision, Z or offset) to microseconds; NaN when invalid. */
export function parseTimestamp(text: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) return Number.NaN;
  const ms = Date.parse(`${m[1]!.replace(" ", "T")}${m[3]!.toUpperCase()}`);
  if (Number.isNaN(ms)) return Number.NaN;
  const frac = (m[2] ?? "").padEnd(6, "0").slice(0, 6);
  return ms * 1000 + Number(frac);
}
