/**
 * The BMP recording container: BMP messages kept exactly as received, each with its arrival time
 * and the router's address (MRT has no BMP type). Layout, all integers big-endian:
 *
 *   file header   8 bytes   "RWBMP\0\0\x01" (magic, version 1)
 *   record        u64 arrival time, microseconds since the Unix epoch
 *                 u8  router address length (4 or 16), then the address
 *                 u8  collector address length (4 or 16), then the address
 *                 u32 BMP message length, then the BMP message (RFC 7854, common header included)
 *
 * A record with a message length of 0 marks the end of the router's connection (its state is gone,
 * as the collector withdrew its routes then).
 * A file cut short by a crash ends with a partial record, which a reader reports and ignores.
 */
import { CodecError } from "../../codec/errors.js";
import { ipToString, parseIp } from "../../codec/ip.js";

export const BMP_CONTAINER_MAGIC = Buffer.from("RWBMP\0\0\x01", "latin1");

export interface BmpRecord {
  tsMicros: number;
  router: string;
  collector: string;
  /** Empty for the end-of-connection marker. */
  bytes: Buffer;
}

export function encodeBmpRecord(r: BmpRecord): Buffer {
  const router = parseIp(r.router);
  const collector = parseIp(r.collector);
  if (!router || !collector)
    throw new Error(`BMP record: router ${r.router} / collector ${r.collector} is not an IP address`);
  const out = Buffer.alloc(8 + 1 + router.length + 1 + collector.length + 4 + r.bytes.length);
  let off = 0;
  out.writeBigUInt64BE(BigInt(r.tsMicros), off);
  off += 8;
  out[off++] = router.length;
  off += router.copy(out, off);
  out[off++] = collector.length;
  off += collector.copy(out, off);
  off = out.writeUInt32BE(r.bytes.length, off);
  r.bytes.copy(out, off);
  return out;
}

/**
 * Length of the record at buf[off], or -1 when more bytes are needed. Throws CodecError for a
 * record that cannot be one (bad address length).
 */
export function bmpRecordLength(buf: Buffer, off: number): number {
  if (buf.length - off < 10) return -1;
  const rLen = buf[off + 8]!;
  if (rLen !== 4 && rLen !== 16)
    throw new CodecError(
      "bmprec.address",
      `BMP record at offset ${off}: router address length ${rLen}, expected 4 or 16`,
      off,
    );
  const cAt = off + 9 + rLen;
  if (buf.length < cAt + 1) return -1;
  const cLen = buf[cAt]!;
  if (cLen !== 4 && cLen !== 16)
    throw new CodecError(
      "bmprec.address",
      `BMP record at offset ${off}: collector address length ${cLen}, expected 4 or 16`,
      off,
    );
  const lenAt = cAt + 1 + cLen;
  if (buf.length < lenAt + 4) return -1;
  return lenAt + 4 + buf.readUInt32BE(lenAt) - off;
}

/** Decodes the (complete) record at buf[off]; `bytes` is a view. */
export function decodeBmpRecord(buf: Buffer, off: number): BmpRecord {
  const tsMicros = Number(buf.readBigUInt64BE(off));
  const rLen = buf[off + 8]!;
  const router = ipToString(buf, off + 9, rLen);
  const cAt = off + 9 + rLen;
  const cLen = buf[cAt]!;
  const collector = ipToString(buf, cAt + 1, cLen);
  const lenAt = cAt + 1 + cLen;
  const len = buf.readUInt32BE(lenAt);
  return { tsMicros, router, collector, bytes: buf.subarray(lenAt + 4, lenAt + 4 + len) };
}
