/**
 * TABLE_DUMP_V2 records (RFC 6396 4.3, RFC 8050 4): a PEER_INDEX_TABLE naming the peers, then one
 * RIB record per prefix holding every peer's path to it. Attribute bytes stay in the file buffer
 * until the caller decodes them (decodeRibAttributes, or decodeAttributes with {as4: true} and the
 * RIB's family as mrtRibFamily).
 */
import { AFI_IPV4, AFI_IPV6, ipv4ToString, parsePrefix, prefixToString } from "../ip.js";
import { ATTR_MP_REACH_NLRI, SAFI_MULTICAST, SAFI_UNICAST } from "../bgp/constants.js";
import {
  decodeAttributes,
  encodeAttribute,
  type AttributesDecodeResult,
  type PathAttribute,
} from "../bgp/attributes.js";
import { CodecError } from "../errors.js";
import { addressBytes, addressText } from "./address.js";
import {
  MRT_TABLE_DUMP_V2,
  PEER_TYPE_AS4,
  PEER_TYPE_IPV6,
  TDV2_PEER_INDEX_TABLE,
  TDV2_RIB_GENERIC,
  TDV2_RIB_GENERIC_ADDPATH,
  TDV2_RIB_IPV4_MULTICAST,
  TDV2_RIB_IPV4_MULTICAST_ADDPATH,
  TDV2_RIB_IPV4_UNICAST,
  TDV2_RIB_IPV4_UNICAST_ADDPATH,
  TDV2_RIB_IPV6_MULTICAST,
  TDV2_RIB_IPV6_MULTICAST_ADDPATH,
  TDV2_RIB_IPV6_UNICAST,
  TDV2_RIB_IPV6_UNICAST_ADDPATH,
} from "./constants.js";
import type { MrtRecord } from "./reader.js";
import { encodeMrtRecord } from "./writer.js";

export interface MrtPeer {
  /** Peer type bits: 0x01 IPv6 address, 0x02 4-byte AS (RFC 6396 4.3.1). */
  type: number;
  ipv6: boolean;
  as4: boolean;
  bgpId: string;
  address: string;
  asn: number;
}

export interface PeerIndexTable {
  kind: "peer-index";
  collectorBgpId: string;
  viewName: string;
  peers: MrtPeer[];
}

/** One peer's path in a RIB record; `attrs` are offsets of its path attributes in the record's `buf`. */
export interface RibEntry {
  peerIndex: number;
  originatedTimeSec: number;
  /** RFC 8050 path identifier, in the *_ADDPATH subtypes only. */
  pathId?: number;
  attrs: { start: number; end: number };
}

export interface RibRecord {
  kind: "rib";
  subtype: number;
  afi: number;
  safi: number;
  addPath: boolean;
  sequence: number;
  prefix: string;
  /** The buffer `attrs` offsets point into (the record's buffer). */
  buf: Buffer;
  entries: RibEntry[];
}

/**
 * RIB_GENERIC(_ADDPATH): not decoded. The NLRI encoding depends on the family, so where it ends
 * (and the entries start) is unknown here; `raw` holds the NLRI and the entries as sent.
 */
export interface RibGenericRecord {
  kind: "rib-generic";
  unsupported: true;
  subtype: number;
  addPath: boolean;
  sequence: number;
  afi: number;
  safi: number;
  raw: Buffer;
}

export type TableDumpV2Record = PeerIndexTable | RibRecord | RibGenericRecord;

interface RibFamily {
  afi: number;
  safi: number;
  addPath: boolean;
}

const RIB_FAMILIES: Record<number, RibFamily> = {
  [TDV2_RIB_IPV4_UNICAST]: { afi: AFI_IPV4, safi: SAFI_UNICAST, addPath: false },
  [TDV2_RIB_IPV4_MULTICAST]: { afi: AFI_IPV4, safi: SAFI_MULTICAST, addPath: false },
  [TDV2_RIB_IPV6_UNICAST]: { afi: AFI_IPV6, safi: SAFI_UNICAST, addPath: false },
  [TDV2_RIB_IPV6_MULTICAST]: { afi: AFI_IPV6, safi: SAFI_MULTICAST, addPath: false },
  [TDV2_RIB_IPV4_UNICAST_ADDPATH]: { afi: AFI_IPV4, safi: SAFI_UNICAST, addPath: true },
  [TDV2_RIB_IPV4_MULTICAST_ADDPATH]: { afi: AFI_IPV4, safi: SAFI_MULTICAST, addPath: true },
  [TDV2_RIB_IPV6_UNICAST_ADDPATH]: { afi: AFI_IPV6, safi: SAFI_UNICAST, addPath: true },
  [TDV2_RIB_IPV6_MULTICAST_ADDPATH]: { afi: AFI_IPV6, safi: SAFI_MULTICAST, addPath: true },
};

/** The RIB subtype for a family (RFC 6396 4.3.2, RFC 8050 4); undefined for non-IP families. */
export function ribSubtype(afi: number, safi: number, addPath: boolean): number | undefined {
  for (const [subtype, f] of Object.entries(RIB_FAMILIES)) {
    if (f.afi === afi && f.safi === safi && f.addPath === addPath) return Number(subtype);
  }
  return undefined;
}

function need(kind: string, what: string, off: number, n: number, end: number): void {
  if (off + n > end) {
    throw new CodecError(
      kind,
      `TABLE_DUMP_V2 ${what} truncated at offset ${off}: need ${n} bytes, ${Math.max(0, end - off)} left`,
      off,
    );
  }
}

/**
 * Decodes a TABLE_DUMP_V2 record. Returns undefined for other record types and for subtypes this
 * codec does not read (GEO_PEER_TABLE, unassigned ones): the caller counts them as skipped.
 */
export function decodeTableDumpV2(record: MrtRecord): TableDumpV2Record | undefined {
  if (record.type !== MRT_TABLE_DUMP_V2) return undefined;
  const subtype = record.subtype;
  if (subtype === TDV2_PEER_INDEX_TABLE)
    return decodePeerIndexTable(record.buf, record.bodyStart, record.bodyEnd);
  const family = RIB_FAMILIES[subtype];
  if (family) return decodeRib(record.buf, record.bodyStart, record.bodyEnd, subtype, family);
  if (subtype === TDV2_RIB_GENERIC || subtype === TDV2_RIB_GENERIC_ADDPATH) {
    return decodeRibGeneric(record.buf, record.bodyStart, record.bodyEnd, subtype);
  }
  return undefined;
}

const PEER_INDEX = "mrt.tdv2.peer-index";

function decodePeerIndexTable(buf: Buffer, start: number, end: number): PeerIndexTable {
  let off = start;
  need(PEER_INDEX, "PEER_INDEX_TABLE header", off, 6, end);
  const collectorBgpId = ipv4ToString(buf, off);
  const nameLen = buf.readUInt16BE(off + 4);
  off += 6;
  need(PEER_INDEX, "PEER_INDEX_TABLE view name", off, nameLen + 2, end);
  const viewName = buf.toString("utf8", off, off + nameLen);
  off += nameLen;
  const count = buf.readUInt16BE(off);
  off += 2;
  const peers: MrtPeer[] = [];
  for (let i = 0; i < count; i++) {
    need(PEER_INDEX, `peer entry ${i} of ${count}`, off, 5, end);
    const type = buf[off]!;
    const ipv6 = (type & PEER_TYPE_IPV6) !== 0;
    const as4 = (type & PEER_TYPE_AS4) !== 0;
    const addrLen = ipv6 ? 16 : 4;
    const size = 5 + addrLen + (as4 ? 4 : 2);
    need(PEER_INDEX, `peer entry ${i} of ${count}`, off, size, end);
    const bgpId = ipv4ToString(buf, off + 1);
    const address = addressText(buf, off + 5, addrLen);
    const asOff = off + 5 + addrLen;
    const asn = as4 ? buf.readUInt32BE(asOff) : buf.readUInt16BE(asOff);
    peers.push({ type, ipv6, as4, bgpId, address, asn });
    off += size;
  }
  return { kind: "peer-index", collectorBgpId, viewName, peers };
}

const RIB = "mrt.tdv2.rib";

function decodeRib(buf: Buffer, start: number, end: number, subtype: number, family: RibFamily): RibRecord {
  let off = start;
  need(RIB, "RIB header", off, 5, end);
  const sequence = buf.readUInt32BE(off);
  const bits = buf[off + 4]!;
  off += 5;
  const maxBits = family.afi === AFI_IPV4 ? 32 : 128;
  if (bits > maxBits) {
    throw new CodecError(
      "mrt.tdv2.prefix",
      `RIB prefix length ${bits} exceeds ${maxBits} at offset ${off - 1}`,
      off - 1,
    );
  }
  const bytes = (bits + 7) >> 3;
  need(RIB, "RIB prefix and entry count", off, bytes + 2, end);
  const prefix = prefixToString(family.afi, buf, off, bits);
  off += bytes;
  const count = buf.readUInt16BE(off);
  off += 2;
  const fixed = family.addPath ? 12 : 8;
  const entries: RibEntry[] = [];
  for (let i = 0; i < count; i++) {
    need(RIB, `RIB entry ${i} of ${count}`, off, fixed, end);
    const peerIndex = buf.readUInt16BE(off);
    const originatedTimeSec = buf.readUInt32BE(off + 2);
    const pathId = family.addPath ? buf.readUInt32BE(off + 6) : undefined;
    const attrLen = buf.readUInt16BE(off + fixed - 2);
    off += fixed;
    need(RIB, `RIB entry ${i} attributes`, off, attrLen, end);
    const attrs = { start: off, end: off + attrLen };
    entries.push(
      pathId === undefined
        ? { peerIndex, originatedTimeSec, attrs }
        : { peerIndex, originatedTimeSec, pathId, attrs },
    );
    off += attrLen;
  }
  return {
    kind: "rib",
    subtype,
    afi: family.afi,
    safi: family.safi,
    addPath: family.addPath,
    sequence,
    prefix,
    buf,
    entries,
  };
}

function decodeRibGeneric(buf: Buffer, start: number, end: number, subtype: number): RibGenericRecord {
  need(RIB, "RIB_GENERIC header", start, 7, end);
  return {
    kind: "rib-generic",
    unsupported: true,
    subtype,
    addPath: subtype === TDV2_RIB_GENERIC_ADDPATH,
    sequence: buf.readUInt32BE(start),
    afi: buf.readUInt16BE(start + 4),
    safi: buf[start + 6]!,
    raw: buf.subarray(start + 7, end),
  };
}

/**
 * The path attributes of a RIB entry: 4-byte AS numbers, MP_REACH_NLRI possibly cut down to its
 * next hop (RFC 6396 4.3.4). Attribute flag conflicts are dropped from `errors`: BIRD 2 dumps
 * NEXT_HOP and LOCAL_PREF with zero flags, and in a dump (no session to protect) a well-formed
 * value is worth keeping rather than treating the route as withdrawn (RFC 7606 3.c).
 */
export function decodeRibAttributes(rib: RibRecord, entry: RibEntry): AttributesDecodeResult {
  return decodeAttributes(
    rib.buf,
    entry.attrs.start,
    entry.attrs.end,
    { as4: true },
    { mrtRibFamily: rib, ignoreFlags: true },
  );
}

// ---------------------------------------------------------------------------------------------
// Encoding

export interface PeerIndexTableFields {
  tsMicros: number;
  collectorBgpId: string;
  viewName?: string;
  peers: {
    bgpId: string;
    address: string;
    asn: number;
    /** 4-byte AS field; default true */ as4?: boolean;
  }[];
}

/** A whole TABLE_DUMP_V2 PEER_INDEX_TABLE record. */
export function encodePeerIndexTable(f: PeerIndexTableFields): Buffer {
  const name = Buffer.from(f.viewName ?? "", "utf8");
  if (name.length > 0xffff) throw new Error(`view name of ${name.length} bytes is too long`);
  if (f.peers.length > 0xffff) throw new Error(`${f.peers.length} peers do not fit a PEER_INDEX_TABLE`);
  const parts: Buffer[] = [];
  const head = Buffer.alloc(6);
  addressBytes4(f.collectorBgpId, "collector BGP ID").copy(head, 0);
  head.writeUInt16BE(name.length, 4);
  parts.push(head, name, Buffer.from([f.peers.length >> 8, f.peers.length & 0xff]));
  for (const p of f.peers) {
    const as4 = p.as4 ?? true;
    const address = addressBytes(p.address, "peer address");
    if (!Number.isInteger(p.asn) || p.asn < 0 || p.asn > (as4 ? 0xffffffff : 0xffff)) {
      throw new Error(`peer AS ${p.asn} does not fit a ${as4 ? 4 : 2}-byte AS field`);
    }
    const entry = Buffer.alloc(5 + address.length + (as4 ? 4 : 2));
    entry[0] = (address.length === 16 ? PEER_TYPE_IPV6 : 0) | (as4 ? PEER_TYPE_AS4 : 0);
    addressBytes4(p.bgpId, "peer BGP ID").copy(entry, 1);
    address.copy(entry, 5);
    if (as4) entry.writeUInt32BE(p.asn, 5 + address.length);
    else entry.writeUInt16BE(p.asn, 5 + address.length);
    parts.push(entry);
  }
  return encodeMrtRecord({
    tsMicros: f.tsMicros,
    type: MRT_TABLE_DUMP_V2,
    subtype: TDV2_PEER_INDEX_TABLE,
    body: Buffer.concat(parts),
  });
}

function addressBytes4(text: string, what: string): Buffer {
  const b = addressBytes(text, what);
  if (b.length !== 4) throw new Error(`${what}: "${text}" is not an IPv4 address`);
  return b;
}

export interface RibEntryFields {
  peerIndex: number;
  originatedTimeSec: number;
  /** Required when the record is written with addPath. */
  pathId?: number;
  /** Encoded path attributes (see encodeRibAttributes). */
  attributes: Buffer;
}

export interface RibRecordFields {
  tsMicros: number;
  sequence: number;
  /** "addr/len", IPv4 or IPv6. */
  prefix: string;
  /** SAFI_UNICAST (default) or SAFI_MULTICAST. */
  safi?: number;
  /** Write the RFC 8050 *_ADDPATH subtype, with a path identifier per entry. */
  addPath?: boolean;
  entries: RibEntryFields[];
}

/** A whole TABLE_DUMP_V2 RIB_IPV{4,6}_{UNICAST,MULTICAST}[_ADDPATH] record. */
export function encodeRibEntries(f: RibRecordFields): Buffer {
  const p = parsePrefix(f.prefix);
  const addPath = f.addPath ?? false;
  const subtype = ribSubtype(p.afi, f.safi ?? SAFI_UNICAST, addPath);
  if (subtype === undefined) throw new Error(`no TABLE_DUMP_V2 RIB subtype for SAFI ${f.safi}`);
  if (f.entries.length > 0xffff) throw new Error(`${f.entries.length} RIB entries do not fit one record`);
  const bytes = (p.len + 7) >> 3;
  const head = Buffer.alloc(4 + 1 + bytes + 2);
  head.writeUInt32BE(f.sequence >>> 0, 0);
  head[4] = p.len;
  p.addr.copy(head, 5, 0, bytes);
  head.writeUInt16BE(f.entries.length, 5 + bytes);
  const parts: Buffer[] = [head];
  for (const e of f.entries) {
    if (e.attributes.length > 0xffff)
      throw new Error(`RIB entry attributes of ${e.attributes.length} bytes are too long`);
    if (addPath && e.pathId === undefined)
      throw new Error(`RIB entry for ${f.prefix} needs a path identifier`);
    const fixed = Buffer.alloc(addPath ? 12 : 8);
    let off = fixed.writeUInt16BE(e.peerIndex, 0);
    off = fixed.writeUInt32BE(e.originatedTimeSec >>> 0, off);
    if (addPath) off = fixed.writeUInt32BE(e.pathId! >>> 0, off);
    fixed.writeUInt16BE(e.attributes.length, off);
    parts.push(fixed, e.attributes);
  }
  return encodeMrtRecord({
    tsMicros: f.tsMicros,
    type: MRT_TABLE_DUMP_V2,
    subtype,
    body: Buffer.concat(parts),
  });
}

/**
 * Path attributes as a RIB entry holds them: 4-byte AS numbers, and MP_REACH_NLRI cut down to its
 * next hop length and next hop (RFC 6396 4.3.4: the family and the prefix are in the record).
 */
export function encodeRibAttributes(list: readonly PathAttribute[]): Buffer {
  const opts = { as4: true };
  return Buffer.concat(
    list.map((a) => {
      if (a.name !== "MP_REACH_NLRI") return encodeAttribute(a, opts);
      const nh =
        a.nextHopRaw ?? Buffer.concat(a.nextHops.map((n) => addressBytes(n, "MP_REACH_NLRI next hop")));
      return Buffer.concat([Buffer.from([a.flags & 0xef, ATTR_MP_REACH_NLRI, nh.length + 1, nh.length]), nh]);
    }),
  );
}
