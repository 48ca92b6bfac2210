/** The MRT common header (RFC 6396 2 and 3), written in front of a record body. */
import { isExtendedTimestampType, MRT_HEADER_LEN } from "./constants.js";

export interface MrtRecordFields {
  /** Microseconds since the Unix epoch; only _ET types keep the sub-second part. */
  tsMicros: number;
  type: number;
  subtype: number;
  /** The body, without the microsecond field of _ET types (written here). */
  body: Buffer;
}

const MAX_SECONDS = 0xffffffff;

/** Header + body. For BGP4MP_ET, ISIS_ET and OSPFv3_ET the microsecond field leads the body. */
export function encodeMrtRecord(r: MrtRecordFields): Buffer {
  if (!Number.isSafeInteger(r.tsMicros) || r.tsMicros < 0)
    throw new Error(`MRT timestamp ${r.tsMicros} is not a count of microseconds`);
  const seconds = Math.floor(r.tsMicros / 1_000_000);
  if (seconds > MAX_SECONDS) throw new Error(`MRT timestamp ${r.tsMicros} does not fit 32-bit seconds`);
  const et = isExtendedTimestampType(r.type);
  const length = r.body.length + (et ? 4 : 0);
  if (length > 0xffffffff) throw new Error(`MRT body of ${length} bytes is too long`);
  const out = Buffer.allocUnsafe(MRT_HEADER_LEN + length);
  out.writeUInt32BE(seconds, 0);
  out.writeUInt16BE(r.type, 4);
  out.writeUInt16BE(r.subtype, 6);
  out.writeUInt32BE(length, 8);
  let off = MRT_HEADER_LEN;
  if (et) off = out.writeUInt32BE(r.tsMicros - seconds * 1_000_000, off);
  r.body.copy(out, off);
  return out;
}
