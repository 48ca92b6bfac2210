/**
 * Vectors made from the golden captures with Wireshark's tools (vectors/make.sh): other file
 * formats, link types, re-cut segments, gaps, retransmissions, reordering, truncation. tshark's
 * reading of each vector is the reference.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readRecords } from "../../../../codec/pcap/index.js";
import {
  bytesSentBy,
  decodeFile,
  frameOf,
  linesOf,
  messagesOf,
  problemsOf,
  tshark,
  withoutFrame,
} from "./tshark.js";

const V = join(import.meta.dirname, "vectors");
const path = (name: string): string => join(V, name);

/** make.sh's record of what each derived vector dropped, copied or swapped. */
const manifest = new Map(
  readFileSync(path("manifest.tsv"), "utf8")
    .trim()
    .split("\n")
    .slice(1)
    .map((row) => {
      const [vector, source, op, frames] = row.split("\t");
      return [vector!, { source: source!, op: op!, frames: frames!.split(",").map(Number) }];
    }),
);

function firstRecord(name: string): { linkType: number; kind: string } {
  const first = readRecords(readFileSync(path(name))).next().value!;
  return { kind: first.kind, linkType: first.kind === "packet" ? first.linkType : -1 };
}

/** Vectors whose split must equal tshark's exactly, with no problem reported; link type as make.sh wrote it. */
const CLEAN: [string, number][] = [
  ["bgp-base.pcapng", 1],
  ["bmp-base.pcapng", 1],
  ["bgp-usec.pcap", 1],
  ["bgp-nsec.pcap", 1],
  ["bmp-usec.pcap", 1],
  ["multi-section.pcapng", 1],
  ["bgp-rawip.pcap", 101],
  ["bgp-ipv4.pcapng", 228],
  ["bgp-null.pcap", 0],
  ["bgp-loop.pcap", 108],
  ["bmp-sll.pcap", 113],
  ["bmp-sll2.pcapng", 276],
  ["bgp-vlan.pcapng", 1],
  ["bgp-qinq.pcap", 1],
  ["bgp-seg.pcapng", 1],
  ["bmp-seg.pcapng", 1],
  ["bgp-seg6.pcapng", 1],
  ["bgp-seg6-raw.pcap", 229],
];

describe("formats and link types: the same split and times as tshark", () => {
  it.concurrent.each(CLEAN)("%s (link type %i)", async (name, linkType) => {
    expect(firstRecord(name)).toEqual({ kind: "packet", linkType });
    const view = await tshark(path(name));
    const events = decodeFile(path(name));
    expect(view.lines.length).toBeGreaterThan(0);
    expect(linesOf(events)).toEqual(view.lines);
    for (const m of messagesOf(events)) expect(m.tsMicros).toBe(view.frames.get(m.frame)!.tsMicros);
    expect(problemsOf(events)).toEqual([]);
  });

  it.concurrent("re-cut streams really put messages across segments", async () => {
    for (const name of ["bgp-seg.pcapng", "bmp-seg.pcapng", "bgp-seg6.pcapng"]) {
      const view = await tshark(path(name));
      const spanning = [...view.frames.values()].filter((f) => f.segments.length >= 3);
      expect(spanning.length, name).toBeGreaterThan(3);
    }
  });

  it.concurrent("multi-section.pcapng is both base captures one after the other", async () => {
    const [bgp, bmp] = await Promise.all([tshark(path("bgp-base.pcapng")), tshark(path("bmp-base.pcapng"))]);
    const frames = bgp.frames.size;
    const shifted = bmp.lines.map((l) => `${frameOf(l) + frames} ${withoutFrame(l)}`);
    expect(linesOf(decodeFile(path("multi-section.pcapng")))).toEqual([...bgp.lines, ...shifted]);
  });
});

describe("retransmissions and reordering", () => {
  it.concurrent("bgp-dup.pcapng: copied segments are trimmed, not delivered twice", async () => {
    const { frames } = manifest.get("bgp-dup.pcapng")!;
    const [view, source] = await Promise.all([
      tshark(path("bgp-dup.pcapng")),
      tshark(path("bgp-seg.pcapng")),
    ]);
    const events = decodeFile(path("bgp-dup.pcapng"));
    expect(view.frames.size).toBe(source.frames.size + frames.length);
    expect(linesOf(events)).toEqual(view.lines);
    expect(linesOf(events).map(withoutFrame)).toEqual(source.lines.map(withoutFrame));
    expect(problemsOf(events)).toEqual([]);
  });

  it.concurrent.each(["bgp-ooo.pcapng", "bmp-ooo.pcapng"])(
    "%s: a held segment completes when the hole fills",
    async (name) => {
      const { source } = manifest.get(name)!;
      // tshark reassembles out-of-order segments only when asked to.
      const [view, original] = await Promise.all([
        tshark(path(name), ["-o", "tcp.reassemble_out_of_order:TRUE"]),
        tshark(path(source)),
      ]);
      const events = decodeFile(path(name));
      expect(linesOf(events)).toEqual(view.lines);
      expect(linesOf(events).map(withoutFrame)).toEqual(original.lines.map(withoutFrame));
      expect(problemsOf(events)).toEqual([]);
    },
  );
});

describe("gaps: a missing segment is reported, never papered over", () => {
  it.concurrent.each(["bgp-gap.pcapng", "bmp-gap.pcapng"])("%s", async (name) => {
    const { source, frames } = manifest.get(name)!;
    const [view, original] = await Promise.all([tshark(path(name)), tshark(path(source))]);
    const dropped = original.frames.get(frames[0]!)!;

    // With no out-of-order budget the hole is given up at once, which is what tshark does by default.
    const eager = decodeFile(path(name), { maxBufferedPerStream: 0 });
    expect(linesOf(eager)).toEqual(view.lines);
    const gaps = problemsOf(eager).filter((p) => p.kind === "gap");
    expect(gaps.map((g) => g.bytes)).toEqual([dropped.tcpLen]);
    // The next segment is the one that shows the hole.
    expect(gaps[0]!.frame).toBe(frames[0]);
    // The message the missing bytes belonged to is lost: fewer messages than the source had.
    expect(view.lines.length).toBeLessThan(original.lines.length);

    // By default the segments after the hole wait for it; the same messages come out, later or at the same frame.
    const patient = decodeFile(path(name));
    const ours = linesOf(patient);
    expect(ours.map(withoutFrame)).toEqual(view.lines.map(withoutFrame));
    ours.forEach((line, i) => expect(frameOf(line)).toBeGreaterThanOrEqual(frameOf(view.lines[i]!)));
    expect(
      problemsOf(patient)
        .filter((p) => p.kind === "gap")
        .map((g) => g.bytes),
    ).toEqual([dropped.tcpLen]);
    // Every byte is accounted for: messages + skipped + held at the end + missing = what the source carried.
    const gap = gaps[0]!;
    const inStream = (e: { stream?: number }): boolean => e.stream === gap.stream;
    const framed = messagesOf(patient)
      .filter(inStream)
      .reduce((sum, m) => sum + m.bytes.length, 0);
    const reported = problemsOf(patient)
      .filter(inStream)
      .reduce((sum, p) => sum + (p.bytes ?? 0), 0);
    expect(framed + reported).toBe(bytesSentBy(original, `${gap.src}:${gap.srcPort}`));
  });

  it.concurrent("bgp-tail-gap.pcapng: a hole nothing follows leaves an incomplete message", async () => {
    const { source, frames } = manifest.get("bgp-tail-gap.pcapng")!;
    const [view, original] = await Promise.all([tshark(path("bgp-tail-gap.pcapng")), tshark(path(source))]);
    const events = decodeFile(path("bgp-tail-gap.pcapng"));
    expect(linesOf(events)).toEqual(view.lines);
    // The last message of the source was reassembled from these frames; without the dropped one it cannot complete.
    const last = original.frames.get(frameOf(original.lines.at(-1)!))!;
    expect(last.segments).toContain(frames[0]);
    const held = last.segments
      .filter((f) => f !== frames[0])
      .reduce((s, f) => s + original.frames.get(f)!.tcpLen, 0);
    expect(problemsOf(events).map((p) => [p.kind, p.bytes])).toEqual([["incomplete", held]]);
  });
});

describe("truncation", () => {
  it.concurrent(
    "bgp-snap.pcapng: packets cut by the snap length are reported, their messages not guessed",
    async () => {
      const [snap, base] = await Promise.all([
        tshark(path("bgp-snap.pcapng")),
        tshark(path("bgp-base.pcapng")),
      ]);
      const events = decodeFile(path("bgp-snap.pcapng"));
      const cut = [...snap.frames.entries()].filter(([, f]) => f.capLen < f.frameLen && f.tcpLen > 0);
      expect(cut.length).toBeGreaterThan(3);
      const problems = problemsOf(events);
      expect(problems.filter((p) => p.kind === "truncated-packet").map((p) => [p.frame, p.bytes])).toEqual(
        cut.map(([n, f]) => [n, f.frameLen - f.capLen]),
      );
      expect(problems.filter((p) => p.kind === "gap").map((p) => [p.frame, p.bytes])).toEqual(
        cut.map(([n, f]) => [n, f.frameLen - f.capLen]),
      );
      // What remains is every message whose bytes were all captured: all of an uncut frame's, and
      // the leading messages of a cut frame that fit in its captured payload (every message of
      // bgp-base sits in one frame).
      const captured = new Map(cut.map(([n, f]) => [n, f.capLen - (f.frameLen - f.tcpLen)]));
      const seen = new Map<number, number>();
      const expected = base.lines.filter((line) => {
        const n = frameOf(line);
        const index = seen.get(n) ?? 0;
        seen.set(n, index + 1);
        const room = captured.get(n);
        if (room === undefined) return true;
        const end = base.frames
          .get(n)!
          .lengths.slice(0, index + 1)
          .reduce((a, b) => a + b, 0);
        return end <= room;
      });
      expect(expected.length).toBeLessThan(base.lines.length);
      expect(linesOf(events)).toEqual(expected);
      expect(messagesOf(events).length).toBeGreaterThan(0);
    },
  );

  it.concurrent(
    "bgp-cut.pcap: a last record cut by the end of the file ends the reading with an event",
    async () => {
      const view = await tshark(path("bgp-cut.pcap"), [], true);
      const events = decodeFile(path("bgp-cut.pcap"));
      expect(linesOf(events)).toEqual(view.lines);
      const cut = events.findIndex((e) => e.kind === "truncated-file");
      expect(cut).toBeGreaterThan(0);
      // The event names the packet that is cut: the one after the last whole one tshark reads.
      expect(events[cut]!.frame).toBe(view.frames.size + 1);
      // Only what the end of the streams reveals may follow.
      expect(events.slice(cut + 1).every((e) => ["gap", "incomplete", "resync"].includes(e.kind))).toBe(true);
    },
  );
});
