/**
 * Streaming framers: turn a TCP byte stream (partial reads, several messages per read) into whole
 * messages. Complete messages are returned as views into the received chunks (no copy); only a
 * message split across reads is copied once. Buffered bytes are bounded by the largest message.
 */
import { CodecError } from "./errors.js";
import { HEADER_LEN } from "./bgp/constants.js";
import { decodeHeader } from "./bgp/message.js";
import type { BgpDecodeOptions } from "./bgp/options.js";

/** Returns the whole frame length once the header is readable, or -1 when more bytes are needed. */
export type FrameLength = (buf: Buffer, off: number) => number;

export class StreamFramer {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly frameLength: FrameLength) {}

  /** Bytes held while waiting for the rest of a message. */
  get buffered(): number {
    return this.pending.length;
  }

  /**
   * Adds a chunk and returns the messages it completes. Throws (CodecError / BgpError) when a
   * header is invalid; the stream cannot be resynchronised after that.
   */
  push(chunk: Buffer): Buffer[] {
    const buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: Buffer[] = [];
    let off = 0;
    while (true) {
      const len = this.frameLength(buf, off);
      if (len < 0 || off + len > buf.length) break;
      out.push(buf.subarray(off, off + len));
      off += len;
    }
    // Copy the tail so a small leftover does not pin a large chunk in memory.
    this.pending = off === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(off));
    return out;
  }
}

/** BGP: 19-byte header with the length at offset 16. */
export function bgpFrameLength(opts?: BgpDecodeOptions): FrameLength {
  return (buf, off) => (buf.length - off < HEADER_LEN ? -1 : decodeHeader(buf, off, opts).length);
}

/** Largest BMP message accepted: far above any real one (a BGP message is at most 64 KiB). */
export const MAX_BMP_MESSAGE = 1 << 20;

/** BMP (RFC 7854 4.1): version 3, 4-byte length at offset 1. */
export const bmpFrameLength: FrameLength = (buf, off) => {
  if (buf.length - off < 6) return -1;
  const version = buf[off]!;
  if (version !== 3) throw new CodecError("bmp.version", `BMP version ${version} at offset ${off}, expected 3`, off);
  const len = buf.readUInt32BE(off + 1);
  if (len < 6 || len > MAX_BMP_MESSAGE) {
    throw new CodecError("bmp.length", `BMP message length ${len} at offset ${off} (expected 6..${MAX_BMP_MESSAGE})`, off);
  }
  return len;
};

export function bgpFramer(opts?: BgpDecodeOptions): StreamFramer {
  return new StreamFramer(bgpFrameLength(opts));
}

export function bmpFramer(): StreamFramer {
  return new StreamFramer(bmpFrameLength);
}
