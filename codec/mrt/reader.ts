/**
 * MRT record framing (RFC 6396 section 2): a 12-byte common header, then the body. Walks one Buffer
 * holding a whole file by offsets; a record is a small object over that Buffer, its body a view made
 * only when asked for, so a walk allocates one object per record and copies nothing.
 */
import { CodecError } from "../errors.js";
import { isExtendedTimestampType, MRT_HEADER_LEN } from "./constants.js";

/** One MRT record: header fields and where its body lies in `buf`. */
export class MrtRecord {
  private view: Buffer | undefined;

  constructor(
    /** The buffer the record was read from (the whole file). */
    readonly buf: Buffer,
    /** Offset of the record's header in `buf`. */
    readonly offset: number,
    /** Header timestamp in microseconds; the _ET types add their microsecond field (RFC 6396 3). */
    readonly tsMicros: number,
    readonly type: number,
    readonly subtype: number,
    /** Body bounds in `buf`; for _ET types the body starts after the microsecond field. */
    readonly bodyStart: number,
    readonly bodyEnd: number,
  ) {}

  /** The body as a view over `buf` (no copy). */
  get body(): Buffer {
    return (this.view ??= this.buf.subarray(this.bodyStart, this.bodyEnd));
  }

  /** Offset just past this record in `buf`. */
  get end(): number {
    return this.bodyEnd;
  }
}

function u32(buf: Buffer, off: number): number {
  return buf[off]! * 0x1000000 + ((buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!);
}

/**
 * Reads records one at a time with `next()`, or with for..of. A record that overruns the buffer
 * throws a CodecError ("mrt.truncated") and ends the walk: later calls return undefined.
 */
export class MrtReader implements Iterable<MrtRecord> {
  private off: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
  ) {
    this.off = start;
  }

  /** Offset of the next record to read (buf.length when done or after an error). */
  get offset(): number {
    return this.off;
  }

  next(): MrtRecord | undefined {
    const buf = this.buf;
    const off = this.off;
    const left = buf.length - off;
    if (left <= 0) return undefined;
    if (left < MRT_HEADER_LEN) {
      this.off = buf.length;
      throw new CodecError(
        "mrt.truncated",
        `MRT header truncated at offset ${off}: need ${MRT_HEADER_LEN} bytes, ${left} left`,
        off,
      );
    }
    const seconds = u32(buf, off);
    const type = (buf[off + 4]! << 8) | buf[off + 5]!;
    const subtype = (buf[off + 6]! << 8) | buf[off + 7]!;
    const length = u32(buf, off + 8);
    let bodyStart = off + MRT_HEADER_LEN;
    const bodyEnd = bodyStart + length;
    if (bodyEnd > buf.length) {
      this.off = buf.length;
      throw new CodecError(
        "mrt.truncated",
        `MRT record at offset ${off} declares a body of ${length} bytes, ${buf.length - bodyStart} left`,
        off,
      );
    }
    let micros = 0;
    if (isExtendedTimestampType(type)) {
      if (length < 4) {
        this.off = buf.length;
        throw new CodecError(
          "mrt.truncated",
          `MRT record at offset ${off} of extended-timestamp type ${type} declares ${length} bytes, ` +
            `less than its 4-byte microsecond field`,
          off,
        );
      }
      micros = u32(buf, bodyStart);
      bodyStart += 4;
    }
    this.off = bodyEnd;
    return new MrtRecord(buf, off, seconds * 1_000_000 + micros, type, subtype, bodyStart, bodyEnd);
  }

  [Symbol.iterator](): Iterator<MrtRecord> {
    return {
      next: (): IteratorResult<MrtRecord> => {
        const value = this.next();
        return value === undefined ? { done: true, value: undefined } : { done: false, value };
      },
    };
  }
}

/** Records of the MRT file in `buf`, in order. */
export function readMrt(buf: Buffer): MrtReader {
  return new MrtReader(buf);
}
