/**
 * `routewatch decode` (JSON and text) against `bgpdump -m -l` (bgpdump 1.6.2, an independent MRT
 * decoder) on every file in fixtures/mrt and on gen_mrt.py's synthetic stream: route by route,
 * in order, every column bgpdump prints (time, A/W/B/STATE, peer IP and AS, prefix, path id,
 * AS path, origin, next hop, local pref, MED, communities, large communities, atomic aggregate,
 * aggregator). bgpdump's own conventions, documented in test/helpers/bgpdump.ts, are applied to
 * routewatch's output before comparing (0 for an absent LOCAL_PREF or MED, INCOMPLETE for an absent
 * ORIGIN, lower-case names of three well-known communities, ...).
 *
 * Not compared, because bgpdump -m does not print them: extended communities, ORIGINATOR_ID,
 * CLUSTER_LIST, unknown attributes, and OPEN / KEEPALIVE / NOTIFICATION messages (counted instead).
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bgpdump,
  bgpdumpAvailable,
  bgpdumpBlocks,
  bgpdumpCommunity,
  bgpdumpHumanTime,
  type BgpdumpRoute,
  type BgpdumpRow,
} from "../helpers/bgpdump.js";
import {
  decodeInProcess,
  fixtureFiles,
  jsonLines,
  MRT_DIR,
  REPO,
  runCli,
  tempDir,
} from "../helpers/routewatch.js";
import { micros } from "./routewatch-views.js";

type Line = Record<string, unknown>;

/**
 * IANA "BGP Well-known Communities" names routewatch prints (RFC 1997, 3765, 7611, 7999, 8326,
 * 9494), back to their values, which bgpdump prints as numbers (or its own names, see
 * bgpdumpCommunity).
 */
const WELL_KNOWN_VALUES: Record<string, number> = {
  GRACEFUL_SHUTDOWN: 0xffff0000,
  ACCEPT_OWN: 0xffff0001,
  LLGR_STALE: 0xffff0006,
  NO_LLGR: 0xffff0007,
  BLACKHOLE: 0xffff029a,
  NO_EXPORT: 0xffffff01,
  NO_ADVERTISE: 0xffffff02,
  NO_EXPORT_SUBCONFED: 0xffffff03,
  NOPEER: 0xffffff04,
};

function communityValue(text: string): number {
  const known = WELL_KNOWN_VALUES[text];
  if (known !== undefined) return known;
  const m = /^(\d+):(\d+)$/.exec(text);
  if (!m) throw new Error(`routewatch community "${text}" is neither a name nor a:b`);
  return Number(m[1]) * 65536 + Number(m[2]);
}

/** Row fields bgpdump derives from the attributes, from routewatch's JSON `attributes`. */
interface Attrs {
  origin?: string;
  as_path?: string;
  next_hop?: string;
  mp_next_hops?: string[];
  med?: number;
  local_pref?: number;
  atomic_aggregate?: boolean;
  aggregator?: { asn: number; address: string };
  communities?: string[];
  large_communities?: string[];
}

type RouteTail = Omit<
  BgpdumpRoute,
  "kind" | "format" | "time" | "type" | "peerIp" | "peerAs" | "prefix" | "pathId"
>;

function routeTail(a: Attrs, nextHop: string): RouteTail {
  return {
    asPath: a.as_path ?? "",
    origin: a.origin ?? "INCOMPLETE",
    nextHop,
    localPref: a.local_pref ?? 0,
    med: a.med ?? 0,
    communities: (a.communities ?? []).map((c) => bgpdumpCommunity(communityValue(c))).join(" "),
    largeCommunities: (a.large_communities ?? []).join(" "),
    atomicAggregate: a.atomic_aggregate === true,
    aggregator: a.aggregator ? `${a.aggregator.asn} ${a.aggregator.address}` : "",
  };
}

/**
 * bgpdump's next hop of an UPDATE's prefix: NEXT_HOP for the UPDATE's own (IPv4) NLRI, the
 * MP_REACH_NLRI next hop for MP NLRI, 255.255.255.255 (INADDR_NONE) when there is none. The JSON
 * does not say which field a prefix came from: IPv6 prefixes are MP, IPv4 ones are taken as the
 * UPDATE's own unless only MP_REACH has a next hop (the text output, compared too, says it exactly).
 */
function updateNextHop(prefix: string, a: Attrs): string {
  if (prefix.includes(":")) return a.mp_next_hops?.[0] ?? "";
  return a.next_hop ?? a.mp_next_hops?.[0] ?? "255.255.255.255";
}

/** A TABLE_DUMP_V2 entry's next hop as bgpdump prints it: MP_REACH's, else NEXT_HOP. */
function ribNextHop(a: Attrs): string {
  return a.mp_next_hops?.[0] ?? a.next_hop ?? "255.255.255.255";
}

interface Rows {
  rows: BgpdumpRow[];
  /** Messages bgpdump -m prints nothing for (OPEN, KEEPALIVE, NOTIFICATION, ROUTE-REFRESH). */
  silent: number;
  /** Timestamps of the rows, in microseconds. */
  micros: number[];
}

/** What bgpdump -m should print, from routewatch's JSON lines (`format` left empty). */
function rowsFromJson(lines: Line[]): Rows {
  const out: Rows = { rows: [], silent: 0, micros: [] };
  const push = (row: BgpdumpRow, ts: number): void => {
    out.rows.push(row);
    out.micros.push(ts);
  };
  for (const l of lines) {
    const ts = micros(l.ts as string);
    const base = { format: "", time: "", peerIp: l.src as string };
    if (l.type === "STATE") {
      if (l.src === "") {
        // A BGP4MP_STATE_CHANGE_AS4 without addresses (address family 0: FRR's deleted peers),
        // which bgpdump 1.6.2 drops (see test/unit/codec/mrt/bgpdump-rows.ts).
        out.silent++;
        continue;
      }
      push(
        {
          ...base,
          kind: "state",
          peerAs: l.peer_as as number,
          oldState: l.old_state as number,
          newState: l.new_state as number,
        },
        ts,
      );
      continue;
    }
    const a = (l.attributes ?? {}) as Attrs;
    if (l.type === "RIB") {
      const ids = l.announced_path_ids as number[] | undefined;
      (l.announced as string[]).forEach((prefix, i) => {
        const row: BgpdumpRoute = {
          ...base,
          kind: "route",
          type: "B",
          peerAs: l.src_as as number,
          prefix,
          ...routeTail(a, ribNextHop(a)),
        };
        if (ids) row.pathId = ids[i];
        push(row, ts);
      });
      continue;
    }
    if (l.type !== "UPDATE") {
      out.silent++;
      continue;
    }
    const peerAs = l.src_as as number;
    const wIds = l.withdrawn_path_ids as number[] | undefined;
    (l.withdrawn as string[]).forEach((prefix, i) =>
      push({ ...base, kind: "withdraw", peerAs, prefix, ...(wIds ? { pathId: wIds[i] } : {}) }, ts),
    );
    const aIds = l.announced_path_ids as number[] | undefined;
    (l.announced as string[]).forEach((prefix, i) => {
      const row: BgpdumpRoute = {
        ...base,
        kind: "route",
        type: "A",
        peerAs,
        prefix,
        ...routeTail(a, updateNextHop(prefix, a)),
      };
      if (aIds) row.pathId = aIds[i];
      push(row, ts);
    });
  }
  return out;
}

/** What bgpdump -m should print, from routewatch's text lines (which show no path ids). */
function rowsFromText(text: string): Rows {
  const out: Rows = { rows: [], silent: 0, micros: [] };
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const f = line.split("|");
    const ts = micros(f[0]!);
    const [kind, peerIp, peerAs] = [f[2]!, f[3]!, Number(f[4])];
    const base = { format: "", time: "", peerIp, peerAs };
    let row: BgpdumpRow | undefined;
    if (kind === "STATE" && peerIp === "") {
      out.silent++; // an address-less state change, as in rowsFromJson
      continue;
    } else if (kind === "STATE")
      row = { ...base, kind: "state", oldState: Number(f[5]), newState: Number(f[6]) };
    else if (kind === "W") row = { ...base, kind: "withdraw", prefix: f[5]! };
    else if (kind === "A" || kind === "W!" || kind === "B") {
      // ts|BGP|A|peer|peer_as|prefix|as_path|origin|next_hop|local_pref|med|communities|large|AG/NAG|aggregator
      if (f.length !== 15) throw new Error(`text route line of ${f.length} fields: ${line}`);
      const [asPath, origin, nextHop, lp, med, comms, large, ag, aggregator] = f.slice(6);
      row = {
        ...base,
        kind: "route",
        // RFC 7606 treat-as-withdraw ("W!") is still an announcement on the wire, which bgpdump prints.
        type: kind === "B" ? "B" : "A",
        prefix: f[5]!,
        asPath: asPath!,
        origin: origin || "INCOMPLETE",
        nextHop: nextHop || "255.255.255.255",
        localPref: Number(lp || 0),
        med: Number(med || 0),
        communities: comms
          ? comms
              .split(" ")
              .map((c) => bgpdumpCommunity(communityValue(c)))
              .join(" ")
          : "",
        largeCommunities: large!,
        atomicAggregate: ag === "AG",
        aggregator: aggregator!,
      };
    } else {
      out.silent++;
      continue;
    }
    out.rows.push(row);
    out.micros.push(ts);
  }
  return out;
}

/**
 * Our rows with bgpdump's TIME column filled in: seconds, with ".uuuuuu" for BGP4MP_ET records (and
 * whenever routewatch shows a fraction where bgpdump has none, so the difference shows). Table
 * dump entries carry the dump's time, as in -m; their originated time is compared separately.
 * The FORMAT column (the MRT subtype) has no counterpart in routewatch's output and is copied; the
 * path id it implies is compared.
 */
function withTimes(ours: Rows, theirs: BgpdumpRow[]): BgpdumpRow[] {
  return ours.rows.map((row, i) => {
    const ts = ours.micros[i]!;
    const t = theirs[i];
    const seconds = Math.floor(ts / 1e6);
    const fraction = ts - seconds * 1e6;
    const time =
      t?.time.includes(".") || fraction !== 0
        ? `${seconds}.${String(fraction).padStart(6, "0")}`
        : String(seconds);
    return { ...row, time, format: t?.format ?? "" };
  });
}

/** ORIGINATED of every TABLE_DUMP entry, from bgpdump -H, in order. */
function originatedTimes(file: string): number[] {
  const out: number[] = [];
  for (const block of bgpdumpBlocks(file)) {
    if (!block.some(([k, v]) => k === "TYPE" && v.startsWith("TABLE_DUMP"))) continue;
    for (const [k, v] of block) if (k === "ORIGINATED") out.push(bgpdumpHumanTime(v));
  }
  return out;
}

function withoutPathIds(rows: BgpdumpRow[]): BgpdumpRow[] {
  return rows.map((r) => {
    if (r.kind === "state") return r;
    const copy = { ...r };
    delete copy.pathId;
    return copy;
  });
}

function countKinds(rows: BgpdumpRow[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) {
    const k = r.kind === "route" ? r.type : r.kind === "withdraw" ? "W" : "STATE";
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/**
 * Compares rows as JSON text (much faster than deep equality on 17k objects), in chunks so a
 * mismatch names the first differing rows rather than printing a 17k-row diff.
 */
function expectSameRows(ours: BgpdumpRow[], theirs: BgpdumpRow[], what: string): void {
  expect(countKinds(ours), what).toEqual(countKinds(theirs));
  const text = (rows: BgpdumpRow[]): string[] => rows.map((r) => JSON.stringify(r, Object.keys(r).sort()));
  const [a, b] = [text(ours), text(theirs)];
  for (let i = 0; i < b.length; i += 500) {
    const [x, y] = [a.slice(i, i + 500), b.slice(i, i + 500)];
    if (x.join("\n") !== y.join("\n")) expect(x, `${what}: rows ${i}..${i + 499}`).toEqual(y);
  }
  expect(a.length).toBe(b.length);
}

/** The CLI run: one compressed file goes through the real bin/routewatch (text output). */
const CLI_FILE = "gobgp-updates.mrt.bz2";

interface Case {
  name: string;
  file: string;
  json: string;
  text: string;
  theirs: BgpdumpRow[];
  originated: number[];
  /** gen_mrt.py's own counts, for the synthetic file. */
  generated?: { announced: number; withdrawn: number };
}

describe("decode agrees with bgpdump -m route by route", () => {
  const cases: Case[] = [];
  const files = fixtureFiles(MRT_DIR, /\.mrt(\.gz|\.bz2)?$/);
  let work = "";
  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  beforeAll(async () => {
    // Fails (rather than skips) when bgpdump is missing: CI installs it.
    if (!bgpdumpAvailable()) throw new Error("bgpdump is not installed (apt-get install bgpdump)");
    work = tempDir();
    const gen = path.join(work, "gen.mrt");
    const counts = execFileSync("python3", [path.join(REPO, "bench/gen_mrt.py"), gen, "--updates", "3000"], {
      encoding: "utf8",
    })
      .trim()
      .split(/\s+/)
      .map(Number);
    const inputs = [
      ...files.map((f) => ({ name: path.basename(f), file: f })),
      { name: "gen_mrt.py --updates 3000", file: gen },
    ];
    // One file goes through the real bin/routewatch too (started first: spawning node is slow).
    const cliText = runCli(["decode", path.join(MRT_DIR, CLI_FILE), "--format", "text"]);
    for (const { name, file } of inputs) {
      const [json, inProcessText] = (
        await Promise.all([decodeInProcess(file), decodeInProcess(file, { format: "text" })])
      ).map((r) => r.text) as [string, string];
      let text = inProcessText;
      if (name === CLI_FILE) {
        const r = await cliText;
        if (r.status !== 0) throw new Error(`routewatch decode ${name}: ${r.status} ${r.stderr}`);
        expect(r.stdout).toBe(inProcessText);
        text = r.stdout;
      }
      cases.push({
        name,
        file,
        json,
        text,
        theirs: bgpdump(file),
        originated: originatedTimes(file),
        ...(file === gen ? { generated: { announced: counts[1]!, withdrawn: counts[2]! } } : {}),
      });
    }
  });

  it("finds the MRT fixtures, plain and compressed", () => {
    const names = files.map((f) => path.basename(f));
    expect(names).toEqual(
      expect.arrayContaining(["bird-bgp4mp.mrt", "bird-bgp4mp.mrt.gz", "gobgp-updates.mrt.bz2"]),
    );
    expect(names.length).toBeGreaterThanOrEqual(12);
  });

  it("JSON output: every row bgpdump prints, with every column", () => {
    let total = 0;
    for (const c of cases) {
      const ours = rowsFromJson(jsonLines(c.json));
      expect(ours.rows.length, `${c.name}: bgpdump printed nothing, the file proves nothing`).toBeGreaterThan(
        0,
      );
      const theirs = structuredClone(c.theirs);
      expectSameRows(withTimes(ours, theirs), theirs, c.name);
      // Table dump entries: the originated time as bgpdump -H shows it (ORIGINATED).
      const originated = jsonLines(c.json)
        .filter((l) => l.type === "RIB")
        .map((l) => Math.floor(micros(l.originated as string) / 1e6));
      expect(originated, `${c.name}: originated times`).toEqual(c.originated);
      if (c.generated)
        expect(countKinds(theirs)).toEqual({ A: c.generated.announced, W: c.generated.withdrawn });
      total += theirs.length;
    }
    expect(total).toBeGreaterThan(10_000);
  });

  it("text output: the same rows (text lines carry no ADD-PATH path ids, so those are left out)", () => {
    for (const c of cases) {
      const ours = rowsFromText(c.text);
      const theirs = withoutPathIds(structuredClone(c.theirs));
      expectSameRows(withoutPathIds(withTimes(ours, theirs)), theirs, c.name);
      // Every other message has its own line, as in the JSON output.
      expect(ours.silent, c.name).toBe(rowsFromJson(jsonLines(c.json)).silent);
    }
  });

  it("a compressed file decodes to what its plain twin does", () => {
    const byName = new Map(cases.map((c) => [c.name, c]));
    let pairs = 0;
    for (const c of cases) {
      const plain = byName.get(c.name.replace(/\.(gz|bz2)$/, ""));
      if (plain === undefined || plain === c) continue;
      expect(c.json, c.name).toBe(plain.json);
      expect(c.text, c.name).toBe(plain.text);
      pairs++;
    }
    expect(pairs).toBeGreaterThanOrEqual(3);
  });
});
