/**
 * The writer: records re-encoded from what the reader decoded are the daemons' bytes again, and
 * files written the way the recorder will write them read back in bgpdump with the fields written.
 */
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { attr, encodeUpdate } from "../../../../codec/bgp/index.js";
import {
  BGP4MP_MESSAGE_AS4,
  BGP4MP_MESSAGE_AS4_ADDPATH,
  BGP4MP_STATE_CHANGE_AS4,
  decodeMrtRecord,
  encodeBgp4mpMessage,
  encodeBgp4mpStateChange,
  encodeMrtRecord,
  encodePeerIndexTable,
  encodeRibEntries,
  MRT_BGP4MP_ET,
  readMrt,
  type MrtRecord,
} from "../../../../codec/mrt/index.js";
import {
  bgpdump,
  bgpdumpAvailable,
  bgpdumpCommunity,
  bgpdumpTime,
  type BgpdumpRow,
} from "../../../helpers/bgpdump.js";
import { mrtFixtureFiles, readMrtFile, tempDir } from "./files.js";
import { sampleRecords } from "./sample.js";

/** The record written again from its decoded fields; undefined for kinds the writer does not make. */
function reencode(record: MrtRecord): Buffer | undefined {
  const d = decodeMrtRecord(record);
  const tsMicros = record.tsMicros;
  const extendedTimestamp = record.type === MRT_BGP4MP_ET;
  switch (d?.kind) {
    case "message":
      return encodeBgp4mpMessage({
        tsMicros,
        extendedTimestamp,
        ...d,
        bgp: d.bgp,
        as4: d.as4,
        addPath: d.addPath,
      });
    case "state":
      if (d.afi === 0) return undefined; // the address-less short form is read, never written
      return encodeBgp4mpStateChange({
        tsMicros,
        extendedTimestamp,
        ...d,
        as4: d.subtype === BGP4MP_STATE_CHANGE_AS4,
      });
    case "peer-index":
      return encodePeerIndexTable({ tsMicros, ...d });
    case "rib":
      return encodeRibEntries({
        tsMicros,
        ...d,
        entries: d.entries.map((e) => ({ ...e, attributes: d.buf.subarray(e.attrs.start, e.attrs.end) })),
      });
    default:
      return undefined;
  }
}

describe("MRT writer", () => {
  const fixtures = mrtFixtureFiles();
  it.skipIf(fixtures.length === 0)(
    "re-encodes every BGP4MP and TABLE_DUMP_V2 record of the daemons' files byte for byte",
    () => {
      const kinds = new Set<string>();
      for (const file of fixtures) {
        const buf = readMrtFile(file);
        for (const record of readMrt(buf)) {
          const again = reencode(record);
          if (!again) continue;
          expect(again.toString("hex"), `${path.basename(file)} record at ${record.offset}`).toBe(
            buf.subarray(record.offset, record.end).toString("hex"),
          );
          kinds.add(`${record.type}/${record.subtype}`);
        }
      }
      // BIRD, FRR and GoBGP between them write these (see fixtures/make/mrt-*.sh).
      expect([...kinds]).toEqual(
        expect.arrayContaining(["16/1", "16/4", "16/5", "16/9", "13/1", "13/2", "13/4", "13/8"]),
      );
    },
  );

  it("re-encodes the sample file byte for byte (ET, 2-byte AS, *_LOCAL, IPv6 peering)", () => {
    for (const rec of sampleRecords()) {
      const [record] = [...readMrt(rec)];
      const again = reencode(record!);
      if (again) expect(again.toString("hex")).toBe(rec.toString("hex"));
    }
  });

  it("writes the ET microsecond field and counts it in the length (RFC 6396 3)", () => {
    const body = Buffer.from("abcd", "hex");
    const et = encodeMrtRecord({ tsMicros: 1_000_000_000_123_456, type: MRT_BGP4MP_ET, subtype: 4, body });
    expect(et.toString("hex")).toBe("3b9aca00" + "0011" + "0004" + "00000006" + "0001e240" + "abcd");
    const plain = encodeMrtRecord({ tsMicros: 1_000_000_000_123_456, type: 16, subtype: 4, body });
    expect(plain.toString("hex")).toBe("3b9aca00" + "0010" + "0004" + "00000002" + "abcd");
  });

  it("chooses the subtype from as4, addPath and local (RFC 6396 4.4, RFC 8050 3)", () => {
    const subtype = (as4: boolean, addPath: boolean, local: boolean): number =>
      encodeBgp4mpMessage({
        tsMicros: 0,
        peerAs: 1,
        localAs: 2,
        peerIp: "10.0.0.1",
        localIp: "10.0.0.2",
        bgp: Buffer.alloc(19, 0xff),
        as4,
        addPath,
        local,
      }).readUInt16BE(6);
    expect(subtype(false, false, false)).toBe(1); // MESSAGE
    expect(subtype(true, false, false)).toBe(4); // MESSAGE_AS4
    expect(subtype(false, false, true)).toBe(6); // MESSAGE_LOCAL
    expect(subtype(true, false, true)).toBe(7); // MESSAGE_AS4_LOCAL
    expect(subtype(false, true, false)).toBe(8); // MESSAGE_ADDPATH
    expect(subtype(true, true, false)).toBe(9); // MESSAGE_AS4_ADDPATH
    expect(subtype(false, true, true)).toBe(10); // MESSAGE_LOCAL_ADDPATH
    expect(subtype(true, true, true)).toBe(11); // MESSAGE_AS4_LOCAL_ADDPATH
  });

  it("refuses what the format cannot hold", () => {
    const base = {
      tsMicros: 0,
      peerAs: 1,
      localAs: 2,
      peerIp: "10.0.0.1",
      localIp: "10.0.0.2",
      bgp: Buffer.alloc(19),
    };
    expect(() => encodeBgp4mpMessage({ ...base, as4: false, peerAs: 70000 })).toThrow(/2-byte AS/);
    expect(() => encodeBgp4mpMessage({ ...base, localIp: "2001:db8::1" })).toThrow(/family/);
    expect(() => encodeBgp4mpMessage({ ...base, peerIp: "nope" })).toThrow(/not an IP address/);
    expect(() => encodeMrtRecord({ tsMicros: -1, type: 16, subtype: 1, body: Buffer.alloc(0) })).toThrow(
      /microseconds/,
    );
    expect(() =>
      encodeMrtRecord({ tsMicros: 2 ** 32 * 1e6, type: 16, subtype: 1, body: Buffer.alloc(0) }),
    ).toThrow(/32-bit/);
    expect(() =>
      encodeRibEntries({
        tsMicros: 0,
        sequence: 0,
        prefix: "10.0.0.0/8",
        addPath: true,
        entries: [{ peerIndex: 0, originatedTimeSec: 0, attributes: Buffer.alloc(0) }],
      }),
    ).toThrow(/path identifier/);
  });
});

// ---------------------------------------------------------------------------------------------
// What the recorder writes, checked against bgpdump: expected rows come from the generated inputs.

interface RecordedUpdate {
  kind: "update";
  tsMicros: number;
  peerIp: string;
  peerAs: number;
  addPath: boolean;
  prefixes: { prefix: string; pathId: number }[];
  withdraw: boolean;
  path: number[];
  med: number | undefined;
  localPref: number | undefined;
  communities: number[];
}

interface RecordedState {
  kind: "state";
  tsMicros: number;
  peerIp: string;
  peerAs: number;
  oldState: number;
  newState: number;
}

const ipv4 = fc
  .tuple(fc.integer({ min: 1, max: 223 }), fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 }))
  .map((b) => b.join("."));
const prefix = fc
  .tuple(fc.integer({ min: 1, max: 223 }), fc.nat(255), fc.nat(255), fc.integer({ min: 8, max: 32 }))
  .map(([a, b, c, len]) => {
    const n = ((a << 24) | (b << 16) | (c << 8)) >>> 0;
    const masked = len === 32 ? n : (n & ~((1 << (32 - len)) - 1)) >>> 0;
    return `${masked >>> 24}.${(masked >>> 16) & 255}.${(masked >>> 8) & 255}.${masked & 255}/${len}`;
  });
const ts = fc.integer({ min: 1_600_000_000_000_000, max: 1_900_000_000_000_000 });
const asn = fc.integer({ min: 1, max: 0xffffffff });

const recordedUpdate: fc.Arbitrary<RecordedUpdate> = fc.record({
  kind: fc.constant("update" as const),
  tsMicros: ts,
  peerIp: ipv4,
  peerAs: asn,
  addPath: fc.boolean(),
  prefixes: fc.uniqueArray(fc.record({ prefix, pathId: fc.nat() }), {
    minLength: 1,
    maxLength: 5,
    selector: (p) => p.prefix,
  }),
  withdraw: fc.boolean(),
  path: fc.array(asn, { minLength: 1, maxLength: 6 }),
  med: fc.option(fc.nat(), { nil: undefined }),
  localPref: fc.option(fc.nat(), { nil: undefined }),
  communities: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 4 }),
});

const recordedState: fc.Arbitrary<RecordedState> = fc.record({
  kind: fc.constant("state" as const),
  tsMicros: ts,
  peerIp: ipv4,
  peerAs: asn,
  oldState: fc.integer({ min: 1, max: 6 }),
  newState: fc.integer({ min: 1, max: 6 }),
});

function writeRecorded(x: RecordedUpdate | RecordedState): Buffer {
  const peering = {
    tsMicros: x.tsMicros,
    extendedTimestamp: true,
    peerAs: x.peerAs,
    localAs: 64512,
    peerIp: x.peerIp,
    localIp: "127.0.0.10",
  };
  if (x.kind === "state")
    return encodeBgp4mpStateChange({ ...peering, oldState: x.oldState, newState: x.newState });
  const opts = { as4: true, addPathAll: x.addPath };
  const nlri = x.prefixes.map((p) => (x.addPath ? p : { prefix: p.prefix }));
  const bgp = x.withdraw
    ? encodeUpdate({ withdrawn: nlri }, opts)
    : encodeUpdate(
        {
          nlri,
          attributes: [
            attr.origin("IGP"),
            attr.asPath(x.path),
            attr.nextHop(x.peerIp),
            ...(x.med === undefined ? [] : [attr.med(x.med)]),
            ...(x.localPref === undefined ? [] : [attr.localPref(x.localPref)]),
            ...(x.communities.length ? [attr.communities(x.communities)] : []),
          ],
        },
        opts,
      );
  return encodeBgp4mpMessage({ ...peering, bgp, addPath: x.addPath });
}

function expectedRows(x: RecordedUpdate | RecordedState): BgpdumpRow[] {
  const time = bgpdumpTime(x.tsMicros, true);
  if (x.kind === "state") {
    return [
      {
        kind: "state",
        format: "BGP4MP_ET",
        time,
        peerIp: x.peerIp,
        peerAs: x.peerAs,
        oldState: x.oldState,
        newState: x.newState,
      },
    ];
  }
  const format = x.addPath ? "BGP4MP_ET_AP" : "BGP4MP_ET";
  const head = { format, time, peerIp: x.peerIp, peerAs: x.peerAs };
  return x.prefixes.map((p): BgpdumpRow => {
    const pathId = x.addPath ? { pathId: p.pathId } : {};
    if (x.withdraw) return { kind: "withdraw", ...head, prefix: p.prefix, ...pathId };
    return {
      kind: "route",
      ...head,
      type: "A",
      prefix: p.prefix,
      ...pathId,
      asPath: x.path.join(" "),
      origin: "IGP",
      nextHop: x.peerIp,
      localPref: x.localPref ?? 0,
      med: x.med ?? 0,
      communities: x.communities.map(bgpdumpCommunity).join(" "),
      largeCommunities: "",
      atomicAggregate: false,
      aggregator: "",
    };
  });
}

describe.skipIf(!bgpdumpAvailable())("recorder-style files read back by bgpdump", () => {
  it("BGP4MP_ET MESSAGE_AS4(_ADDPATH) and STATE_CHANGE_AS4 records show the fields written", () => {
    const dir = tempDir();
    let n = 0;
    fc.assert(
      fc.property(
        fc.array(fc.oneof(recordedUpdate, recordedState), { minLength: 1, maxLength: 20 }),
        (batch) => {
          const file = path.join(dir, `rec-${n++}.mrt`);
          const records = batch.map(writeRecorded);
          fs.writeFileSync(file, Buffer.concat(records));
          expect(bgpdump(file)).toEqual(batch.flatMap(expectedRows));
          // And the subtypes are the ones the recorder is meant to write.
          const subtypes = records.map((r) => r.readUInt16BE(6));
          expect(
            subtypes.every((s) =>
              [BGP4MP_MESSAGE_AS4, BGP4MP_MESSAGE_AS4_ADDPATH, BGP4MP_STATE_CHANGE_AS4].includes(s),
            ),
          ).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });
});
