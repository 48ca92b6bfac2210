import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { attr, encodeAttributes } from "../../../../codec/bgp/index.js";
import { CodecError } from "../../../../codec/errors.js";
import {
  decodeTableDump,
  decodeTableDumpAttributes,
  encodeMrtRecord,
  MRT_TABLE_DUMP,
  readMrt,
  type TableDumpEntry,
} from "../../../../codec/mrt/index.js";
import { bgpdump, bgpdumpAvailable, bgpdumpBlocks, bgpdumpHumanTime } from "../../../helpers/bgpdump.js";
import { rowsFromMrt } from "./bgpdump-rows.js";
import { tempDir } from "./files.js";
import { tableDumpV1 } from "./sample.js";

const TS = 1_100_000_000_000_000;
const attrs = encodeAttributes(
  [
    attr.origin("EGP"),
    attr.asPath([65001, 23456]),
    attr.nextHop("192.0.2.1"),
    attr.med(7),
    attr.localPref(300),
  ],
  { as4: false },
);
const records = [
  tableDumpV1(
    TS,
    {
      view: 3,
      sequence: 65535,
      prefix: "10.0.0.0/8",
      status: 1,
      originated: 1_000_000_000,
      peerIp: "192.0.2.9",
      peerAs: 65001,
    },
    attrs,
  ),
  tableDumpV1(
    TS,
    {
      view: 0,
      sequence: 7,
      prefix: "2001:db8::/32",
      status: 0,
      originated: 1_050_000_000,
      peerIp: "2001:db8::9",
      peerAs: 1,
    },
    attrs,
  ),
  tableDumpV1(
    TS + 1_000_000,
    {
      view: 0,
      sequence: 8,
      prefix: "0.0.0.0/0",
      status: 1,
      originated: 0,
      peerIp: "192.0.2.10",
      peerAs: 65535,
    },
    attrs,
  ),
];

function decodeOne(record: Buffer): TableDumpEntry | undefined {
  return decodeTableDump(readMrt(record).next()!);
}

function codecError(f: () => unknown): CodecError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CodecError);
    return e as CodecError;
  }
  throw new Error("expected a CodecError");
}

describe("TABLE_DUMP (v1)", () => {
  it.skipIf(!bgpdumpAvailable())(
    "view, sequence, prefix, peer, originated time and status agree with bgpdump -H",
    () => {
      const file = path.join(tempDir(), "v1.mrt");
      fs.writeFileSync(file, Buffer.concat(records));
      const theirs = bgpdumpBlocks(file).map((b) => {
        const get = (key: string): string => b.find(([k]) => k === key)![1];
        return {
          type: get("TYPE"),
          view: Number(get("VIEW")),
          sequence: Number(get("SEQUENCE")),
          prefix: get("PREFIX"),
          from: get("FROM"),
          originated: bgpdumpHumanTime(get("ORIGINATED")),
          status: Number(get("STATUS")),
        };
      });
      const ours = records.map((r) => {
        const d = decodeOne(r)!;
        return {
          type: d.afi === 1 ? "TABLE_DUMP/INET" : "TABLE_DUMP/INET6",
          view: d.view,
          sequence: d.sequence,
          prefix: d.prefix,
          from: `${d.peerIp} AS${d.peerAs}`,
          originated: d.originatedTimeSec,
          status: d.status,
        };
      });
      expect(ours).toEqual(theirs);
      // And the attributes (2-byte AS_PATH) agree with the -m rows.
      expect(rowsFromMrt(fs.readFileSync(file))).toEqual(bgpdump(file));
    },
  );

  it("decodes the attributes with 2-byte AS numbers", () => {
    const r = decodeTableDumpAttributes(decodeOne(records[0]!)!);
    expect(r.errors).toEqual([]);
    expect(r.attributes.find((a) => a.name === "AS_PATH")).toMatchObject({
      segments: [{ type: 2, asns: [65001, 23456] }],
    });
  });

  it("reports truncation and impossible prefix lengths, and skips other subtypes", () => {
    const body = records[1]!.subarray(12);
    for (let len = 0; len < body.length; len++) {
      const cut = encodeMrtRecord({
        tsMicros: TS,
        type: MRT_TABLE_DUMP,
        subtype: 2,
        body: body.subarray(0, len),
      });
      expect(codecError(() => decodeOne(cut)).kind).toBe("mrt.table-dump.truncated");
    }
    const long = Buffer.from(records[0]!.subarray(12));
    long[8] = 33; // the prefix length byte after view, sequence and the 4-byte prefix
    const err = codecError(() =>
      decodeOne(encodeMrtRecord({ tsMicros: TS, type: MRT_TABLE_DUMP, subtype: 1, body: long })),
    );
    expect(err.kind).toBe("mrt.table-dump.prefix");
    // Subtypes 3 and 4 (bgpdump's 4-byte AS variants) are not in RFC 6396.
    expect(
      decodeOne(encodeMrtRecord({ tsMicros: TS, type: MRT_TABLE_DUMP, subtype: 3, body: Buffer.alloc(40) })),
    ).toBeUndefined();
  });
});
