import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { decodeAttributes } from "../../../../codec/bgp/index.js";
import { CodecError } from "../../../../codec/errors.js";
import {
  decodeRibAttributes,
  decodeTableDumpV2,
  encodeMrtRecord,
  encodePeerIndexTable,
  encodeRibEntries,
  MRT_TABLE_DUMP_V2,
  readMrt,
  TDV2_RIB_GENERIC_ADDPATH,
  type MrtPeer,
  type PeerIndexTable,
  type RibRecord,
} from "../../../../codec/mrt/index.js";
import { bgpdumpAvailable, bgpdumpBlocks, bgpdumpHumanTime } from "../../../helpers/bgpdump.js";
import { withoutDanglingPeers } from "./bgpdump-rows.js";
import { mrtFixtureFiles, readMrtFile, tempDir } from "./files.js";
import { sampleRecords } from "./sample.js";

function decodeAll(buf: Buffer): (PeerIndexTable | RibRecord)[] {
  const out: (PeerIndexTable | RibRecord)[] = [];
  for (const r of readMrt(buf)) {
    const d = decodeTableDumpV2(r);
    if (d && d.kind !== "rib-generic") out.push(d);
  }
  return out;
}

function decodeOne(record: Buffer): ReturnType<typeof decodeTableDumpV2> {
  return decodeTableDumpV2(readMrt(record).next()!);
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

const birdTables = mrtFixtureFiles().filter((f) => /bird-table-v2/.test(f));

describe("TABLE_DUMP_V2 from the daemons (fixtures/mrt, made by fixtures/make/mrt-*.sh)", () => {
  it.skipIf(birdTables.length === 0)("PEER_INDEX_TABLE names the collector and the configured peers", () => {
    for (const file of birdTables) {
      const tables = decodeAll(readMrtFile(file)).filter((d): d is PeerIndexTable => d.kind === "peer-index");
      expect(tables.length).toBeGreaterThan(0);
      for (const t of tables) {
        // mrt-bird.sh: `router id 127.0.5.1`, `table "master*"`, neighbors .41/.42 (AS 64512), ExaBGP (AS 65045).
        expect(t.collectorBgpId).toBe("127.0.5.1");
        expect(["master4", "master6"]).toContain(t.viewName);
        const peers = t.peers.map((p: MrtPeer) => `${p.address} AS${p.asn}`);
        expect(peers).toEqual(
          expect.arrayContaining(["127.0.1.41 AS64512", "127.0.1.42 AS64512", "127.0.4.5 AS65045"]),
        );
        for (const p of t.peers) {
          expect(p.ipv6).toBe(p.address.includes(":"));
          expect(p.type & 1).toBe(p.ipv6 ? 1 : 0);
          expect(p.as4).toBe((p.type & 2) !== 0);
        }
      }
    }
  });

  it.skipIf(birdTables.length === 0)(
    "every RIB entry's attributes decode; BIRD's zero attribute flags are tolerated",
    () => {
      let entries = 0;
      for (const file of birdTables) {
        for (const d of decodeAll(readMrtFile(file))) {
          if (d.kind !== "rib") continue;
          for (const e of d.entries) {
            // BIRD 2.0.12 writes NEXT_HOP and LOCAL_PREF with flags 0: a plain decode flags them...
            const raw = decodeAttributes(
              d.buf,
              e.attrs.start,
              e.attrs.end,
              { as4: true },
              { mrtRibFamily: d },
            );
            expect(raw.errors.map((x) => x.kind).every((k) => k === "bgp.attr.flags")).toBe(true);
            // ...and decodeRibAttributes keeps the (well-formed) values without a treat-as-withdraw.
            const r = decodeRibAttributes(d, e);
            expect(r.errors).toEqual([]);
            expect(r.action).toBeUndefined();
            expect(r.attributes.map((a) => a.name)).toEqual(raw.attributes.map((a) => a.name));
            expect(r.attributes.map((a) => a.name)).toContain("AS_PATH");
            entries++;
          }
        }
      }
      expect(entries).toBeGreaterThan(0);
    },
  );

  it.skipIf(!bgpdumpAvailable())(
    "prefix, path id, sequence, peer and originated time of each RIB entry agree with bgpdump -H",
    () => {
      const dir = tempDir();
      const inputs: { name: string; buf: Buffer }[] = [
        { name: "sample.mrt", buf: Buffer.concat(sampleRecords()) },
      ];
      for (const file of mrtFixtureFiles()) {
        const buf = readMrtFile(file);
        // bgpdump aborts on entries naming peers past the table (GoBGP's own routes): leave those out.
        if (decodeAll(buf).some((d) => d.kind === "rib"))
          inputs.push({ name: path.basename(file), buf: withoutDanglingPeers(buf).buf });
      }
      for (const { name, buf } of inputs) {
        const file = path.join(dir, name.replace(/\.(gz|bz2)$/, ""));
        fs.writeFileSync(file, buf);
        const ours: string[][] = [];
        let peers: MrtPeer[] = [];
        for (const d of decodeAll(buf)) {
          if (d.kind === "peer-index") {
            peers = d.peers;
            continue;
          }
          if (d.safi !== 1) continue; // bgpdump 1.6.2 reads unicast RIBs only
          for (const e of d.entries) {
            const peer = peers[e.peerIndex]!;
            ours.push([
              d.prefix + (e.pathId === undefined ? "" : ` PATH_ID: ${e.pathId}`),
              String(d.sequence),
              `${peer.address} AS${peer.asn}`,
              String(e.originatedTimeSec),
            ]);
          }
        }
        const theirs = bgpdumpBlocks(file)
          .filter((b) => b.some(([k, v]) => k === "TYPE" && v.startsWith("TABLE_DUMP_V2/")))
          .map((b) => {
            const get = (key: string): string => b.find(([k]) => k === key)![1];
            return [get("PREFIX"), get("SEQUENCE"), get("FROM"), String(bgpdumpHumanTime(get("ORIGINATED")))];
          });
        expect(theirs.length, name).toBeGreaterThan(0);
        expect(ours, name).toEqual(theirs);
      }
    },
  );
});

describe("TABLE_DUMP_V2 records", () => {
  it("keeps RIB_GENERIC raw with an unsupported marker", () => {
    const generic = sampleRecords().find(
      (r) => r.readUInt16BE(4) === MRT_TABLE_DUMP_V2 && r.readUInt16BE(6) === 6,
    )!;
    expect(decodeOne(generic)).toEqual({
      kind: "rib-generic",
      unsupported: true,
      subtype: 6,
      addPath: false,
      sequence: 5,
      afi: 25,
      safi: 70,
      raw: Buffer.from("0000", "hex"),
    });
    const ap = Buffer.from(generic);
    ap.writeUInt16BE(TDV2_RIB_GENERIC_ADDPATH, 6);
    expect(decodeOne(ap)).toMatchObject({ kind: "rib-generic", addPath: true, subtype: 12 });
  });

  it("skips subtypes it does not read (GEO_PEER_TABLE) and other record types", () => {
    expect(
      decodeOne(encodeMrtRecord({ tsMicros: 0, type: MRT_TABLE_DUMP_V2, subtype: 7, body: Buffer.alloc(9) })),
    ).toBeUndefined();
    expect(
      decodeOne(encodeMrtRecord({ tsMicros: 0, type: 16, subtype: 2, body: Buffer.alloc(9) })),
    ).toBeUndefined();
  });

  it("reports a PEER_INDEX_TABLE cut anywhere as mrt.tdv2.peer-index", () => {
    const rec = encodePeerIndexTable({
      tsMicros: 0,
      collectorBgpId: "10.0.0.1",
      viewName: "v",
      peers: [
        { bgpId: "10.0.0.2", address: "2001:db8::2", asn: 65002 },
        { bgpId: "10.0.0.3", address: "10.0.0.3", asn: 65003, as4: false },
      ],
    });
    const body = rec.subarray(12);
    for (let len = 0; len < body.length; len++) {
      const cut = encodeMrtRecord({
        tsMicros: 0,
        type: MRT_TABLE_DUMP_V2,
        subtype: 1,
        body: body.subarray(0, len),
      });
      const err = codecError(() => decodeOne(cut));
      expect(err.kind).toBe("mrt.tdv2.peer-index");
      expect(err.message).toMatch(/truncated at offset \d+: need \d+ bytes, \d+ left/);
    }
  });

  it("reports a RIB record cut anywhere as mrt.tdv2.rib, and a prefix too long as mrt.tdv2.prefix", () => {
    const rec = encodeRibEntries({
      tsMicros: 0,
      sequence: 1,
      prefix: "2001:db8::/32",
      addPath: true,
      entries: [
        { peerIndex: 0, pathId: 1, originatedTimeSec: 2, attributes: Buffer.from("40010100", "hex") },
      ],
    });
    const subtype = rec.readUInt16BE(6);
    const body = rec.subarray(12);
    for (let len = 0; len < body.length; len++) {
      const cut = encodeMrtRecord({
        tsMicros: 0,
        type: MRT_TABLE_DUMP_V2,
        subtype,
        body: body.subarray(0, len),
      });
      expect(codecError(() => decodeOne(cut)).kind).toBe("mrt.tdv2.rib");
    }
    const long = Buffer.from(body);
    long[4] = 129;
    const err = codecError(() =>
      decodeOne(encodeMrtRecord({ tsMicros: 0, type: MRT_TABLE_DUMP_V2, subtype, body: long })),
    );
    expect(err.kind).toBe("mrt.tdv2.prefix");
    expect(err.message).toContain("129");
  });

  it.skipIf(!bgpdumpAvailable())("writes a peer table that bgpdump resolves entries against", () => {
    const file = path.join(tempDir(), "table.mrt");
    fs.writeFileSync(file, Buffer.concat(sampleRecords()));
    const from = bgpdumpBlocks(file)
      .filter((b) => b.some(([k, v]) => k === "TYPE" && v.startsWith("TABLE_DUMP_V2/")))
      .map((b) => b.find(([k]) => k === "FROM")![1]);
    // sample.ts: peer 0 is 127.0.0.2 AS65001 (2-byte AS field), peer 1 is 2001:db8::3 AS4200000000.
    expect(from).toEqual([
      "127.0.0.2 AS65001",
      "2001:db8::3 AS4200000000",
      "2001:db8::3 AS4200000000",
      "127.0.0.2 AS65001",
      "127.0.0.2 AS65001",
      "2001:db8::3 AS4200000000",
    ]);
  });
});
