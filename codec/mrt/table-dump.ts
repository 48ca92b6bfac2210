/**
 * TABLE_DUMP (RFC 6396 4.2), the deprecated first RIB dump format: one record per (prefix, peer),
 * 2-byte AS numbers throughout, attributes after the fixed fields. Read only.
 */
import { CodecError } from "../errors.js";
import { AFI_IPV4, AFI_IPV6, ipToString } from "../ip.js";
import { addressText } from "./address.js";
import { MRT_TABLE_DUMP, TD_AFI_IPV4, TD_AFI_IPV6 } from "./constants.js";
import type { MrtRecord } from "./reader.js";
import { decodeAttributes, type AttributesDecodeResult } from "../bgp/attributes.js";

export interface TableDumpEntry {
  kind: "table-dump";
  afi: number;
  view: number;
  sequence: number;
  prefix: string;
  status: number;
  originatedTimeSec: number;
  peerIp: string;
  /** 2-byte AS number. */
  peerAs: number;
  /** The path attributes' offsets in `buf`; decode them with {as4: false} (2-byte AS_PATH). */
  buf: Buffer;
  attrs: { start: number; end: number };
}

/**
 * Decodes a TABLE_DUMP record of subtype AFI_IPv4 or AFI_IPv6; undefined for other types and
 * subtypes (the caller counts them as skipped).
 */
export function decodeTableDump(record: MrtRecord): TableDumpEntry | undefined {
  if (record.type !== MRT_TABLE_DUMP) return undefined;
  const subtype = record.subtype;
  if (subtype !== TD_AFI_IPV4 && subtype !== TD_AFI_IPV6) return undefined;
  const afi = subtype === TD_AFI_IPV4 ? AFI_IPV4 : AFI_IPV6;
  const addrLen = afi === AFI_IPV4 ? 4 : 16;
  const buf = record.buf;
  const start = record.bodyStart;
  const end = record.bodyEnd;
  // View (2), Sequence (2), Prefix, Length (1), Status (1), Originated Time (4), Peer IP, Peer AS (2),
  // Attribute Length (2).
  const fixed = 2 + 2 + addrLen + 1 + 1 + 4 + addrLen + 2 + 2;
  if (start + fixed > end) {
    throw new CodecError(
      "mrt.table-dump.truncated",
      `TABLE_DUMP entry truncated at offset ${start}: need ${fixed} bytes, ${end - start} left`,
      start,
    );
  }
  let off = start;
  const view = buf.readUInt16BE(off);
  const sequence = buf.readUInt16BE(off + 2);
  off += 4;
  const prefixOff = off;
  off += addrLen;
  const bits = buf[off]!;
  const maxBits = addrLen * 8;
  if (bits > maxBits) {
    throw new CodecError(
      "mrt.table-dump.prefix",
      `TABLE_DUMP prefix length ${bits} exceeds ${maxBits} at offset ${off}`,
      off,
    );
  }
  const status = buf[off + 1]!;
  const originatedTimeSec = buf.readUInt32BE(off + 2);
  off += 6;
  const peerIp = addressText(buf, off, addrLen);
  off += addrLen;
  const peerAs = buf.readUInt16BE(off);
  const attrLen = buf.readUInt16BE(off + 2);
  off += 4;
  if (off + attrLen > end) {
    throw new CodecError(
      "mrt.table-dump.truncated",
      `TABLE_DUMP attributes of ${attrLen} bytes at offset ${off} overrun the record (${end - off} left)`,
      off,
    );
  }
  return {
    kind: "table-dump",
    afi,
    view,
    sequence,
    // The whole address field is sent, so the text shows it all, like bgpdump does.
    prefix: `${ipToString(buf, prefixOff, addrLen)}/${bits}`,
    status,
    originatedTimeSec,
    peerIp,
    peerAs,
    buf,
    attrs: { start: off, end: off + attrLen },
  };
}

/** The entry's path attributes: 2-byte AS numbers; flag conflicts dropped as for TABLE_DUMP_V2. */
export function decodeTableDumpAttributes(entry: TableDumpEntry): AttributesDecodeResult {
  return decodeAttributes(
    entry.buf,
    entry.attrs.start,
    entry.attrs.end,
    { as4: false },
    { mrtRibFamily: { afi: entry.afi, safi: 1 }, ignoreFlags: true },
  );
}
