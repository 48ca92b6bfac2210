import { describe, expect, it } from "vitest";
import { attr, encodeUpdate, openAsn, type UpdateMessage } from "../../../../codec/bgp/index.js";
import { CodecError } from "../../../../codec/errors.js";
import {
  decodeBgp4mp,
  encodeBgp4mpMessage,
  encodeBgp4mpStateChange,
  encodeMrtRecord,
  MRT_BGP4MP,
  MRT_BGP4MP_ET,
  readMrt,
  type Bgp4mpMessage,
  type Bgp4mpRecord,
} from "../../../../codec/mrt/index.js";
import { mrtFixtureFiles, readMrtFile } from "./files.js";

function decodeOne(record: Buffer): Bgp4mpRecord | undefined {
  return decodeBgp4mp(readMrt(record).next()!);
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

const peering = {
  tsMicros: 1_700_000_000_000_000,
  peerAs: 65001,
  localAs: 64512,
  peerIp: "10.0.0.2",
  localIp: "10.0.0.1",
};

function bgp4mpFixtures(): { file: string; records: Bgp4mpRecord[] }[] {
  return mrtFixtureFiles()
    .filter((f) => /\.mrt$/.test(f))
    .map((file) => {
      const records: Bgp4mpRecord[] = [];
      for (const r of readMrt(readMrtFile(file))) {
        const d = decodeBgp4mp(r);
        if (d) records.push(d);
      }
      return { file, records };
    })
    .filter((f) => f.records.length > 0);
}

describe("decodeBgp4mp", () => {
  it("gives each message subtype's PDU options: as4, ADD-PATH and direction", () => {
    for (const as4 of [false, true]) {
      for (const addPath of [false, true]) {
        for (const local of [false, true]) {
          const bgp = encodeUpdate(
            { withdrawn: [{ prefix: "10.0.0.0/8", pathId: 5 }] },
            { as4, addPathAll: addPath },
          );
          const d = decodeOne(
            encodeBgp4mpMessage({ ...peering, ifIndex: 3, bgp, as4, addPath, local }),
          ) as Bgp4mpMessage;
          expect(d.kind).toBe("message");
          expect(d.options.as4).toBe(as4);
          expect(d.options.addPathAll === true).toBe(addPath);
          expect(d.local).toBe(local);
          expect([d.peerAs, d.localAs, d.ifIndex, d.afi, d.peerIp, d.localIp]).toEqual([
            65001,
            64512,
            3,
            1,
            "10.0.0.2",
            "10.0.0.1",
          ]);
          expect(d.bgp.equals(bgp)).toBe(true);
          const update = d.decode() as UpdateMessage;
          expect(update.withdrawn()).toEqual([
            addPath ? { prefix: "10.0.0.0/8", pathId: 5 } : { prefix: "10.0.0.0/8" },
          ]);
        }
      }
    }
  });

  it("reads IPv6 peerings and both timestamp flavours the same way", () => {
    const v6 = { ...peering, peerIp: "2001:db8::2", localIp: "fe80::1" };
    for (const extendedTimestamp of [false, true]) {
      const d = decodeOne(encodeBgp4mpStateChange({ ...v6, extendedTimestamp, oldState: 5, newState: 6 }));
      expect(d).toMatchObject({
        kind: "state",
        afi: 2,
        peerIp: "2001:db8::2",
        localIp: "fe80::1",
        oldStateName: "OpenConfirm",
        newStateName: "Established",
      });
    }
  });

  it("accepts RFC 8654 extended messages inside a record", () => {
    const nlri = Array.from({ length: 1500 }, (_, i) => ({ prefix: `10.${i >> 8}.${i & 255}.0/24` }));
    const bgp = encodeUpdate({
      nlri,
      attributes: [attr.origin("IGP"), attr.asPath([65001]), attr.nextHop("10.0.0.2")],
    });
    expect(bgp.length).toBeGreaterThan(4096);
    const d = decodeOne(encodeBgp4mpMessage({ ...peering, bgp })) as Bgp4mpMessage;
    expect((d.decode() as UpdateMessage).announcedCount()).toBe(1500);
  });

  it("skips other record types and subtypes it does not read", () => {
    expect(
      decodeOne(encodeMrtRecord({ tsMicros: 0, type: MRT_BGP4MP, subtype: 2, body: Buffer.alloc(40) })),
    ).toBeUndefined();
    expect(
      decodeOne(encodeMrtRecord({ tsMicros: 0, type: MRT_BGP4MP_ET, subtype: 3, body: Buffer.alloc(40) })),
    ).toBeUndefined();
    expect(
      decodeOne(encodeMrtRecord({ tsMicros: 0, type: 13, subtype: 4, body: Buffer.alloc(40) })),
    ).toBeUndefined();
  });

  it("reports an address family other than IPv4/IPv6 as mrt.bgp4mp.afi", () => {
    const rec = encodeBgp4mpStateChange({ ...peering, oldState: 1, newState: 2 });
    rec.writeUInt16BE(25, 12 + 10); // after Peer AS, Local AS (4 bytes each) and the interface index
    const err = codecError(() => decodeOne(rec));
    expect(err.kind).toBe("mrt.bgp4mp.afi");
    expect(err.message).toContain("25");
  });

  it("reports a record cut anywhere, and a BGP message longer than its record, as mrt.bgp4mp.truncated", () => {
    const bgp = encodeUpdate({ withdrawn: [{ prefix: "10.0.0.0/8" }] });
    for (const rec of [
      encodeBgp4mpMessage({ ...peering, bgp }),
      encodeBgp4mpStateChange({ ...peering, as4: false, oldState: 1, newState: 2 }),
    ]) {
      const body = rec.subarray(12);
      for (let len = 0; len < body.length; len++) {
        // 2-byte state changes of exactly 8 bytes are the short form (see below), not an error.
        if (rec.readUInt16BE(6) === 0 && len === 8) continue;
        const cut = encodeMrtRecord({
          tsMicros: 0,
          type: MRT_BGP4MP,
          subtype: rec.readUInt16BE(6),
          body: body.subarray(0, len),
        });
        const err = codecError(() => decodeOne(cut));
        expect(err.kind).toBe("mrt.bgp4mp.truncated");
        // Past the peer fields (20 bytes) and the BGP header (19), the PDU's own length overruns.
        if (len >= 39) expect(err.message).toMatch(/declares \d+ bytes, the record holds \d+/);
        else expect(err.message).toMatch(/need \d+ bytes, \d+ left/);
      }
    }
  });

  it("reads Zebra/FRR's short state change of an address-less peer", () => {
    const two = encodeMrtRecord({
      tsMicros: 0,
      type: MRT_BGP4MP,
      subtype: 0,
      body: Buffer.from("fde8fde800010008", "hex"),
    });
    expect(decodeOne(two)).toMatchObject({
      kind: "state",
      peerAs: 65000,
      localAs: 65000,
      afi: 0,
      peerIp: "",
      oldState: 1,
      newState: 8,
      newStateName: "Deleted",
    });
  });
});

describe("BGP4MP from BIRD 2, FRR 8.4 and GoBGP 3.10 (fixtures/mrt)", () => {
  const files = bgp4mpFixtures();

  it.skipIf(files.length === 0)(
    "an OPEN received from the peer carries the AS the record names as peer AS",
    () => {
      let opens = 0;
      for (const { records } of files) {
        for (const d of records) {
          if (d.kind !== "message" || d.local) continue;
          const msg = d.decode();
          if (msg.type !== "OPEN") continue;
          expect(openAsn(msg)).toBe(d.peerAs);
          opens++;
        }
      }
      expect(opens).toBeGreaterThan(0);
    },
  );

  it.skipIf(files.length === 0)(
    "sessions reach Established through OpenSent and OpenConfirm (RFC 4271 8)",
    () => {
      let sessions = 0;
      for (const { records } of files) {
        const byPeer = new Map<string, string[]>();
        for (const d of records) {
          if (d.kind !== "state" || d.afi === 0) continue;
          byPeer.set(d.peerIp, [...(byPeer.get(d.peerIp) ?? []), d.newStateName]);
        }
        for (const states of byPeer.values()) {
          const e = states.indexOf("Established");
          if (e < 0) continue;
          expect(states.slice(0, e)).toEqual(expect.arrayContaining(["OpenSent", "OpenConfirm"]));
          sessions++;
        }
      }
      expect(sessions).toBeGreaterThan(0);
    },
  );

  it.skipIf(files.length === 0)("ADD-PATH subtypes give every prefix a path identifier", () => {
    let prefixes = 0;
    for (const { records } of files) {
      for (const d of records) {
        if (d.kind !== "message" || !d.addPath) continue;
        const msg = d.decode();
        if (msg.type !== "UPDATE") continue;
        for (const p of [...msg.announced(), ...msg.withdrawn()]) {
          expect(p.pathId).toBeTypeOf("number");
          prefixes++;
        }
      }
    }
    expect(prefixes).toBeGreaterThan(0);
  });
});
