/**
 * Files the Wireshark tools cannot write, built here from the vectors' packets: big-endian
 * pcap and pcapng, several sections and interfaces, Simple and obsolete Packet Blocks, other
 * block types, if_tsresol in powers of 10 and 2, IPv4 options, IPv6 extension headers, IP
 * fragments, sequence numbers that wrap. Each file is written out and read by tshark too.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packetsOf, pcapFile, pcapngFile, type NgBlock, type Packet } from "./build.js";
import {
  decode,
  frameOf,
  linesOf,
  messagesOf,
  problemsOf,
  tshark,
  withoutFrame,
  type TsharkView,
} from "./tshark.js";

const V = join(import.meta.dirname, "vectors");

/** Frames make.sh dropped, copied or swapped to derive a vector (vectors/manifest.tsv). */
function manifest(vector: string): number[] {
  const row = readFileSync(join(V, "manifest.tsv"), "utf8")
    .split("\n")
    .find((r) => r.startsWith(`${vector}\t`));
  return row!.split("\t")[3]!.split(",").map(Number);
}
const TMP = mkdtempSync(join(tmpdir(), "pcap-built-"));
let counter = 0;

async function withTshark(buf: Buffer, extra: string[] = []): Promise<TsharkView> {
  const file = join(TMP, `built-${counter++}.pcapng`);
  writeFileSync(file, buf);
  return tshark(file, extra);
}

const ether = packetsOf(join(V, "bgp-base.pcapng"));
const raw4 = packetsOf(join(V, "bgp-rawip.pcap"));
const raw6 = packetsOf(join(V, "bgp-seg6-raw.pcap"));
const bmpEther = packetsOf(join(V, "bmp-base.pcapng"));

/** Same split and frame times as tshark, and no problem. */
async function expectLikeTshark(
  buf: Buffer,
  checkTimes = true,
  tsharkArgs: string[] = [],
): Promise<TsharkView> {
  const view = await withTshark(buf, tsharkArgs);
  const events = decode(buf);
  expect(view.lines.length).toBeGreaterThan(0);
  expect(linesOf(events)).toEqual(view.lines);
  if (checkTimes)
    for (const m of messagesOf(events)) expect(m.tsMicros).toBe(view.frames.get(m.frame)!.tsMicros);
  expect(problemsOf(events)).toEqual([]);
  return view;
}

describe("file layouts", () => {
  it.concurrent("big-endian pcap, microseconds and nanoseconds", async () => {
    await expectLikeTshark(pcapFile(ether, { linkType: 1, bigEndian: true }));
    await expectLikeTshark(pcapFile(raw4, { linkType: 101, bigEndian: true, nanos: true }));
  });

  it.concurrent(
    "pcapng: sections in both byte orders, interfaces with their own link type and if_tsresol",
    async () => {
      const half = Math.floor(ether.length / 2);
      const buf = pcapngFile([
        {
          bigEndian: true,
          // 2^-20 s ticks (binary), and milliseconds
          interfaces: [
            { linkType: 1, tsresol: 0x80 | 20 },
            { linkType: 101, tsresol: 3 },
          ],
          blocks: ether
            .slice(0, half)
            .map((p, i): NgBlock =>
              i % 3 === 2
                ? { type: "epb", iface: 1, packet: raw4[i]! }
                : { type: "epb", iface: 0, packet: p },
            ),
        },
        {
          interfaces: [{ linkType: 228, tsresol: 9 }],
          blocks: raw4.slice(half).map((p): NgBlock => ({ type: "epb", iface: 0, packet: p })),
        },
        {
          bigEndian: true,
          interfaces: [{ linkType: 1 }],
          blocks: bmpEther.map((p): NgBlock => ({ type: "epb", iface: 0, packet: p })),
        },
      ]);
      const view = await expectLikeTshark(buf);
      expect(view.frames.size).toBe(ether.length + bmpEther.length);
    },
  );

  it.concurrent("pcapng: Simple and obsolete Packet Blocks among other block types", async () => {
    // Name Resolution Block with only its end record, and an Interface Statistics Block.
    const nrb: NgBlock = { type: "other", blockType: 4, body: Buffer.from([0, 0, 0, 0]) };
    const isb: NgBlock = { type: "other", blockType: 5, body: Buffer.alloc(12) };
    const blocks = ether.flatMap((p, i): NgBlock[] => {
      const packet: NgBlock =
        i % 3 === 0
          ? { type: "spb", packet: p }
          : i % 3 === 1
            ? { type: "pb", iface: 0, packet: p }
            : { type: "epb", iface: 0, packet: p };
      return i % 5 === 0 ? [nrb, packet, isb] : [packet];
    });
    // A Simple Packet Block carries no timestamp, so only the split is compared.
    const view = await expectLikeTshark(pcapngFile([{ interfaces: [{ linkType: 1 }], blocks }]), false);
    expect(view.frames.size).toBe(ether.length);
  });

  it.concurrent("an unsupported link type is reported once per interface", async () => {
    const buf = pcapngFile([
      {
        interfaces: [{ linkType: 1 }, { linkType: 105 }],
        blocks: ether.flatMap((p): NgBlock[] => [
          { type: "epb", iface: 0, packet: p },
          { type: "epb", iface: 1, packet: p },
        ]),
      },
    ]);
    const view = await withTshark(buf);
    const events = decode(buf);
    expect(linesOf(events)).toEqual(view.lines);
    expect(problemsOf(events).map((p) => [p.kind, p.frame])).toEqual([["unsupported-link", 2]]);
  });
});

// --- packet edits -------------------------------------------------------------------------

/** IPv4 header with 4 bytes of options (3 NOPs and an End of Options List, RFC 791). */
function withIpv4Options(pkt: Buffer): Buffer {
  const ihl = (pkt[0]! & 0x0f) * 4;
  const out = Buffer.concat([pkt.subarray(0, ihl), Buffer.from([1, 1, 1, 0]), pkt.subarray(ihl)]);
  out[0] = 0x40 | ((ihl + 4) / 4);
  out.writeUInt16BE(pkt.readUInt16BE(2) + 4, 2);
  return out;
}

/** IPv6 packet with a Hop-by-Hop and a Destination Options header (PadN each) before TCP. */
function withIpv6Extensions(pkt: Buffer): Buffer {
  const next = pkt[6]!;
  const hopByHop = Buffer.from([60, 0, 1, 4, 0, 0, 0, 0]);
  const destination = Buffer.from([next, 0, 1, 4, 0, 0, 0, 0]);
  const out = Buffer.concat([pkt.subarray(0, 40), hopByHop, destination, pkt.subarray(40)]);
  out[6] = 0;
  out.writeUInt16BE(pkt.readUInt16BE(4) + 16, 4);
  return out;
}

/** Two IPv4 fragments of a packet, cut `at` bytes (a multiple of 8) into the payload. */
function ipv4Fragments(pkt: Buffer, at: number): [Buffer, Buffer] {
  const ihl = (pkt[0]! & 0x0f) * 4;
  const head = Buffer.concat([pkt.subarray(0, ihl), pkt.subarray(ihl, ihl + at)]);
  head.writeUInt16BE(head.length, 2);
  head.writeUInt16BE(0x2000, 6); // More Fragments
  const tail = Buffer.concat([pkt.subarray(0, ihl), pkt.subarray(ihl + at)]);
  tail.writeUInt16BE(tail.length, 2);
  tail.writeUInt16BE(at / 8, 6);
  return [head, tail];
}

/** Two IPv6 fragments (RFC 8200 4.5) of a packet, cut `at` bytes (a multiple of 8) into the payload. */
function ipv6Fragments(pkt: Buffer, at: number): [Buffer, Buffer] {
  const next = pkt[6]!;
  const fragment = (offset: number, more: boolean, part: Buffer): Buffer => {
    const h = Buffer.alloc(8);
    h[0] = next;
    h.writeUInt16BE(offset | (more ? 1 : 0), 2);
    h.writeUInt32BE(0x1234, 4);
    const out = Buffer.concat([pkt.subarray(0, 40), h, part]);
    out[6] = 44;
    out.writeUInt16BE(8 + part.length, 4);
    return out;
  };
  return [fragment(0, true, pkt.subarray(40, 40 + at)), fragment(at, false, pkt.subarray(40 + at))];
}

/** Adds `delta(sender)` to the sequence number and the peer's delta to the acknowledgment (Ethernet + IPv4). */
function shiftSequence(
  pkt: Buffer,
  delta: (srcPort: number) => number,
  peerDelta: (srcPort: number) => number,
): Buffer {
  const out = Buffer.from(pkt);
  const tcp = 14 + (out[14]! & 0x0f) * 4;
  const port = out.readUInt16BE(tcp);
  out.writeUInt32BE((out.readUInt32BE(tcp + 4) + delta(port)) >>> 0, tcp + 4);
  if (out[tcp + 13]! & 0x10) out.writeUInt32BE((out.readUInt32BE(tcp + 8) + peerDelta(port)) >>> 0, tcp + 8);
  return out;
}

const hasPayload = (p: Packet, tcpOffset: number): boolean =>
  p.data.length > tcpOffset + (p.data[tcpOffset + 12]! >> 4) * 4;

describe("IP and TCP headers", () => {
  it.concurrent("IPv4 options", async () => {
    await expectLikeTshark(
      pcapFile(
        raw4.map((p) => ({ ...p, data: withIpv4Options(p.data), origLen: undefined })),
        { linkType: 101 },
      ),
    );
  });

  it.concurrent("IPv6 hop-by-hop and destination options headers", async () => {
    await expectLikeTshark(
      pcapFile(
        raw6.map((p) => ({ ...p, data: withIpv6Extensions(p.data), origLen: undefined })),
        { linkType: 229 },
      ),
    );
  });

  it.concurrent.each([
    [
      "IPv4",
      raw4,
      101,
      ipv4Fragments,
      (p: Packet) => hasPayload(p, (p.data[0]! & 0x0f) * 4) && p.data.length > 90,
    ],
    ["IPv6", raw6, 229, ipv6Fragments, (p: Packet) => hasPayload(p, 40) && p.data.length > 100],
  ] as const)("%s fragments are reported, not reassembled", async (_name, packets, linkType, split, pick) => {
    const k = packets.findIndex((p, i) => i > 8 && pick(p));
    expect(k).toBeGreaterThan(0);
    const [a, b] = split(packets[k]!.data, 40);
    const edited = [
      ...packets.slice(0, k),
      { ...packets[k]!, data: a },
      { ...packets[k]!, data: b },
      ...packets.slice(k + 1),
    ];
    const buf = pcapFile(
      edited.map((p) => ({ ...p, origLen: undefined })),
      { linkType },
    );
    // tshark reassembles the fragments, so it finds the message(s) of that packet in the second fragment.
    const view = await withTshark(buf);
    const events = decode(buf, { maxBufferedPerStream: 0 });
    const fragmentFrames = [k + 1, k + 2];
    expect(
      problemsOf(events)
        .filter((p) => p.kind === "fragment")
        .map((p) => p.frame),
    ).toEqual(fragmentFrames);
    const gaps = problemsOf(events).filter((p) => p.kind === "gap");
    expect(gaps.length).toBe(1);
    expect(view.frames.get(k + 2)!.tcpLen).toBe(gaps[0]!.bytes);
    const lost = view.lines.filter((l) =>
      view.frames
        .get(frameOf(l))!
        .segments.concat(frameOf(l))
        .some((f) => fragmentFrames.includes(f)),
    );
    expect(lost.length).toBeGreaterThan(0);
    expect(linesOf(events)).toEqual(view.lines.filter((l) => !lost.includes(l)));
  });

  // In-order data crosses 2^32 by plain addition; what needs sequence arithmetic is a segment
  // compared with the expected number across the wrap: copies and reordering placed right there.
  it.concurrent.each([
    ["from the SYN", "bgp-base.pcapng", undefined, []],
    ["mid-stream, a copy across the wrap", "bgp-dup.pcapng", 0, []],
    // the late one of the swapped pair (it now comes second) holds the wrap, so the early one starts past 2^32
    [
      "mid-stream, reordering across the wrap",
      "bgp-ooo.pcapng",
      1,
      ["-o", "tcp.reassemble_out_of_order:TRUE"],
    ],
  ] as const)("sequence numbers that wrap around 2^32, %s", async (_name, vector, which, tsharkArgs) => {
    const packets = packetsOf(join(V, vector));
    const tcp = (p: Packet): number => 14 + (p.data[14]! & 0x0f) * 4;
    const seqOf = (p: Packet): number => p.data.readUInt32BE(tcp(p) + 4);
    const client = packets.find((p) => p.data.readUInt16BE(tcp(p) + 2) === 179)!.data.readUInt16BE(34);
    const isClient = (p: Packet): boolean => p.data.readUInt16BE(tcp(p)) === client;
    const first = (mine: boolean): number => seqOf(packets.find((q) => isClient(q) === mine)!);
    // Where the wrap falls in the client's stream: inside the packet `which` after the first edited one, or 300 bytes in.
    const edited = which === undefined ? undefined : packets[manifest(vector)[0]! - 1 + which]!;
    const wrapAt = edited ? (seqOf(edited) - first(isClient(edited)) + 3) >>> 0 : 300;
    const sender = edited && !isClient(edited) ? "server" : "client";
    const clientDelta = ((sender === "client" ? 2 ** 32 - wrapAt : 2 ** 32 - 40) - first(true)) >>> 0;
    const serverDelta = ((sender === "server" ? 2 ** 32 - wrapAt : 2 ** 32 - 5) - first(false)) >>> 0;
    const delta = (port: number): number => (port === client ? clientDelta : serverDelta);
    const peer = (port: number): number => (port === client ? serverDelta : clientDelta);
    const wrapped = packets.map((p) => ({ ...p, data: shiftSequence(p.data, delta, peer) }));
    if (edited) {
      const at = packets.indexOf(edited);
      const seq = seqOf(wrapped[at]!);
      const len =
        wrapped[at]!.data.length - tcp(wrapped[at]!) - (wrapped[at]!.data[tcp(wrapped[at]!) + 12]! >> 4) * 4;
      expect(seq > 2 ** 32 - 10 && (seq + len) % 2 ** 32 < 1000, "the edited segment straddles 2^32").toBe(
        true,
      );
    }
    await expectLikeTshark(pcapFile(wrapped, { linkType: 1 }), true, [...tsharkArgs]);
  });

  it.concurrent("a capture that starts in the middle of a message skips to the next header", async () => {
    const seg = packetsOf(join(V, "bgp-seg.pcapng"));
    const full = await withTshark(pcapFile(seg, { linkType: 1 }));
    // Start the capture inside the first message that spans three or more segments.
    const spanning = [...full.frames.entries()].find(([, f]) => f.segments.length >= 3)!;
    const start = spanning[1].segments[1]!; // 1-based frame: drop everything before it
    const buf = pcapFile(seg.slice(start - 1), { linkType: 1 });
    const view = await withTshark(buf);
    const events = decode(buf);
    // tshark also looks for the marker when a stream does not start with one (packet-bgp.c).
    expect(linesOf(events)).toEqual(view.lines);
    const expected = full.lines.filter(
      (l) => frameOf(l) >= start && !full.frames.get(frameOf(l))!.segments.some((f) => f < start),
    );
    expect(linesOf(events).map(withoutFrame)).toEqual(expected.map(withoutFrame));
    const resync = problemsOf(events).filter((p) => p.kind === "resync");
    // Skipped: the captured tail of the cut message.
    const tail = spanning[1].segments
      .filter((f) => f >= start)
      .reduce((s, f) => s + full.frames.get(f)!.tcpLen, 0);
    expect(resync.map((p) => p.bytes)).toEqual([tail]);
  });
});
