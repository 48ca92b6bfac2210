/**
 * Broken files: structural errors throw CodecError naming the offset; a file cut short and
 * broken packets are events. And timestamp units, checked against exact BigInt arithmetic.
 */
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CodecError } from "../../../../codec/errors.js";
import { decodeCapture, microsConverter } from "../../../../codec/pcap/index.js";
import { packetsOf, pcapFile, pcapngFile, type NgBlock } from "./build.js";
import { messagesOf, problemsOf } from "./tshark.js";

const V = join(import.meta.dirname, "vectors");
const ether = packetsOf(join(V, "bgp-base.pcapng"));
const raw4 = packetsOf(join(V, "bgp-rawip.pcap"));
const epbs = (n: number): NgBlock[] => ether.slice(0, n).map((p) => ({ type: "epb", iface: 0, packet: p }));
/** A pcapng of one section, one Ethernet interface and `n` packets: SHB 28 bytes, IDB 24, then EPBs. */
const small = (n = 3): Buffer => pcapngFile([{ interfaces: [{ linkType: 1 }], blocks: epbs(n) }]);
const SHB_LEN = 28;
const IDB_LEN = 24;

function codecError(buf: Buffer): CodecError {
  try {
    for (const _ of decodeCapture(buf)) void _;
  } catch (e) {
    if (e instanceof CodecError) return e;
    throw e;
  }
  throw new Error("no CodecError");
}

describe("file-level errors", () => {
  it.each([
    ["empty", Buffer.alloc(0), "pcap.magic", 0],
    ["not a capture", Buffer.from("GET / HTTP/1.1\r\n"), "pcap.magic", 0],
    ["pcap header cut", pcapFile([], { linkType: 1 }).subarray(0, 20), "pcap.truncated", 0],
  ])("%s", (_name, buf, kind, offset) => {
    const e = codecError(buf);
    expect([e.kind, e.offset]).toEqual([kind, offset]);
  });

  it("pcap major version other than 2", () => {
    const buf = pcapFile(raw4, { linkType: 101 });
    buf.writeUInt16LE(3, 4);
    expect([codecError(buf).kind, codecError(buf).offset]).toEqual(["pcap.version", 4]);
  });

  it("pcapng: bad byte-order magic, version, block lengths, interface, captured length, option", () => {
    const bom = small();
    bom.writeUInt32LE(0x11223344, 8);
    expect([codecError(bom).kind, codecError(bom).offset]).toEqual(["pcapng.byte-order", 8]);

    const version = small();
    version.writeUInt16LE(2, 12);
    expect([codecError(version).kind, codecError(version).offset]).toEqual(["pcapng.version", 12]);

    const odd = small();
    odd.writeUInt32LE(IDB_LEN + 2, SHB_LEN + 4);
    expect([codecError(odd).kind, codecError(odd).offset]).toEqual(["pcapng.block-length", SHB_LEN + 4]);

    const trailer = small();
    trailer.writeUInt32LE(999, SHB_LEN + IDB_LEN - 4);
    expect([codecError(trailer).kind, codecError(trailer).offset]).toEqual([
      "pcapng.block-length",
      SHB_LEN + IDB_LEN - 4,
    ]);

    const iface = pcapngFile([
      { interfaces: [{ linkType: 1 }], blocks: [{ type: "epb", iface: 1, packet: ether[0]! }] },
    ]);
    expect([codecError(iface).kind, codecError(iface).offset]).toEqual([
      "pcapng.interface",
      SHB_LEN + IDB_LEN + 8,
    ]);

    const capLen = small(1);
    capLen.writeUInt32LE(10_000, SHB_LEN + IDB_LEN + 8 + 12);
    expect([codecError(capLen).kind, codecError(capLen).offset]).toEqual([
      "pcapng.packet-length",
      SHB_LEN + IDB_LEN + 8 + 12,
    ]);

    // if_tsresol (code 9) claiming 200 bytes inside a 24-byte IDB
    const option = pcapngFile([{ interfaces: [{ linkType: 1, tsresol: 6 }], blocks: [] }]);
    option.writeUInt16LE(200, SHB_LEN + 16 + 2);
    expect([codecError(option).kind, codecError(option).offset]).toEqual(["pcapng.option", SHB_LEN + 16]);
  });

  it("a pcapng that does not start with a Section Header Block is not pcapng", () => {
    expect(codecError(small().subarray(SHB_LEN)).kind).toBe("pcap.magic");
  });
});

describe("files cut short: the packets before, then one event", () => {
  it.each([
    ["pcap, inside a record", pcapFile(raw4, { linkType: 101 }), 5],
    ["pcap, inside a record header", pcapFile(raw4, { linkType: 101 }), -(raw4.at(-1)!.data.length + 10)],
    ["pcapng, inside a block", small(ether.length), 7],
    ["pcapng, inside a block header", small(ether.length), -(ether.at(-1)!.data.length + 32 + 4 + 6)],
  ])("%s", (_name, full, cut) => {
    const events = [...decodeCapture(full.subarray(0, full.length - Math.abs(cut)))];
    const complete = [...decodeCapture(full)];
    const cutAt = events.findIndex((e) => e.kind === "truncated-file");
    expect(cutAt).toBeGreaterThan(0);
    expect(events.slice(cutAt + 1).every((e) => ["gap", "incomplete", "resync"].includes(e.kind))).toBe(true);
    // The event names the cut packet; everything the intact packets before it completed is there.
    const frames = events[cutAt]!.frame - 1;
    expect(messagesOf(events).map((m) => m.frame)).toEqual(
      messagesOf(complete)
        .filter((m) => m.frame <= frames)
        .map((m) => m.frame),
    );
  });
});

describe("broken packets are events", () => {
  const framed = (edit: (pkt: Buffer) => Buffer, opts: { snap?: number } = {}) =>
    problemsOf([
      ...decodeCapture(
        pcapFile(
          raw4.map((p, i) => {
            const data = i === 3 ? edit(Buffer.from(p.data)) : p.data;
            return {
              tsMicros: p.tsMicros,
              data: opts.snap && i === 3 ? data.subarray(0, opts.snap) : data,
              origLen: data.length,
            };
          }),
          { linkType: 101 },
        ),
      ),
    ]).filter((p) => p.frame === 4);

  it("IPv4 header length below 20", () => {
    expect(framed((p) => ((p[0] = 0x44), p)).map((p) => p.kind)).toEqual(["bad-packet"]);
  });
  it("IPv4 total length beyond the packet", () => {
    expect(framed((p) => (p.writeUInt16BE(p.length + 1, 2), p)).map((p) => p.kind)).toEqual(["bad-packet"]);
  });
  it("TCP data offset below 5 words", () => {
    expect(framed((p) => ((p[20 + 12] = 0x40), p)).map((p) => p.kind)).toEqual(["bad-packet"]);
  });
  it("headers cut by the snap length", () => {
    expect(framed((p) => p, { snap: 30 }).map((p) => [p.kind, p.message])).toEqual([
      ["truncated-packet", expect.stringMatching(/TCP header/)],
    ]);
  });
  it("IP version 5 in a raw IP packet is not IP: skipped", () => {
    expect(framed((p) => ((p[0] = 0x55), p))).toEqual([]);
  });
  it("an Ethernet header cut short", () => {
    const events = [
      ...decodeCapture(
        pcapFile([{ ...ether[0]!, data: ether[0]!.data.subarray(0, 10), origLen: ether[0]!.data.length }], {
          linkType: 1,
        }),
      ),
    ];
    expect(events.map((e) => e.kind)).toEqual(["truncated-packet"]);
  });
});

describe("timestamp units (if_tsresol)", () => {
  it("any 64-bit count in any resolution converts like exact integer arithmetic", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.oneof(fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0x80, max: 0x80 + 64 })),
        (units, tsresol) => {
          const exponent = BigInt(tsresol & 0x7f);
          const exact =
            tsresol & 0x80
              ? (units * 1_000_000n) >> exponent
              : exponent <= 6n
                ? units * 10n ** (6n - exponent)
                : units / 10n ** (exponent - 6n);
          // Microseconds since 1970 stay far below 2^53; beyond that a Number cannot be exact anyway.
          fc.pre(exact < 2n ** 53n);
          const micros = microsConverter(tsresol)(Number(units >> 32n), Number(units & 0xffffffffn));
          expect(micros).toBe(Number(exact));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

it("the base vectors are what the other tests build on", () => {
  expect(readFileSync(join(V, "bgp-rawip.pcap")).length).toBeGreaterThan(1000);
  expect(raw4.length).toBeGreaterThan(20);
});
