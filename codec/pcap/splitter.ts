/**
 * One direction of a TCP stream cut into BGP or BMP messages. Header checks are the framers'
 * own (codec/framer.ts); what this adds is recovery: after a hole in the stream, a capture
 * that starts mid-session, or a header the framer rejects, it searches forward for the next
 * plausible header and reports how many bytes it skipped.
 *
 * Messages inside one chunk are views of it; a message split across chunks is joined once.
 * Every byte pushed ends up in exactly one place: a message, a "resync" count or an
 * "incomplete" count (at end()).
 */
import { CodecError } from "../errors.js";
import { HEADER_LEN, MARKER_LEN, MSG_OPEN, MSG_ROUTE_REFRESH } from "../bgp/constants.js";
import { bgpFrameLength, bmpFrameLength, MAX_BMP_MESSAGE, type FrameLength } from "../framer.js";
import type { Transport } from "./events.js";

export interface SplitterSink {
  message(bytes: Buffer): void;
  problem(kind: "bad-frame" | "resync" | "incomplete", bytes: number, message: string): void;
}

interface Dialect {
  name: string;
  headerLen: number;
  /** The framer's header check: frame length, or a CodecError. */
  frameLength: FrameLength;
  /** First byte of every header, to jump with indexOf while searching. */
  firstByte: number;
  /**
   * While searching: could a message start at `off`? Cheap, never throws; undefined when more
   * bytes are needed to tell (never more than the message itself).
   */
  plausible(buf: Buffer, off: number): boolean | undefined;
}

/** A BGP header at `at` (marker, type 1..5), whose length is `exactLen` when given. */
function bgpHeaderAt(buf: Buffer, at: number, exactLen?: number): boolean | undefined {
  if (buf.length - at < HEADER_LEN) return undefined;
  for (let i = 0; i < MARKER_LEN; i++) if (buf[at + i] !== 0xff) return false;
  const type = buf[at + 18]!;
  if (type < MSG_OPEN || type > MSG_ROUTE_REFRESH) return false;
  return exactLen === undefined || buf.readUInt16BE(at + 16) === exactLen;
}

/**
 * A capture cannot know whether RFC 8654 extended messages were negotiated; accepting up to
 * 65535 bytes lets through what the peers themselves accepted.
 */
const BGP: Dialect = {
  name: "BGP",
  headerLen: HEADER_LEN,
  frameLength: bgpFrameLength({ as4: true, extendedMessage: true }),
  firstByte: 0xff,
  plausible: (buf, off) => bgpHeaderAt(buf, off),
};

// RFC 7854 4.1-4.9 (and RFC 9069 for peer type 3): what the first bytes of a real message look like.
const BMP_VERSION = 3;
const BMP_COMMON = 6;
const BMP_PER_PEER_END = BMP_COMMON + 42;
const BMP_ROUTE_MONITORING = 0;
const BMP_PEER_DOWN = 2;
const BMP_PEER_UP = 3;
const BMP_INITIATION = 4;
const BMP_TERMINATION = 5;
/** Per-peer header + local address and ports (4.10), where the sent OPEN starts. */
const BMP_PEER_UP_OPEN = BMP_PER_PEER_END + 20;
/** The largest plausible message: a per-peer header, a Peer Up's extra bytes and a 65535-byte BGP message. */
const BMP_PLAUSIBLE_MAX = BMP_PEER_UP_OPEN + 65535;

const BMP: Dialect = {
  name: "BMP",
  headerLen: BMP_COMMON,
  frameLength: bmpFrameLength,
  firstByte: BMP_VERSION,
  plausible(buf, off) {
    const avail = buf.length - off;
    const len = buf.readUInt32BE(off + 1);
    const type = buf[off + 5]!;
    if (type > 6 || len > Math.min(BMP_PLAUSIBLE_MAX, MAX_BMP_MESSAGE)) return false;
    if (type === BMP_INITIATION || type === BMP_TERMINATION) {
      // Information TLVs (4.3, 4.4): the first one fits.
      if (len === BMP_COMMON) return true;
      if (len < BMP_COMMON + 4) return false;
      if (avail < BMP_COMMON + 4) return undefined;
      return buf.readUInt16BE(off + 8) + BMP_COMMON + 4 <= len;
    }
    if (len < BMP_PER_PEER_END) return false;
    if (avail < BMP_PER_PEER_END) return undefined;
    // Per-peer header (4.2): peer type 0..3, low 4 flag bits reserved, microseconds below 10^6.
    if (buf[off + 6]! > 3 || (buf[off + 7]! & 0x0f) !== 0 || buf.readUInt32BE(off + 44) >= 1_000_000)
      return false;
    switch (type) {
      case BMP_ROUTE_MONITORING: // exactly one BGP UPDATE follows (4.6)
        return (
          len >= BMP_PER_PEER_END + HEADER_LEN &&
          bgpHeaderAt(buf, off + BMP_PER_PEER_END, len - BMP_PER_PEER_END)
        );
      case BMP_PEER_UP: // the sent OPEN follows the local address and ports (4.10)
        return len >= BMP_PEER_UP_OPEN + HEADER_LEN && bgpHeaderAt(buf, off + BMP_PEER_UP_OPEN);
      case BMP_PEER_DOWN: // reason 1..5 (4.9), 6 (RFC 9069)
        if (len < BMP_PER_PEER_END + 1) return false;
        if (avail < BMP_PER_PEER_END + 1) return undefined;
        return buf[off + BMP_PER_PEER_END]! >= 1 && buf[off + BMP_PER_PEER_END]! <= 6;
      default:
        return true;
    }
  },
};

export class MessageSplitter {
  private readonly d: Dialect;
  /** Bytes waiting: the start of a message (framing) or the last few bytes searched (searching). */
  private held: Buffer[] = [];
  private heldLen = 0;
  /** Length of the message being held, once its header is complete; -1 before. */
  private need = -1;
  /** Why we are searching for a header, or undefined while framing normally. */
  private searching: string | undefined;
  private skipped = 0;
  /** Stream offset of the first held byte (or of the next chunk when nothing is held). */
  private pos = 0;

  constructor(
    transport: Transport,
    private readonly sink: SplitterSink,
  ) {
    this.d = transport === "bgp" ? BGP : BMP;
  }

  /** Starts searching for a header instead of expecting one at the next byte. */
  resync(reason: string): void {
    this.skipped += this.heldLen;
    this.pos += this.heldLen;
    this.clear();
    this.searching ??= reason;
  }

  /** `missing` bytes of the stream are lost: whatever is held cannot complete. */
  lost(missing: number, reason: string): void {
    this.resync(reason);
    this.pos += missing;
  }

  push(chunk: Buffer): void {
    let rest: Buffer | undefined = chunk;
    if (this.searching !== undefined) rest = this.search(chunk, 0);
    else if (this.heldLen > 0) rest = this.fill(chunk);
    while (rest !== undefined && rest.length > 0) rest = this.split(rest);
  }

  /** The stream is over: reports what could not become a message. */
  end(): void {
    if (this.searching !== undefined) {
      const bytes = this.skipped + this.heldLen;
      if (bytes > 0) {
        this.sink.problem(
          "resync",
          bytes,
          `${this.searching}: stream ended before a ${this.d.name} header was found (${bytes} bytes skipped)`,
        );
      }
    } else if (this.heldLen > 0) {
      const of = this.need >= 0 ? ` of a ${this.need}-byte message` : "";
      this.sink.problem(
        "incomplete",
        this.heldLen,
        `stream ended after ${this.heldLen} bytes${of} at stream offset ${this.pos}`,
      );
    }
    this.pos += this.heldLen;
    this.clear();
    this.searching = undefined;
    this.skipped = 0;
  }

  /** Frames messages from the start of `chunk`; returns what follows a bad header (already resynchronised). */
  private split(chunk: Buffer): Buffer | undefined {
    const { headerLen, frameLength } = this.d;
    let off = 0;
    while (off < chunk.length) {
      const left = chunk.length - off;
      if (left < headerLen) return this.hold(chunk.subarray(off), -1);
      let len: number;
      try {
        len = frameLength(chunk, off);
      } catch (e) {
        this.pos += off;
        return this.badFrame(e, chunk.subarray(off));
      }
      if (len > left) {
        this.pos += off;
        return this.hold(chunk.subarray(off), len);
      }
      this.sink.message(chunk.subarray(off, off + len));
      off += len;
    }
    this.pos += off;
    return undefined;
  }

  /** Adds `chunk` to a held partial message; returns the bytes after the message once it completes. */
  private fill(chunk: Buffer): Buffer | undefined {
    const { headerLen, frameLength } = this.d;
    if (this.need < 0) {
      if (this.heldLen + chunk.length < headerLen) return this.hold(chunk, -1);
      const header = Buffer.concat([...this.held, chunk.subarray(0, headerLen - this.heldLen)], headerLen);
      try {
        this.need = frameLength(header, 0);
      } catch (e) {
        const data = Buffer.concat([...this.held, chunk]);
        this.clear();
        return this.badFrame(e, data);
      }
    }
    const missing = this.need - this.heldLen;
    if (chunk.length < missing) return this.hold(chunk, this.need);
    const message = Buffer.concat([...this.held, chunk.subarray(0, missing)], this.need);
    this.pos += this.need;
    this.clear();
    this.sink.message(message);
    return chunk.subarray(missing);
  }

  private badFrame(e: unknown, data: Buffer): Buffer | undefined {
    if (!(e instanceof CodecError)) throw e;
    this.sink.problem(
      "bad-frame",
      0,
      `${this.d.name} header rejected at stream offset ${this.pos} (${e.kind}): ${e.message}`,
    );
    this.searching = "bad header";
    return this.search(data, 1);
  }

  /**
   * Looks for a plausible header in held + `chunk`, from `from`. Returns the data starting at it,
   * or undefined after keeping the last few bytes (a header may straddle the next chunk).
   */
  private search(chunk: Buffer, from: number): Buffer | undefined {
    const { headerLen, firstByte } = this.d;
    const data = this.heldLen > 0 ? Buffer.concat([...this.held, chunk]) : chunk;
    this.clear();
    let p = from;
    while (true) {
      p = data.indexOf(firstByte, p);
      if (p < 0) p = data.length;
      if (p > data.length - headerLen) break;
      const verdict = this.isHeader(data, p);
      if (verdict === undefined) break; // judged when more bytes arrive
      if (verdict) {
        this.skipped += p;
        this.pos += p;
        if (this.skipped > 0) {
          this.sink.problem(
            "resync",
            this.skipped,
            `${this.searching}: skipped ${this.skipped} bytes to the ${this.d.name} header at stream offset ${this.pos}`,
          );
        }
        this.searching = undefined;
        this.skipped = 0;
        return data.subarray(p);
      }
      p++;
    }
    this.skipped += p;
    this.pos += p;
    // Copy: the few bytes still to judge (under 90) should not pin a large chunk.
    if (p < data.length) this.hold(Buffer.from(data.subarray(p)), -1);
    return undefined;
  }

  private isHeader(buf: Buffer, off: number): boolean | undefined {
    const plausible = this.d.plausible(buf, off);
    if (plausible !== true) return plausible;
    try {
      this.d.frameLength(buf, off);
      return true;
    } catch (e) {
      if (e instanceof CodecError) return false;
      throw e;
    }
  }

  private hold(bytes: Buffer, need: number): undefined {
    this.held.push(bytes);
    this.heldLen += bytes.length;
    this.need = need;
    return undefined;
  }

  private clear(): void {
    this.held = [];
    this.heldLen = 0;
    this.need = -1;
  }
}
