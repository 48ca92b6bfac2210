/** Property tests: writer -> reader round trips, and arbitrary bytes end only in CodecError. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodecError } from "../../../../codec/errors.js";
import { ipToString, parseIp } from "../../../../codec/ip.js";
import {
  decodeBgp4mp,
  decodeMrtRecord,
  decodeRibAttributes,
  decodeTableDumpAttributes,
  decodeTableDumpV2,
  encodeBgp4mpMessage,
  encodeBgp4mpStateChange,
  encodePeerIndexTable,
  encodeRibEntries,
  readMrt,
  type Bgp4mpMessage,
  type Bgp4mpStateChange,
  type PeerIndexTable,
  type RibRecord,
} from "../../../../codec/mrt/index.js";
import { mrtFixtureFiles, readMrtFile } from "./files.js";
import { sampleRecords } from "./sample.js";

const address = (v6: boolean): fc.Arbitrary<string> =>
  fc.uint8Array({ minLength: v6 ? 16 : 4, maxLength: v6 ? 16 : 4 }).map((b) => ipToString(b, 0, b.length));
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const tsMicros = fc.integer({ min: 0, max: 0xffffffff * 1_000_000 + 999_999 });

/** A byte string shaped like a BGP message: marker, its own length, a type, anything after. */
const pdu = fc
  .tuple(fc.integer({ min: 1, max: 5 }), fc.uint8Array({ maxLength: 200 }))
  .map(([type, rest]) => {
    const out = Buffer.alloc(19 + rest.length, 0xff);
    out.writeUInt16BE(out.length, 16);
    out[18] = type;
    out.set(rest, 19);
    return out;
  });

const peering = fc.boolean().chain((v6) =>
  fc.record({
    tsMicros,
    extendedTimestamp: fc.boolean(),
    as4: fc.boolean(),
    ifIndex: u16,
    peerIp: address(v6),
    localIp: address(v6),
    asns: fc.tuple(u32, u32),
  }),
);

function asnsFor(as4: boolean, [a, b]: [number, number]): { peerAs: number; localAs: number } {
  return as4 ? { peerAs: a, localAs: b } : { peerAs: a & 0xffff, localAs: b & 0xffff };
}

function expectedTs(ts: number, et: boolean): number {
  return et ? ts : Math.floor(ts / 1_000_000) * 1_000_000;
}

function sameAddress(text: string, expected: string): void {
  expect(parseIp(text)!.equals(parseIp(expected)!)).toBe(true);
}

describe("writer -> reader round trip", () => {
  it("BGP4MP messages: every field back, and the same bytes when written again", () => {
    fc.assert(
      fc.property(peering, pdu, fc.boolean(), fc.boolean(), (p, bgp, addPath, local) => {
        const fields = { ...p, ...asnsFor(p.as4, p.asns), bgp, addPath, local };
        const bytes = encodeBgp4mpMessage(fields);
        const record = readMrt(bytes).next()!;
        expect(record.end).toBe(bytes.length);
        expect(record.tsMicros).toBe(expectedTs(p.tsMicros, p.extendedTimestamp));
        const d = decodeBgp4mp(record) as Bgp4mpMessage;
        expect([d.kind, d.peerAs, d.localAs, d.ifIndex, d.as4, d.addPath, d.local]).toEqual([
          "message",
          fields.peerAs,
          fields.localAs,
          p.ifIndex,
          p.as4,
          addPath,
          local,
        ]);
        sameAddress(d.peerIp, p.peerIp);
        sameAddress(d.localIp, p.localIp);
        expect(d.bgp.equals(bgp)).toBe(true);
        const again = encodeBgp4mpMessage({
          ...d,
          tsMicros: record.tsMicros,
          extendedTimestamp: p.extendedTimestamp,
          bgp: d.bgp,
          as4: d.as4,
          addPath: d.addPath,
        });
        expect(again.equals(bytes)).toBe(true);
      }),
    );
  });

  it("BGP4MP state changes", () => {
    fc.assert(
      fc.property(peering, u16, u16, (p, oldState, newState) => {
        const fields = { ...p, ...asnsFor(p.as4, p.asns), oldState, newState };
        const bytes = encodeBgp4mpStateChange(fields);
        const d = decodeBgp4mp(readMrt(bytes).next()!) as Bgp4mpStateChange;
        expect([d.kind, d.peerAs, d.localAs, d.ifIndex, d.oldState, d.newState]).toEqual([
          "state",
          fields.peerAs,
          fields.localAs,
          p.ifIndex,
          oldState,
          newState,
        ]);
        sameAddress(d.peerIp, p.peerIp);
        sameAddress(d.localIp, p.localIp);
      }),
    );
  });

  const peer = fc
    .boolean()
    .chain((v6) =>
      fc
        .record({ bgpId: address(false), address: address(v6), as4: fc.boolean(), asn: u32 })
        .map((x) => ({ ...x, asn: x.as4 ? x.asn : x.asn & 0xffff })),
    );

  it("PEER_INDEX_TABLE", () => {
    fc.assert(
      fc.property(
        tsMicros,
        address(false),
        fc.string({ maxLength: 40 }),
        fc.array(peer, { maxLength: 20 }),
        (ts, collector, viewName, peers) => {
          const bytes = encodePeerIndexTable({ tsMicros: ts, collectorBgpId: collector, viewName, peers });
          const d = decodeTableDumpV2(readMrt(bytes).next()!) as PeerIndexTable;
          expect(d.kind).toBe("peer-index");
          expect(d.collectorBgpId).toBe(collector);
          expect(d.viewName).toBe(viewName);
          expect(d.peers).toHaveLength(peers.length);
          d.peers.forEach((got, i) => {
            const want = peers[i]!;
            expect([got.bgpId, got.asn, got.as4, got.ipv6]).toEqual([
              want.bgpId,
              want.asn,
              want.as4,
              want.address.includes(":"),
            ]);
            sameAddress(got.address, want.address);
          });
          expect(encodePeerIndexTable({ tsMicros: ts, ...d }).equals(bytes)).toBe(true);
        },
      ),
    );
  });

  const prefix = fc.boolean().chain((v6) =>
    fc
      .tuple(
        fc.uint8Array({ minLength: v6 ? 16 : 4, maxLength: v6 ? 16 : 4 }),
        fc.integer({ min: 0, max: v6 ? 128 : 32 }),
      )
      .map(([b, len]) => {
        const masked = Buffer.alloc(b.length);
        for (let i = 0; i < b.length; i++) {
          const bits = Math.max(0, Math.min(8, len - 8 * i));
          masked[i] = b[i]! & ((0xff << (8 - bits)) & 0xff);
        }
        return `${ipToString(masked, 0, b.length)}/${len}`;
      }),
  );
  const ribEntry = fc.record({
    peerIndex: u16,
    originatedTimeSec: u32,
    pathId: u32,
    attributes: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  });

  it("RIB records, with and without ADD-PATH, unicast and multicast", () => {
    fc.assert(
      fc.property(
        tsMicros,
        u32,
        prefix,
        fc.constantFrom(1, 2),
        fc.boolean(),
        fc.array(ribEntry, { maxLength: 10 }),
        (ts, sequence, pfx, safi, addPath, entries) => {
          const bytes = encodeRibEntries({ tsMicros: ts, sequence, prefix: pfx, safi, addPath, entries });
          const d = decodeTableDumpV2(readMrt(bytes).next()!) as RibRecord;
          expect([d.kind, d.sequence, d.safi, d.addPath, d.afi]).toEqual([
            "rib",
            sequence,
            safi,
            addPath,
            pfx.includes(":") ? 2 : 1,
          ]);
          expect(d.prefix).toBe(pfx);
          expect(d.entries).toHaveLength(entries.length);
          d.entries.forEach((got, i) => {
            const want = entries[i]!;
            expect([got.peerIndex, got.originatedTimeSec, got.pathId]).toEqual([
              want.peerIndex,
              want.originatedTimeSec,
              addPath ? want.pathId : undefined,
            ]);
            expect(d.buf.subarray(got.attrs.start, got.attrs.end).equals(want.attributes)).toBe(true);
          });
        },
      ),
    );
  });
});

/** Reads every record and decodes everything in it, as replay would; per-record CodecErrors are fine. */
function decodeEverything(buf: Buffer): void {
  const reader = readMrt(buf);
  for (;;) {
    let record;
    try {
      record = reader.next();
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
      return;
    }
    if (!record) return;
    try {
      const d = decodeMrtRecord(record);
      if (d?.kind === "message") {
        const msg = d.decode();
        if (msg.type === "UPDATE") {
          msg.announced();
          msg.withdrawn();
          msg.attributes();
        }
      } else if (d?.kind === "rib") {
        for (const e of d.entries) decodeRibAttributes(d, e);
      } else if (d?.kind === "table-dump") {
        decodeTableDumpAttributes(d);
      }
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
    }
  }
}

describe("malformed input ends in CodecError only", () => {
  it("random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        decodeEverything(Buffer.from(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it("well-framed records of the types this codec reads, with random bodies", () => {
    const record = fc
      .tuple(
        u32,
        fc.constantFrom(12, 13, 16, 17),
        fc.integer({ min: 0, max: 13 }),
        fc.uint8Array({ maxLength: 120 }),
      )
      .map(([sec, type, subtype, body]) => {
        const out = Buffer.alloc(12 + body.length);
        out.writeUInt32BE(sec, 0);
        out.writeUInt16BE(type, 4);
        out.writeUInt16BE(subtype, 6);
        out.writeUInt32BE(body.length, 8);
        out.set(body, 12);
        return out;
      });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), (records) => {
        decodeEverything(Buffer.concat(records));
      }),
      { numRuns: 2000 },
    );
  });

  it("real files with bytes flipped and cut short", () => {
    const files = [Buffer.concat(sampleRecords()), ...mrtFixtureFiles().map(readMrtFile)];
    fc.assert(
      fc.property(
        fc.nat(files.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        (which, flips, cut) => {
          const buf = Buffer.from(files[which]!);
          for (const [at, value] of flips) buf[at % buf.length] = value;
          decodeEverything(buf.subarray(0, buf.length - (cut % 64)));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
