/**
 * bgpdump (RIPE NCC, 1.6.2 as Debian ships it) as an independent MRT decoder for tests: runs
 * `bgpdump -m -l FILE` and parses its one-line-per-prefix output into rows.
 *
 * The -m format, as this version prints it (fields separated by "|", a trailing "|" on A/B lines):
 *   FORMAT|TIME|A|PEER_IP|PEER_AS|PREFIX|[PATH_ID|]AS_PATH|ORIGIN|NEXT_HOP|LOCAL_PREF|MED|COMMUNITIES|LARGE|AG|AGGREGATOR|
 *   FORMAT|TIME|W|PEER_IP|PEER_AS|PREFIX[|PATH_ID]
 *   FORMAT|TIME|STATE|PEER_IP|PEER_AS|OLD_STATE|NEW_STATE
 *   TABLE_DUMP2|TIME|B|... as A (one line per RIB entry; TIME is the dump record's)
 * - FORMAT: BGP4MP or BGP4MP_ET, then "_LOCAL" for MESSAGE(_AS4)_LOCAL, "_AP" for the ADD-PATH
 *   subtypes (the *_LOCAL_ADDPATH ones too, which get no "_LOCAL" and whose PEER fields show the
 *   record's Local IP and Local AS); TABLE_DUMP2, TABLE_DUMP2_AP (ADD-PATH RIBs), TABLE_DUMP (v1).
 * - TIME: Unix seconds; BGP4MP_ET adds ".uuuuuu" microseconds.
 * - AS_PATH: sequences space separated, AS_SET "{a,b}", AS_CONFED_SEQUENCE "(a b)", AS_CONFED_SET
 *   "[a,b]"; 2-byte paths are merged with AS4_PATH (RFC 6793).
 * - LOCAL_PREF and MED print 0 when absent; ORIGIN prints INCOMPLETE when absent.
 * - COMMUNITIES: "a:b" each, space separated; 0xFFFFFF01..03 print as no-export, no-advertise,
 *   local-AS. LARGE (from -l): "a:b:c" each, space separated.
 * - AG/NAG: ATOMIC_AGGREGATE present or not. AGGREGATOR: "AS ADDRESS" or empty.
 * - Only UPDATEs and state changes print; OPEN, KEEPALIVE, NOTIFICATION print nothing in -m mode.
 */
import { execFileSync } from "node:child_process";

export interface BgpdumpRoute {
  kind: "route";
  format: string;
  time: string;
  /** "A" for an announcement in an UPDATE, "B" for a RIB dump entry. */
  type: "A" | "B";
  peerIp: string;
  peerAs: number;
  prefix: string;
  pathId?: number;
  asPath: string;
  origin: string;
  nextHop: string;
  localPref: number;
  med: number;
  communities: string;
  largeCommunities: string;
  atomicAggregate: boolean;
  aggregator: string;
}

export interface BgpdumpWithdraw {
  kind: "withdraw";
  format: string;
  time: string;
  peerIp: string;
  peerAs: number;
  prefix: string;
  pathId?: number;
}

export interface BgpdumpState {
  kind: "state";
  format: string;
  time: string;
  peerIp: string;
  peerAs: number;
  oldState: number;
  newState: number;
}

export type BgpdumpRow = BgpdumpRoute | BgpdumpWithdraw | BgpdumpState;

let available: boolean | undefined;

/** True when a `bgpdump` binary runs here. */
export function bgpdumpAvailable(): boolean {
  if (available === undefined) {
    try {
      execFileSync("bgpdump", ["-T"], { stdio: "ignore" });
      available = true;
    } catch (e) {
      // -T runs bgpdump's self tests and exits 0; anything but "not found" means it is there.
      available = (e as NodeJS.ErrnoException).code !== "ENOENT";
    }
  }
  return available;
}

export const BGPDUMP_MISSING =
  "bgpdump is not installed (apt-get install bgpdump): skipped the comparison with it";

function run(args: string[]): string {
  return execFileSync("bgpdump", args, {
    encoding: "utf8",
    maxBuffer: 1 << 30,
    stdio: ["ignore", "pipe", "ignore"],
  });
}

/** Raw `bgpdump -m -l FILE` lines (stderr, where it logs, is dropped). */
export function bgpdumpLines(file: string): string[] {
  return run(["-m", "-l", file])
    .split("\n")
    .filter((l) => l.length > 0);
}

/** `bgpdump -m -l FILE`, parsed. */
export function bgpdump(file: string): BgpdumpRow[] {
  return bgpdumpLines(file).map(parseBgpdumpLine);
}

/**
 * `bgpdump -H FILE` (the multi-line mode): one block per entry, each a list of [KEY, value] lines
 * ("TYPE", "VIEW", "SEQUENCE", "PREFIX", "FROM", "ORIGINATED", "STATUS", ...; keys may repeat).
 * It shows what -m leaves out: TABLE_DUMP view, sequence and status, and every RIB entry's
 * originated time (-m -t change prints garbage for TABLE_DUMP_V2 in this version).
 */
export function bgpdumpBlocks(file: string): [string, string][][] {
  return run(["-H", file])
    .split("\n\n")
    .map((block) =>
      block
        .split("\n")
        .filter((l) => l.length > 0)
        .map((l): [string, string] => {
          const colon = l.indexOf(":");
          return colon < 0 ? [l.trim(), ""] : [l.slice(0, colon).trim(), l.slice(colon + 1).trim()];
        }),
    )
    .filter((b) => b.length > 0);
}

/** Unix seconds of a -H time ("11/06/26 21:20:10", UTC, as gmtime prints it). */
export function bgpdumpHumanTime(text: string): number {
  const m = /^(\d\d)\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)$/.exec(text);
  if (!m) throw new Error(`not a bgpdump time: "${text}"`);
  const [, mo, d, y, h, mi, s] = m.map(Number) as number[];
  // Two-digit years as strptime's %y reads them: 69..99 are 1969..1999.
  return Date.UTC((y! >= 69 ? 1900 : 2000) + y!, mo! - 1, d!, h!, mi!, s!) / 1000;
}

function int(text: string, line: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`bgpdump line: "${text}" is not a number in: ${line}`);
  return Number(text);
}

/** One `bgpdump -m` line (with or without -l) as a row; throws on a line of unknown shape. */
export function parseBgpdumpLine(line: string): BgpdumpRow {
  const f = line.split("|");
  const [format, time, type] = f;
  if (format === undefined || time === undefined || type === undefined || f.length < 6) {
    throw new Error(`bgpdump line of unknown shape: ${line}`);
  }
  const addPath = format.endsWith("_AP");
  const peerIp = f[3]!;
  const peerAs = int(f[4]!, line);
  if (type === "STATE") {
    return {
      kind: "state",
      format,
      time,
      peerIp,
      peerAs,
      oldState: int(f[5]!, line),
      newState: int(f[6] ?? "", line),
    };
  }
  if (type === "W") {
    const row: BgpdumpWithdraw = { kind: "withdraw", format, time, peerIp, peerAs, prefix: f[5]! };
    if (addPath) row.pathId = int(f[6] ?? "", line);
    return row;
  }
  if (type !== "A" && type !== "B") throw new Error(`bgpdump line of unknown type "${type}": ${line}`);
  let i = 5;
  const prefix = f[i++]!;
  const pathId = addPath ? int(f[i++]!, line) : undefined;
  // Without -l an A/B line has 15 fields (16 with a path id); -l adds the large communities.
  const withLarge = f.length === (addPath ? 17 : 16);
  if (!withLarge && f.length !== (addPath ? 16 : 15))
    throw new Error(`bgpdump A/B line of ${f.length} fields: ${line}`);
  const row: BgpdumpRoute = {
    kind: "route",
    format,
    time,
    type,
    peerIp,
    peerAs,
    prefix,
    asPath: f[i++]!,
    origin: f[i++]!,
    nextHop: f[i++]!,
    localPref: int(f[i++]!, line),
    med: int(f[i++]!, line),
    communities: f[i++]!,
    largeCommunities: withLarge ? f[i++]! : "",
    atomicAggregate: f[i++] === "AG",
    aggregator: f[i++]!,
  };
  if (pathId !== undefined) row.pathId = pathId;
  return row;
}

const WELL_KNOWN: Record<number, string> = {
  0xffffff01: "no-export",
  0xffffff02: "no-advertise",
  0xffffff03: "local-AS",
};

/** A community value as bgpdump prints it. */
export function bgpdumpCommunity(value: number): string {
  return WELL_KNOWN[value] ?? `${value >>> 16}:${value & 0xffff}`;
}

/** The TIME field: seconds, with ".uuuuuu" for BGP4MP_ET records. */
export function bgpdumpTime(tsMicros: number, extendedTimestamp: boolean): string {
  const seconds = Math.floor(tsMicros / 1_000_000);
  if (!extendedTimestamp) return String(seconds);
  return `${seconds}.${String(tsMicros - seconds * 1_000_000).padStart(6, "0")}`;
}
