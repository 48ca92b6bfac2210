/**
 * `routewatch decode --format json` against tshark 4.0, an independent decoder, on every capture in
 * fixtures/captures: the messages are aligned by frame number (several in one frame keep their
 * order) and compared field by field, BGP messages inside BMP too (see tshark-views.ts for what is
 * compared and routewatch-views.ts for how routewatch's output is read). Every tshark field is either
 * compared or listed as not comparable, every routewatch field likewise, and every message of the
 * capture must be matched.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rewriteTcpPorts } from "../helpers/capture-ports.js";
import {
  CAPTURES_DIR,
  decodeInProcess,
  fixtureFiles,
  jsonLines,
  runCli,
  tempDir,
} from "../helpers/routewatch.js";
import { tsharkPackets, tsharkVersion, type TObject, type TsharkPacket } from "../helpers/tshark-json.js";
import { lineView } from "./routewatch-views.js";
import { bgpView, bmpView, notCompared, type Json, type View } from "./tshark-views.js";

/** fixtures/README.md: the BMP ports of the captures, and the extra BGP port of frr-bmp-ipv6-peer. */
const BMP_PORTS = [11019, 1790, 5000];
const EXTRA_BGP_PORT = 1179;
const TSHARK_ARGS = [
  ...BMP_PORTS.flatMap((p) => ["-d", `tcp.port==${p},bmp`]),
  ...["-d", `tcp.port==${EXTRA_BGP_PORT},bgp`],
];

/** The file that goes through the real bin/routewatch (with its BMP ports given explicitly). */
const CLI_FILE = "frr-bmp-ipv6-peer.pcapng";

interface Message {
  frame: number;
  ports: [number, number];
  view: View;
  /** tshark's tree of the message, to find fields nobody compared. */
  tree?: TObject;
}

function tsharkMessages(packets: TsharkPacket[]): Message[] {
  const out: Message[] = [];
  for (const p of packets) {
    const head: View = { ts: p.tsMicros, src: p.src, dst: p.dst };
    const ports: [number, number] = [p.srcPort, p.dstPort];
    for (const b of p.layers.objs("bgp")) {
      if (b.has("bgp.continuation")) continue;
      out.push({ frame: p.frame, ports, view: { ...head, ...bgpView(b) }, tree: b });
    }
    for (const b of p.layers.objs("bmp"))
      out.push({ frame: p.frame, ports, view: { ...head, ...bmpView(b) }, tree: b });
  }
  return out;
}

interface Counts {
  leaves: number;
  /** Leaves compared per field ("UPDATE.attributes.communities", "ROUTE-MONITORING.peer.asn", ...). */
  fields: Record<string, number>;
}

/** Leaf-by-leaf differences ("path: routewatch X, tshark Y"); counts the leaves compared. */
function diff(ours: Json | undefined, theirs: Json | undefined, at: string, out: string[], n: Counts): void {
  if (Array.isArray(ours) && Array.isArray(theirs)) {
    if (ours.length !== theirs.length) {
      out.push(`${at}: routewatch ${JSON.stringify(ours)}, tshark ${JSON.stringify(theirs)}`);
      return;
    }
    ours.forEach((o, i) => diff(o, theirs[i], `${at}[${i}]`, out, n));
    return;
  }
  const isObj = (v: unknown): v is View => v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObj(ours) && isObj(theirs)) {
    for (const k of new Set([...Object.keys(ours), ...Object.keys(theirs)]))
      diff(ours[k], theirs[k], `${at}.${k}`, out, n);
    return;
  }
  n.leaves++;
  const field = at.replace(/^frame \d+ #\d+ /, "").replace(/\[\d+\]/g, "");
  n.fields[field] = (n.fields[field] ?? 0) + 1;
  if (JSON.stringify(ours) !== JSON.stringify(theirs))
    out.push(
      `${at}: routewatch ${JSON.stringify(ours) ?? "(absent)"}, tshark ${JSON.stringify(theirs) ?? "(absent)"}`,
    );
}

interface Comparison {
  messages: number;
  leaves: number;
  fields: Record<string, number>;
  /** Messages per type ("bgp UPDATE", "bmp ROUTE-MONITORING", ...). */
  types: Record<string, number>;
  /** tshark messages on a port routewatch is not told to read (and that it rightly did not print). */
  notDecoded: number;
  disagreements: string[];
  unreadTsharkFields: string[];
  /** routewatch's RFC 7606 findings, which tshark does not check (reported, not compared). */
  rfc7606: string[];
}

function compare(lines: Record<string, Json>[], theirs: Message[], skipPorts: number[]): Comparison {
  const c: Comparison = {
    messages: 0,
    leaves: 0,
    fields: {},
    types: {},
    notDecoded: 0,
    disagreements: [],
    unreadTsharkFields: [],
    rfc7606: [],
  };
  const ours = new Map<number, Record<string, Json>[]>();
  for (const l of lines) {
    if (typeof l.frame !== "number") throw new Error(`routewatch line without a frame: ${JSON.stringify(l)}`);
    ours.set(l.frame, [...(ours.get(l.frame) ?? []), l]);
    if (l.errors)
      c.rfc7606.push(`frame ${l.frame}: ${(l.errors as View[]).map((e) => e.message).join("; ")}`);
  }
  const byFrame = new Map<number, Message[]>();
  for (const m of theirs) {
    if (m.ports.some((p) => skipPorts.includes(p))) {
      c.notDecoded++;
      continue;
    }
    byFrame.set(m.frame, [...(byFrame.get(m.frame) ?? []), m]);
  }
  const n: Counts = { leaves: 0, fields: {} };
  for (const frame of new Set([...ours.keys(), ...byFrame.keys()])) {
    const o = ours.get(frame) ?? [];
    const t = byFrame.get(frame) ?? [];
    if (o.length !== t.length) {
      c.disagreements.push(
        `frame ${frame}: routewatch has ${o.length} messages (${o.map((l) => l.type).join(",")}), ` +
          `tshark ${t.length} (${t.map((m) => m.view.type).join(",")})`,
      );
      continue;
    }
    t.forEach((m, i) => {
      const mine = lineView(o[i]!);
      const before = c.disagreements.length;
      const found: string[] = [];
      diff(mine, m.view, `frame ${frame} #${i} ${m.view.type}`, found, n);
      c.disagreements.push(...found);
      if (c.disagreements.length === before) {
        c.messages++;
        const key = `${o[i]!.transport} ${m.view.type}`;
        c.types[key] = (c.types[key] ?? 0) + 1;
      }
      if (m.tree) c.unreadTsharkFields.push(...m.tree.unread(notCompared));
    });
  }
  c.leaves = n.leaves;
  c.fields = n.fields;
  c.unreadTsharkFields = [...new Set(c.unreadTsharkFields)];
  return c;
}

/**
 * Disagreements investigated and found to be routewatch's fault, listed exactly (file -> the
 * disagreement lines) so that a fix shows up here as a failure to update. None so far.
 */
const KNOWN_ROUTEWATCH_BUGS: Record<string, string[]> = {};

/**
 * Message counts per type as fixtures/README.md gives them (a third witness: the fixture scripts'
 * own summary). frr-bmp-ipv6-peer's BGP counts include its port 1179 session.
 */
const README_COUNTS: Record<string, Record<string, number>> = {
  "bird-addpath.pcapng": { "bgp OPEN": 6, "bgp UPDATE": 33, "bgp NOTIFICATION": 3, "bgp KEEPALIVE": 6 },
  "calico-bmp.pcapng": {
    ...{
      "bgp OPEN": 18,
      "bgp UPDATE": 30,
      "bgp NOTIFICATION": 9,
      "bgp KEEPALIVE": 83,
      "bgp ROUTE-REFRESH": 1,
    },
    ...{ "bmp INITIATION": 1, "bmp PEER-UP": 4, "bmp ROUTE-MONITORING": 28, "bmp STATISTICS-REPORT": 18 },
    "bmp PEER-DOWN": 7,
  },
  "exabgp-rich.pcapng": {
    ...{ "bgp OPEN": 8, "bgp UPDATE": 44, "bgp NOTIFICATION": 1, "bgp KEEPALIVE": 14 },
    "bgp ROUTE-REFRESH": 6,
  },
  "frr-bmp-ipv6-peer-1179-as-179.pcapng": {
    ...{ "bmp INITIATION": 1, "bmp PEER-UP": 3, "bmp ROUTE-MONITORING": 16, "bmp ROUTE-MIRRORING": 23 },
    ...{ "bmp STATISTICS-REPORT": 8, "bmp PEER-DOWN": 4 },
    ...{ "bgp OPEN": 6, "bgp UPDATE": 24, "bgp NOTIFICATION": 4, "bgp KEEPALIVE": 20 },
  },
  "gobgp-bmp-locrib.pcap": {
    ...{ "bmp INITIATION": 1, "bmp PEER-UP": 2, "bmp ROUTE-MONITORING": 23, "bmp STATISTICS-REPORT": 2 },
    ...{ "bmp PEER-DOWN": 1, "bmp TERMINATION": 1 },
    ...{ "bgp OPEN": 6, "bgp UPDATE": 25, "bgp NOTIFICATION": 3, "bgp KEEPALIVE": 4 },
  },
};

/** One line for the log: messages per type, leaves compared per group of fields. */
function summaryLine(c: Comparison): string {
  const groups: Record<string, number> = {};
  for (const [field, n] of Object.entries(c.fields)) {
    const parts = field
      .split(".")
      .slice(1)
      .filter((p) => p !== "bgp");
    const group = ["attributes", "capabilities", "peer", "stats", "tlvs"].includes(parts[0]!)
      ? `${parts[0]}`
      : ["announced", "withdrawn"].includes(parts[0]!)
        ? "prefixes"
        : ["ts", "src", "dst", "type"].includes(parts[0]!)
          ? "envelope"
          : "other";
    groups[group] = (groups[group] ?? 0) + n;
  }
  const list = (o: Record<string, number>): string =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
  return (
    `${c.messages} messages matched (${list(c.types)}); ${c.leaves} fields compared (${list(groups)})` +
    (c.notDecoded
      ? `; ${c.notDecoded} BGP messages on port ${EXTRA_BGP_PORT} not read (no --bgp-port)`
      : "") +
    (c.rfc7606.length ? `; routewatch RFC 7606 findings: ${c.rfc7606.join(" | ")}` : "")
  );
}

/** A deep copy of `lines` with `change` applied to the first line `pick` selects. */
function mutated(
  lines: Record<string, Json>[],
  pick: (l: Record<string, Json>) => boolean,
  change: (l: Record<string, Json>) => void,
): Record<string, Json>[] {
  const copy = structuredClone(lines);
  const line = copy.find(pick);
  if (!line) throw new Error("no line to mutate");
  change(line);
  return copy;
}

const captures = fixtureFiles(CAPTURES_DIR, /\.(pcap|pcapng)(\.gz|\.bz2)?$/);

describe("decode --format json agrees with tshark on every capture", () => {
  const results = new Map<string, Promise<{ lines: Record<string, Json>[]; theirs: Message[] }>>();
  let work = "";
  let rewritten: string;
  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  beforeAll(async () => {
    await tsharkVersion(); // fails (rather than skips) when tshark is missing
    work = tempDir();
    // routewatch reads BGP on port 179 only (it has no --bgp-port); frr-bmp-ipv6-peer has an iBGP
    // session on 1179. A copy with that session moved to 179 lets every one of its messages count.
    rewritten = path.join(work, "frr-bmp-ipv6-peer-1179-as-179.pcapng");
    fs.writeFileSync(
      rewritten,
      rewriteTcpPorts(fs.readFileSync(path.join(CAPTURES_DIR, CLI_FILE)), new Map([[EXTRA_BGP_PORT, 179]])),
    );
    for (const file of [...captures, rewritten]) {
      const name = path.basename(file);
      const decoded =
        name === CLI_FILE
          ? runCli([
              "decode",
              file,
              "--format",
              "json",
              ...BMP_PORTS.flatMap((p) => ["--bmp-port", String(p)]),
            ]).then((r) => {
              if (r.signal || (r.status !== 0 && r.status !== 1))
                throw new Error(`routewatch failed: ${r.stderr}`);
              return r.stdout;
            })
          : decodeInProcess(file, { bmpPorts: BMP_PORTS }).then((r) => r.text);
      results.set(
        name,
        Promise.all([decoded, tsharkPackets(file, TSHARK_ARGS)]).then(([text, packets]) => ({
          lines: jsonLines<Record<string, Json>>(text),
          theirs: tsharkMessages(packets),
        })),
      );
    }
    await Promise.all(results.values());
  });

  it("finds the captures fixtures/README.md describes", () => {
    expect(captures.map((f) => path.basename(f))).toEqual(
      expect.arrayContaining([
        "bird-addpath.pcapng",
        "calico-bmp.pcapng",
        "exabgp-rich.pcapng",
        "frr-bmp-ipv6-peer.pcapng",
        "gobgp-bmp-locrib.pcap",
      ]),
    );
  });

  it("the real bin/routewatch prints what decodeFile prints in-process", async () => {
    const file = path.join(CAPTURES_DIR, CLI_FILE);
    const inProcess = await decodeInProcess(file, { bmpPorts: BMP_PORTS });
    const { lines } = await results.get(CLI_FILE)!;
    expect(lines).toEqual(jsonLines(inProcess.text));
  });

  it("notices a changed field, a changed order, a missing message (the comparison can fail)", async () => {
    const { lines, theirs } = await results.get("exabgp-rich.pcapng")!;
    expect(compare(lines, theirs, []).disagreements).toEqual([]);
    const communities = mutated(
      lines,
      (l) => Array.isArray((l.attributes as View | undefined)?.communities),
      (l) => ((l.attributes as View).communities as string[]).reverse(),
    );
    expect(compare(communities, theirs, []).disagreements.join("\n")).toMatch(/attributes\.communities\[0\]/);
    const pathId = mutated(
      lines,
      (l) => Array.isArray(l.announced_path_ids),
      (l) => void (l.announced_path_ids as number[]).fill(99),
    );
    expect(compare(pathId, theirs, []).disagreements.join("\n")).toMatch(
      /announced\[0\]: routewatch ".* id 99"/,
    );
    const missing = lines.filter((l) => l.type !== "ROUTE-REFRESH");
    expect(compare(missing, theirs, []).disagreements.join("\n")).toMatch(/routewatch has 0 messages/);
    const bmp = await results.get("gobgp-bmp-locrib.pcap")!;
    const peerTs = mutated(
      bmp.lines,
      (l) => l.type === "ROUTE-MONITORING",
      (l) => void ((l.peer as View).asn = 1),
    );
    expect(compare(peerTs, bmp.theirs, []).disagreements).toEqual([
      expect.stringMatching(/ROUTE-MONITORING\.peer\.asn: routewatch 1, tshark \d+/),
    ]);
  });

  for (const file of [...captures.map((f) => path.basename(f)), "frr-bmp-ipv6-peer-1179-as-179.pcapng"]) {
    it(`${file}: every message, every field`, async () => {
      const { lines, theirs } = await results.get(file)!;
      const skipPorts = file === CLI_FILE ? [EXTRA_BGP_PORT] : [];
      const c = compare(lines, theirs, skipPorts);
      console.info(`${file}: ${summaryLine(c)}`);
      expect(c.disagreements).toEqual(KNOWN_ROUTEWATCH_BUGS[file] ?? []);
      expect(c.unreadTsharkFields, "tshark fields the test never compared").toEqual([]);
      // Nothing silently compared away: every message of both decoders was matched.
      expect(c.messages + c.notDecoded).toBe(theirs.length);
      expect(c.messages).toBe(lines.length);
      expect(c.messages).toBeGreaterThan(20);
      const readme = README_COUNTS[file];
      if (readme) expect(c.types).toEqual(readme);
      if (file === CLI_FILE) {
        // The BMP stream is all there; the BGP on port 179 plus the unread port 1179 session make
        // up the README's BGP counts.
        const all = README_COUNTS["frr-bmp-ipv6-peer-1179-as-179.pcapng"]!;
        const bmpOnly = (t: Record<string, number>): Record<string, number> =>
          Object.fromEntries(Object.entries(t).filter(([k]) => k.startsWith("bmp")));
        const bgpTotal = (t: Record<string, number>): number =>
          Object.entries(t).reduce((n, [k, v]) => n + (k.startsWith("bgp") ? v : 0), 0);
        expect(bmpOnly(c.types)).toEqual(bmpOnly(all));
        expect(bgpTotal(c.types) + c.notDecoded).toBe(bgpTotal(all));
      }
    });
  }
});
