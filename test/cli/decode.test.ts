/**
 * `routewatch decode` as an operator runs it: the real bin/routewatch, spawned, judged by its
 * stdout, stderr and exit code (README "Commands": 0 clean, 1 malformed records found, 2 the file
 * could not be read or the options are wrong).
 */
import { spawn } from "node:child_process";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rewriteTcpPorts } from "../helpers/capture-ports.js";
import {
  CAPTURES_DIR,
  cliCommand,
  decodeInProcess,
  jsonLines,
  MRT_DIR,
  REPO,
  runCli,
  tempDir,
  type CliResult,
} from "../helpers/routewatch.js";

type Line = Record<string, unknown>;

const capture = (name: string): string => path.join(CAPTURES_DIR, name);
const mrt = (name: string): string => path.join(MRT_DIR, name);

/** Each distinct command line runs once per test file (spawning node costs ~0.3 s). */
const runs = new Map<string, Promise<CliResult>>();
function cli(...args: string[]): Promise<CliResult> {
  const key = JSON.stringify(args);
  let r = runs.get(key);
  if (!r) runs.set(key, (r = runCli(["decode", ...args])));
  return r;
}

/** Offsets of the records of an MRT file (RFC 6396 2: 12-byte header whose last field is the length). */
function mrtRecords(buf: Buffer): { offset: number; length: number }[] {
  const out = [];
  for (let off = 0; off + 12 <= buf.length;) {
    const length = 12 + buf.readUInt32BE(off + 8);
    out.push({ offset: off, length });
    off += length;
  }
  return out;
}

/** Offsets of the blocks of a little-endian pcapng file (type, total length, body, total length). */
function pcapngBlocks(buf: Buffer): { offset: number; length: number; type: number }[] {
  const out = [];
  for (let off = 0; off + 12 <= buf.length;) {
    const length = buf.readUInt32LE(off + 4);
    out.push({ offset: off, length, type: buf.readUInt32LE(off) });
    off += length;
  }
  return out;
}

/** What `--summary` should say, counted over the JSON lines of the same file. */
function countLines(lines: Line[]): Record<string, number> {
  const sum = (f: (l: Line) => number): number => lines.reduce((n, l) => n + f(l), 0);
  const isUpdate = (l: Line): boolean => Array.isArray(l.announced) && l.type !== "RIB";
  return {
    messages: sum((l) => (l.type === "STATE" || l.type === "RIB" ? 0 : 1)),
    updates: sum((l) => (isUpdate(l) ? 1 : 0)),
    announced: sum((l) => (Array.isArray(l.announced) ? l.announced.length : 0)),
    withdrawn: sum((l) => (Array.isArray(l.withdrawn) ? l.withdrawn.length : 0)),
    errors: sum((l) => (Array.isArray(l.errors) ? l.errors.length : 0) + (l.error ? 1 : 0)),
    rib_entries: sum((l) => (l.type === "RIB" ? 1 : 0)),
    state_changes: sum((l) => (l.type === "STATE" ? 1 : 0)),
  };
}

const work = tempDir();
const gen = path.join(work, "gen.mrt");
const notes = path.join(work, "notes.txt");
const missing = path.join(work, "missing.pcapng");
const gzCapture = path.join(work, "calico-bmp.pcapng.gz");
/** calico-bmp.pcapng's BMP (port 11019, a default) moved to 4711, read as BMP only when told. */
const moved = path.join(work, "calico-bmp-on-4711.pcapng");
const SUMMARY_FILES: [string, string][] = [
  ["a capture with BMP and malformed attributes", capture("gobgp-bmp-locrib.pcap")],
  ["an MRT update dump with state changes", mrt("frr-all.mrt")],
];
/**
 * Plain file, compressed twin (through the CLI). The bgpdump golden test compares every compressed
 * MRT fixture with its plain twin too.
 */
const COMPRESSED_PAIRS: [string, string][] = [
  [mrt("gobgp-updates.mrt"), mrt("gobgp-updates.mrt.bz2")],
  [capture("calico-bmp.pcapng"), gzCapture],
];

const mrtCut = (() => {
  const full = mrt("bird-bgp4mp.mrt");
  const records = mrtRecords(fs.readFileSync(full));
  return { full, records: records.length, at: records[10]!, file: path.join(work, "cut.mrt") };
})();

const captureCut = (() => {
  const full = capture("calico-bmp.pcapng");
  // The Enhanced Packet Block (type 6) in the middle of the file; frames are numbered from 1.
  const packets = pcapngBlocks(fs.readFileSync(full)).filter((b) => b.type === 6);
  const block = packets[Math.floor(packets.length / 2)]!;
  return { full, block, wholeFrames: packets.indexOf(block), file: path.join(work, "cut.pcapng") };
})();

describe("routewatch decode, as an operator runs it", () => {
  afterAll(async () => {
    await Promise.allSettled(runs.values()); // nothing may still be reading the files
    fs.rmSync(work, { recursive: true, force: true });
  });
  beforeAll(() => {
    execFileSync("python3", [path.join(REPO, "bench/gen_mrt.py"), gen, "--updates", "3000"]);
    fs.writeFileSync(notes, "these are notes, not a capture\n".repeat(10));
    fs.writeFileSync(gzCapture, zlib.gzipSync(fs.readFileSync(capture("calico-bmp.pcapng"))));
    fs.writeFileSync(
      moved,
      rewriteTcpPorts(fs.readFileSync(capture("calico-bmp.pcapng")), new Map([[11019, 4711]])),
    );
    const m = fs.readFileSync(mrtCut.full);
    fs.writeFileSync(mrtCut.file, m.subarray(0, mrtCut.at.offset + Math.floor(mrtCut.at.length / 2)));
    const c = fs.readFileSync(captureCut.full);
    fs.writeFileSync(
      captureCut.file,
      c.subarray(0, captureCut.block.offset + Math.floor(captureCut.block.length / 2)),
    );
    // Every run starts now (a few at a time) and the tests below wait for theirs.
    for (const [, f] of SUMMARY_FILES) void cli(f, "--summary");
    for (const [, packed] of COMPRESSED_PAIRS) void cli(packed);
    void cli(capture("calico-bmp.pcapng"));
    for (const f of [notes, missing, mrtCut.file, captureCut.file, moved]) void cli(f);
    void cli(mrt("bird-bgp4mp.mrt"), "--format", "bogus");
    void cli(capture("calico-bmp.pcapng"), "--format", "text");
    void cli(moved, "--bmp-port", "4711");
  });

  it.each(SUMMARY_FILES)("--summary counts what the JSON lines hold: %s", async (_, file) => {
    // The JSON lines in-process (decode-vs-tshark shows they are what the CLI prints); each spawn
    // of bin/routewatch costs over a second of CPU at the moment.
    const [json, summary] = await Promise.all([decodeInProcess(file), cli(file, "--summary")]);
    const lines = jsonLines(json.text);
    expect(lines.length).toBeGreaterThan(0);
    const s = JSON.parse(summary.stdout) as Record<string, number>;
    expect(summary.stdout.trim().split("\n")).toHaveLength(1);
    const { warnings, ...counted } = s;
    expect(typeof warnings).toBe("number");
    expect(counted).toEqual(countLines(lines));
    // README: exit 1 when malformed records were found (counted), else 0.
    expect(summary.status).toBe(counted.errors! > 0 ? 1 : 0);
  });

  it("--summary counts table dump entries as rib_entries and announced (in-process: same code)", async () => {
    const file = mrt("bird-table-v2-addpath.mrt");
    const [json, summary] = await Promise.all([
      decodeInProcess(file),
      decodeInProcess(file, { summary: true }),
    ]);
    const { warnings, ...counted } = JSON.parse(summary.text) as Record<string, number>;
    expect(warnings).toBe(0);
    expect(counted).toEqual(countLines(jsonLines(json.text)));
    expect(counted.rib_entries).toBeGreaterThan(0);
  });

  it("gzip and bzip2 files give the same output as the plain file", async () => {
    for (const [plain, packed] of COMPRESSED_PAIRS) {
      const [a, b] = await Promise.all([decodeInProcess(plain), cli(packed)]);
      expect(a.text.length, plain).toBeGreaterThan(1000);
      expect(b.stdout, packed).toBe(a.text);
      expect([b.status, b.stderr], packed).toEqual([0, ""]);
    }
  });

  it("a file of no known format: exit 2, and stderr names the file, offset 0 and what was expected", async () => {
    const file = notes;
    const r = await cli(file);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain("offset 0");
    expect(r.stderr).toMatch(/expected pcap, pcapng, MRT/);
  });

  it("a file that does not exist: exit 2, and stderr names it", async () => {
    const file = missing;
    const r = await cli(file);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(file);
  });

  it("--format bogus: exit 2, and stderr says what --format takes", async () => {
    const r = await cli(mrt("bird-bgp4mp.mrt"), "--format", "bogus");
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/--format.*json.*text/);
  });

  describe("an MRT file cut in the middle of a record", () => {
    const { full, records, at: cutAt, file: cut } = mrtCut;

    it("prints the records before the cut, names the offset on stderr, exits 1", async () => {
      // The whole file's output, in-process (decode-vs-tshark shows it is what the CLI prints).
      const [whole, r] = await Promise.all([
        decodeInProcess(full).then((d) => ({ stdout: d.text })),
        cli(cut),
      ]);
      // bird-bgp4mp.mrt holds BGP4MP records only: one line each.
      expect(jsonLines(whole.stdout)).toHaveLength(records);
      expect(r.stdout).toBe(whole.stdout.split("\n").slice(0, 10).join("\n") + "\n");
      expect(r.stderr).toContain(`offset ${cutAt.offset}`);
      expect(r.status).toBe(1);
    });

    // The word an operator greps for, besides the offset and what was expected.
    it("says on stderr that the record is truncated", async () => {
      expect((await cli(cut)).stderr).toMatch(/truncated/i);
    });
  });

  describe("a capture cut in the middle of a packet", () => {
    const { full, block: cutBlock, wholeFrames, file: cut } = captureCut;

    it("prints the messages of the whole packets, names the frame and offset on stderr, exits 1", async () => {
      const [whole, r] = await Promise.all([cli(full), cli(cut)]);
      const before = jsonLines(whole.stdout).filter((l) => (l.frame as number) <= wholeFrames);
      expect(before.length).toBeGreaterThan(50);
      expect(jsonLines(r.stdout)).toEqual(before);
      expect(r.stderr).toContain(`offset ${cutBlock.offset}`);
      expect(r.status).toBe(1);
    });

    it("says on stderr that the capture is truncated", async () => {
      expect((await cli(cut)).stderr).toMatch(/truncated/i);
    });

    // The cut block is the packet after the last whole one tshark reads ("appears to have been cut
    // short in the middle of a packet").
    it("names the frame that is cut (not the last whole one)", async () => {
      expect((await cli(cut)).stderr).toMatch(
        new RegExp(`frame ${wholeFrames + 1}\\b|after frame ${wholeFrames}\\b`),
      );
    });
  });

  // README: problems such as "a malformed attribute" are "reported on stderr with the offset or
  // frame and what was expected". gobgp-bmp-locrib.pcap has three Loc-RIB routes without AS_PATH
  // (RFC 7606 treat-as-withdraw, shown in the JSON `errors`).
  it("exit 1 for malformed attributes comes with their frames on stderr", async () => {
    const r = await cli(capture("gobgp-bmp-locrib.pcap"));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/frame 58.*AS_PATH/);
  });

  it("a reader that goes away after the first line (| head -1) ends the decode quietly", async () => {
    const [cmd, args] = cliCommand(["decode", gen]);
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let first = "";
    child.stdout.on("data", (d: Buffer) => {
      first += d.toString();
      if (first.includes("\n")) child.stdout.destroy();
    });
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on("close", (c, s) => resolve([c, s])),
    );
    expect(JSON.parse(first.slice(0, first.indexOf("\n")))).toMatchObject({ type: "UPDATE" });
    // The file is 3 MB of JSON: far more than a pipe holds, so the writes after the close failed.
    expect([code, signal, stderr]).toEqual([0, null, ""]);
  });

  it("--format text prints one line per route of an UPDATE with three prefixes", async () => {
    const file = capture("calico-bmp.pcapng");
    const [json, text] = await Promise.all([cli(file), cli(file, "--format", "text")]);
    const update = jsonLines(json.stdout).find(
      (l) => l.type === "UPDATE" && (l.announced as string[]).length === 3,
    )!;
    expect(update).toBeDefined();
    const lines = text.stdout
      .split("\n")
      .filter((l) => l.startsWith(`${update.ts as string}|BGP|A|${update.src as string}|`));
    expect(lines.map((l) => l.split("|")[5])).toEqual(update.announced);
    // The rest of each line is the same: the UPDATE's attributes.
    expect(new Set(lines.map((l) => l.split("|").slice(6).join("|"))).size).toBe(1);
  });

  describe("--bmp-port", () => {
    it("without it, BMP on port 4711 is not decoded (the BGP sessions still are)", async () => {
      const [original, r] = await Promise.all([cli(capture("calico-bmp.pcapng")), cli(moved)]);
      const bgp = jsonLines(original.stdout).filter((l) => l.transport === "bgp");
      expect(jsonLines(r.stdout)).toEqual(bgp);
      // fixtures/README.md: INITIATION 1, PEER-UP 4, ROUTE-MONITORING 28, STATISTICS 18, PEER-DOWN 7.
      expect(jsonLines(original.stdout).length - bgp.length).toBe(58);
    });

    it("with --bmp-port 4711 the output is the original capture's", async () => {
      const [original, r] = await Promise.all([
        cli(capture("calico-bmp.pcapng")),
        cli(moved, "--bmp-port", "4711"),
      ]);
      expect(r.stdout).toBe(original.stdout);
      expect(r.status).toBe(0);
    });
  });
});
