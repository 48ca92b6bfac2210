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
  /** Bytes received but not yet part of a whole message, as received (joined once complete). */
  private chunks: Buffer[] = [];
  private held = 0;

  constructor(private readonly frameLength: FrameLength) {}

  /** Bytes held while waiting for the rest of a message. */
  get buffered(): number {
    return this.held;
  }

  /**
   * Adds a chunk and hands each message it completes to `onMessage`, in order. Throws (CodecError /
   * BgpError) at an invalid header, after delivering the messages before it; the stream cannot be
   * followed after that.
   */
  push(chunk: Buffer, onMessage: (message: Buffer) => void): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.held += chunk.length;
    while (this.held > 0) {
      let buf = this.chunks[0]!;
      if (buf.length < this.held && buf.length < MIN_HEADER) buf = this.join();
      const len = this.frameLength(buf, 0);
      if (len < 0 || len > this.held) break; // wait for the rest of the header or message
      if (buf.length < len) buf = this.join();
      onMessage(buf.subarray(0, len));
      this.consume(len);
    }
    this.compact();
  }

  /** Joins the held chunks into one (only when a header or message spans chunks). */
  private join(): Buffer {
    const joined = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.held);
    this.chunks = [joined];
    return joined;
  }

  private consume(n: number): void {
    const first = this.chunks[0]!;
    this.held -= n;
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
  }

  /** Copies a small leftover that is a view of a much larger chunk, so it does not pin it in memory. */
  private compact(): void {
    const first = this.chunks[0];
    if (first && first.buffer.byteLength > 2 * first.length) this.chunks[0] = Buffer.from(first);
  }
}

/** The longest header any framer needs to read a length (BGP's 19 bytes). */
const MIN_HEADER = 19;

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
  if (version !== 3)
    throw new CodecError("bmp.version", `BMP version ${version} at offset ${off}, expected 3`, off);
  const len = buf.readUInt32BE(off + 1);
  if (len < 6 || len > MAX_BMP_MESSAGE) {
    throw new CodecError(
      "bmp.length",
      `BMP message length ${len} at offset ${off} (expected 6..${MAX_BMP_MESSAGE})`,
      off,
    );
  }
  return len;
};

export function bgpFramer(opts?: BgpDecodeOptions): StreamFramer {
  return new StreamFramer(bgpFrameLength(opts));
}

export function bmpFramer(): StreamFramer {
  return new StreamFramer(bmpFrameLength);
}
