/**
 * The per-peer header (RFC 7854 4.2) that precedes every message about one peer, with the flags of
 * RFC 8671 (O, Adj-RIB-Out) and RFC 9069 (peer type 3, Loc-RIB, whose only flag F sits where V is).
 */
import { CodecError } from "../errors.js";
import { ipToString, ipv4ToString, parseIp } from "../ip.js";
import {
  FLAG_A,
  FLAG_F,
  FLAG_L,
  FLAG_O,
  FLAG_V,
  PEER_HEADER_LEN,
  PEER_TYPE_LOC_RIB,
  peerTypeName,
  type BmpPeerTypeName,
} from "./constants.js";
import { distinguisherToString, writeDistinguisher } from "./distinguisher.js";

export interface BmpPeerHeader {
  peerType: number;
  peerTypeName: BmpPeerTypeName;
  /** The flags byte as sent; the booleans below are read from it according to the peer type. */
  flags: number;
  /** V: the peer address is IPv6 (peer types other than 3). */
  ipv6: boolean;
  /** L: post-policy Adj-RIB (else pre-policy). */
  postPolicy: boolean;
  /** A: the BGP PDUs use the legacy 2-byte AS_PATH format. */
  legacyAsPath: boolean;
  /** O: Adj-RIB-Out (RFC 8671), else Adj-RIB-In. */
  adjRibOut: boolean;
  /** F: the Loc-RIB is filtered (peer type 3 only, RFC 9069 4.2). */
  locRibFiltered: boolean;
  /** Route distinguisher text, see distinguisher.ts ("0:0" for the global instance). */
  distinguisher: string;
  /** IPv4 (last 4 bytes of the field) or IPv6 text; "0.0.0.0" for a Loc-RIB instance. */
  address: string;
  asn: number;
  bgpId: string;
  /** seconds * 1e6 + microseconds; 0 when the sender has no time (RFC 9069 5.1). */
  tsMicros: number;
}

/** The flag booleans of a flags byte for a peer type. */
export function peerFlags(
  peerType: number,
  flags: number,
): Pick<BmpPeerHeader, "ipv6" | "postPolicy" | "legacyAsPath" | "adjRibOut" | "locRibFiltered"> {
  if (peerType === PEER_TYPE_LOC_RIB) {
    return {
      ipv6: false,
      postPolicy: false,
      legacyAsPath: false,
      adjRibOut: false,
      locRibFiltered: (flags & FLAG_F) !== 0,
    };
  }
  return {
    ipv6: (flags & FLAG_V) !== 0,
    postPolicy: (flags & FLAG_L) !== 0,
    legacyAsPath: (flags & FLAG_A) !== 0,
    adjRibOut: (flags & FLAG_O) !== 0,
    locRibFiltered: false,
  };
}

/** The flags byte to send: the booleans for the bits the peer type defines, `flags` for the rest. */
export function flagsByte(
  p: Pick<
    BmpPeerHeader,
    "peerType" | "flags" | "ipv6" | "postPolicy" | "legacyAsPath" | "adjRibOut" | "locRibFiltered"
  >,
): number {
  if (p.peerType === PEER_TYPE_LOC_RIB) return (p.flags & ~FLAG_F & 0xff) | (p.locRibFiltered ? FLAG_F : 0);
  const known = FLAG_V | FLAG_L | FLAG_A | FLAG_O;
  return (
    (p.flags & ~known & 0xff) |
    (p.ipv6 ? FLAG_V : 0) |
    (p.postPolicy ? FLAG_L : 0) |
    (p.legacyAsPath ? FLAG_A : 0) |
    (p.adjRibOut ? FLAG_O : 0)
  );
}

/** Decodes the per-peer header at `off`; `end` is the end of the enclosing BMP message. */
export function decodePeerHeader(buf: Buffer, off: number, end: number): BmpPeerHeader {
  if (off + PEER_HEADER_LEN > end) {
    throw new CodecError(
      "bmp.truncated",
      `per-peer header truncated: need ${PEER_HEADER_LEN} bytes at offset ${off}, message has ${end - off}`,
      off,
    );
  }
  const peerType = buf[off]!;
  const flags = buf[off + 1]!;
  const bits = peerFlags(peerType, flags);
  return {
    peerType,
    peerTypeName: peerTypeName(peerType),
    flags,
    ...bits,
    distinguisher: distinguisherToString(buf, off + 2),
    address: bits.ipv6 ? ipToString(buf, off + 10, 16) : ipv4ToString(buf, off + 22),
    asn: buf.readUInt32BE(off + 26),
    bgpId: ipv4ToString(buf, off + 30),
    tsMicros: buf.readUInt32BE(off + 34) * 1e6 + buf.readUInt32BE(off + 38),
  };
}

/** An address as the 16-byte field BMP uses (IPv4 in the last 4 bytes, RFC 7854 4.2). */
export function writeAddress16(text: string, ipv6: boolean, out: Buffer, off: number, what: string): void {
  const ip = parseIp(text);
  if (!ip || ip.length !== (ipv6 ? 16 : 4)) {
    throw new Error(`${what} must be an ${ipv6 ? "IPv6" : "IPv4"} address: "${text}"`);
  }
  out.fill(0, off, off + 16);
  ip.copy(out, ipv6 ? off : off + 12);
}

export function encodePeerHeader(p: BmpPeerHeader, out: Buffer, off: number): void {
  out[off] = p.peerType;
  out[off + 1] = flagsByte(p);
  writeDistinguisher(p.distinguisher, out, off + 2);
  writeAddress16(p.address, p.peerType !== PEER_TYPE_LOC_RIB && p.ipv6, out, off + 10, "peer address");
  out.writeUInt32BE(p.asn, off + 26);
  const id = parseIp(p.bgpId);
  if (!id || id.length !== 4) throw new Error(`peer BGP ID must be an IPv4 address: "${p.bgpId}"`);
  id.copy(out, off + 30);
  out.writeUInt32BE(Math.floor(p.tsMicros / 1e6), off + 34);
  out.writeUInt32BE(p.tsMicros % 1e6, off + 38);
}
