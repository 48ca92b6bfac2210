/**
 * STATISTICS-REPORT body (RFC 7854 4.8, RFC 8671 5): a 4-byte count, then that many stat TLVs.
 * Counters are 32 bits, gauges 64 bits (read as numbers: exact up to 2^53), per-AFI/SAFI gauges
 * carry a 2-byte AFI and a 1-byte SAFI first. Unknown types, and known types whose length does not
 * match their format, are kept as bytes.
 */
import { CodecError } from "../errors.js";
import { STAT_FORMAT_LEN, STAT_TYPES, statName, type BmpStatName } from "./constants.js";

export type BmpStat =
  | { type: number; name: BmpStatName; format: "counter32" | "gauge64"; value: number }
  | { type: number; name: BmpStatName; format: "afi-safi-gauge64"; afi: number; safi: number; value: number }
  | { type: number; name: BmpStatName; format: "bytes"; data: Buffer };

const TWO_32 = 2 ** 32;

function decodeStat(buf: Buffer, type: number, start: number, len: number): BmpStat {
  const name = statName(type);
  const format = STAT_TYPES[type]?.format;
  if (format === undefined || len !== STAT_FORMAT_LEN[format]) {
    return { type, name, format: "bytes", data: buf.subarray(start, start + len) };
  }
  switch (format) {
    case "counter32":
      return { type, name, format, value: buf.readUInt32BE(start) };
    case "gauge64":
      return { type, name, format, value: buf.readUInt32BE(start) * TWO_32 + buf.readUInt32BE(start + 4) };
    case "afi-safi-gauge64":
      return {
        type,
        name,
        format,
        afi: buf.readUInt16BE(start),
        safi: buf[start + 2]!,
        value: buf.readUInt32BE(start + 3) * TWO_32 + buf.readUInt32BE(start + 7),
      };
  }
}

/** Decodes the stats in buf[off, end); the count must match the TLVs exactly. */
export function decodeStats(buf: Buffer, off: number, end: number): BmpStat[] {
  if (off + 4 > end) throw new CodecError("bmp.truncated", `stats count truncated at offset ${off}`, off);
  const count = buf.readUInt32BE(off);
  const stats: BmpStat[] = [];
  let p = off + 4;
  // Every stat takes at least 4 bytes, so the loop ends by `end` whatever the count says.
  for (let i = 0; i < count; i++) {
    if (p + 4 > end) {
      throw new CodecError(
        "bmp.stats",
        `stat ${i + 1} of ${count} missing: ${end - p} bytes left at offset ${p}`,
        p,
      );
    }
    const type = buf.readUInt16BE(p);
    const len = buf.readUInt16BE(p + 2);
    if (p + 4 + len > end) {
      throw new CodecError(
        "bmp.stats",
        `stat type ${type} of ${len} bytes overruns the message at offset ${p}`,
        p,
      );
    }
    stats.push(decodeStat(buf, type, p + 4, len));
    p += 4 + len;
  }
  if (p !== end)
    throw new CodecError("bmp.stats", `${end - p} bytes after the ${count} stats at offset ${p}`, p);
  return stats;
}

function writeGauge(out: Buffer, off: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`BMP gauge value ${value} is not a safe integer`);
  out.writeUInt32BE(Math.floor(value / TWO_32), off);
  out.writeUInt32BE(value % TWO_32, off + 4);
}

function encodeStat(s: BmpStat): Buffer {
  const len = s.format === "bytes" ? s.data.length : STAT_FORMAT_LEN[s.format];
  if (len > 0xffff) throw new Error(`BMP stat type ${s.type} value of ${len} bytes is too long`);
  const out = Buffer.alloc(4 + len);
  out.writeUInt16BE(s.type, 0);
  out.writeUInt16BE(len, 2);
  switch (s.format) {
    case "counter32":
      out.writeUInt32BE(s.value, 4);
      break;
    case "gauge64":
      writeGauge(out, 4, s.value);
      break;
    case "afi-safi-gauge64":
      out.writeUInt16BE(s.afi, 4);
      out[6] = s.safi;
      writeGauge(out, 7, s.value);
      break;
    case "bytes":
      s.data.copy(out, 4);
      break;
  }
  return out;
}

export function encodeStats(stats: readonly BmpStat[]): Buffer {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(stats.length);
  return Buffer.concat([count, ...stats.map(encodeStat)]);
}
