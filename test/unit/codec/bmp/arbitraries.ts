/** fast-check generators for BMP messages of every type, in the form the decoder returns them. */
import fc from "fast-check";
import {
  distinguisherToString,
  mirroringInfoName,
  peerDownReasonName,
  peerFlags,
  peerTypeName,
  STAT_FORMAT_LEN,
  STAT_TYPES,
  statName,
  terminationReasonName,
  type BmpMessage,
  type BmpPeerHeader,
  type BmpStat,
  type InitiationTlv,
  type MirroringTlv,
  type PeerDownTlv,
  type PeerUpTlv,
  type TerminationTlv,
} from "../../../../codec/bmp/index.js";
import { ipv4, ipv6, u16, u32 } from "../../../helpers/arbitraries.js";

const bytes = (maxLength = 40): fc.Arbitrary<Buffer> =>
  fc.uint8Array({ maxLength }).map((b) => Buffer.from(b));
const text = fc.string({ unit: "grapheme", maxLength: 30 });

/** Distinguishers of every RD type (0, 1, 2) and other locally defined values, as the decoder shows them. */
const distinguisher = fc
  .tuple(fc.constantFrom(0, 1, 2, 3, 0xffff), fc.uint8Array({ minLength: 6, maxLength: 6 }), fc.boolean())
  .map(([type, rest, zero]) => {
    const b = Buffer.alloc(8);
    if (!zero) {
      b.writeUInt16BE(type, 0);
      b.set(rest, 2);
    }
    return distinguisherToString(b, 0);
  });

export const peerHeader: fc.Arbitrary<BmpPeerHeader> = fc
  .record({
    peerType: fc.constantFrom(0, 1, 2, 3, 4, 255),
    flags: fc.nat({ max: 255 }),
    distinguisher,
    v4: ipv4,
    v6: ipv6,
    asn: u32,
    bgpId: ipv4,
    seconds: u32,
    micros: fc.nat({ max: 999_999 }),
  })
  .map((r) => {
    const bits = peerFlags(r.peerType, r.flags);
    return {
      peerType: r.peerType,
      peerTypeName: peerTypeName(r.peerType),
      flags: r.flags,
      ...bits,
      distinguisher: r.distinguisher,
      address: bits.ipv6 ? r.v6 : r.v4,
      asn: r.asn,
      bgpId: r.bgpId,
      tsMicros: r.seconds * 1e6 + r.micros,
    };
  });

/** A whole BGP OPEN message: valid header, body not necessarily a valid OPEN (BMP does not look inside). */
const openPdu = bytes(60).map((body) => {
  const out = Buffer.alloc(29 + body.length, 0xff);
  out.writeUInt16BE(out.length, 16);
  out[18] = 1;
  out.fill(0, 19, 29);
  body.copy(out, 29);
  return out;
});

function namedTlv<T>(names: Record<number, string>, maxType: number): fc.Arbitrary<T> {
  return fc.nat({ max: maxType }).chain((type) => {
    const name = names[type];
    return (
      name === undefined
        ? bytes().map((value) => ({ type, name: "unknown", value }))
        : text.map((value) => ({ type, name, value }))
    ) as fc.Arbitrary<T>;
  });
}

const initiationTlv = namedTlv<InitiationTlv>({ 0: "string", 1: "sysDescr", 2: "sysName" }, 5);
const peerUpTlv = namedTlv<PeerUpTlv>({ 0: "string", 3: "vrfTableName" }, 5);
const peerDownTlv = namedTlv<PeerDownTlv>({ 3: "vrfTableName" }, 5);

const terminationTlv: fc.Arbitrary<TerminationTlv> = fc.oneof(
  text.map((value) => ({ type: 0, name: "string" as const, value })),
  u16.map((reason) => ({
    type: 1 as const,
    name: "reason" as const,
    reason,
    reasonName: terminationReasonName(reason),
  })),
  fc.record({
    type: fc.integer({ min: 2, max: 0xffff }),
    name: fc.constant("unknown" as const),
    value: bytes(),
  }),
);

const mirroringTlv: fc.Arbitrary<MirroringTlv> = fc.oneof(
  bytes().map((bgp) => ({ type: 0 as const, name: "bgpMessage" as const, bgp })),
  u16.map((code) => ({
    type: 1 as const,
    name: "information" as const,
    code,
    codeName: mirroringInfoName(code),
  })),
  fc.record({
    type: fc.integer({ min: 2, max: 0xffff }),
    name: fc.constant("unknown" as const),
    value: bytes(),
  }),
);

const stat: fc.Arbitrary<BmpStat> = fc
  .record({
    type: fc.oneof(fc.nat({ max: STAT_TYPES.length + 2 }), fc.constant(65531)),
    raw: fc.boolean(),
    value32: u32,
    value64: fc.maxSafeNat(),
    afi: u16,
    safi: fc.nat({ max: 255 }),
    data: bytes(20),
  })
  .map((r): BmpStat => {
    const name = statName(r.type);
    const format = STAT_TYPES[r.type]?.format;
    // Known types with a length other than their format's stay bytes, like unknown types.
    if (format === undefined || (r.raw && r.data.length !== STAT_FORMAT_LEN[format])) {
      return { type: r.type, name, format: "bytes", data: r.data };
    }
    if (format === "counter32") return { type: r.type, name, format, value: r.value32 };
    if (format === "gauge64") return { type: r.type, name, format, value: r.value64 };
    return { type: r.type, name, format, afi: r.afi, safi: r.safi, value: r.value64 };
  });

const peerDown = fc
  .record({
    peer: peerHeader,
    reason: fc.nat({ max: 8 }),
    data: bytes(),
    fsmEvent: u16,
    tlvs: fc.array(peerDownTlv, { maxLength: 3 }),
  })
  .map(({ peer, reason, data, fsmEvent, tlvs }): BmpMessage => {
    const m = { type: "PEER-DOWN" as const, peer, reason, reasonName: peerDownReasonName(reason) };
    if (reason === 1 || reason === 3) return { ...m, notification: data };
    if (reason === 2) return { ...m, fsmEvent };
    if (reason === 6) return { ...m, tlvs };
    return { ...m, data };
  });

const peerUp = fc
  .record({
    peer: peerHeader,
    v4: ipv4,
    v6: ipv6,
    localPort: u16,
    remotePort: u16,
    sentOpen: openPdu,
    receivedOpen: openPdu,
    tlvs: fc.array(peerUpTlv, { maxLength: 3 }),
  })
  .map(({ v4, v6, ...r }): BmpMessage => ({ type: "PEER-UP", ...r, localAddress: r.peer.ipv6 ? v6 : v4 }));

export const bmpMessage: fc.Arbitrary<BmpMessage> = fc.oneof(
  fc.record({ type: fc.constant("ROUTE-MONITORING" as const), peer: peerHeader, bgp: bytes(80) }),
  fc.record({
    type: fc.constant("STATISTICS-REPORT" as const),
    peer: peerHeader,
    stats: fc.array(stat, { maxLength: 8 }),
  }),
  peerDown,
  peerUp,
  fc.record({ type: fc.constant("INITIATION" as const), tlvs: fc.array(initiationTlv, { maxLength: 4 }) }),
  fc.record({ type: fc.constant("TERMINATION" as const), tlvs: fc.array(terminationTlv, { maxLength: 4 }) }),
  fc.record({
    type: fc.constant("ROUTE-MIRRORING" as const),
    peer: peerHeader,
    tlvs: fc.array(mirroringTlv, { maxLength: 4 }),
  }),
);
