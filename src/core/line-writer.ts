/**
 * Buffered line output. Lines are encoded straight into one reused buffer and written in large
 * blocks; hot output (a decode prints millions of prefixes) can also be written piece by piece
 * (`ascii`, `int`, `prefix`) without building a JavaScript string per line. A closed pipe
 * (`| head`) ends output quietly.
 */
import { writeSync } from "node:fs";
import { AFI_IPV4, ipv6ToString, prefixToString } from "../../codec/ip.js";

const pause = new Int32Array(new SharedArrayBuffer(4));

/** ASCII digits of every byte value, for writing addresses without number-to-string conversion. */
const DIGITS: readonly Uint8Array[] = Array.from({ length: 256 }, (_, i) => Buffer.from(String(i), "latin1"));

const SCRATCH = new Uint8Array(10);

/** Where full blocks go: a file descriptor, or a function (tests, nested output). */
export type ByteSink = number | ((block: Buffer) => void);

export class LineWriter {
  private readonly buf: Buffer;
  private readonly immediate: boolean;
  private pos = 0;
  /** The reader went away (EPIPE); further output is dropped. */
  closed = false;

  constructor(
    private readonly sink: ByteSink = 1,
    /** 0 writes every line at once (for stderr). */
    batchBytes = 1 << 20,
  ) {
    this.buf = Buffer.allocUnsafe(Math.max(batchBytes, 1 << 16));
    this.immediate = batchBytes === 0;
  }

  /** A whole line of any text (UTF-8). */
  line(text: string): void {
    this.text(text);
    this.newline();
  }

  /** Text of any characters, encoded as UTF-8. */
  text(s: string): this {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (s.length * 3 > this.buf.length) {
      this.flush();
      this.emit(Buffer.from(s, "utf8"));
      return this;
    }
    this.room(s.length * 3);
    this.pos += this.buf.write(s, this.pos, "utf8");
    return this;
  }

  /** Text known to be ASCII (JSON punctuation, addresses, names): no encoding step. */
  ascii(s: string): this {
    const n = s.length;
    if (n > 64) return this.text(s);
    this.room(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
    return this;
  }

  /** A non-negative integer in decimal. */
  int(n: number): this {
    if (n >= 0 && n < 256 && (n | 0) === n) return this.bytes(DIGITS[n]!);
    if (n >= 0 && n <= 0xffffffff && Math.floor(n) === n) {
      // Digits backwards into a scratch, then copied: no string for the many 16/32-bit numbers.
      let i = 10;
      let v = n;
      do {
        const q = Math.floor(v / 10);
        SCRATCH[--i] = 48 + v - q * 10;
        v = q;
      } while (v > 0);
      this.room(10 - i);
      for (; i < 10; i++) this.buf[this.pos++] = SCRATCH[i]!;
      return this;
    }
    return this.ascii(String(n));
  }

  /** An RFC 3339 UTC timestamp with microseconds (as formatTimestamp writes it). */
  timestamp(tsMicros: number): this {
    const second = Math.floor(tsMicros / 1e6);
    if (second !== this.tsSecond) {
      this.tsSecond = second;
      this.tsPrefix = Buffer.from(new Date(second * 1000).toISOString().slice(0, 20), "latin1");
    }
    this.bytes(this.tsPrefix);
    let micros = tsMicros - second * 1e6;
    this.room(7);
    for (let i = 5; i >= 0; i--) {
      const q = Math.floor(micros / 10);
      this.buf[this.pos + i] = 48 + micros - q * 10;
      micros = q;
    }
    this.pos += 6;
    return this.char(90); // Z
  }

  private tsSecond = Number.NaN;
  private tsPrefix: Uint8Array = new Uint8Array(0);

  /** "a.b.c.d/len" or an IPv6 prefix, from the NLRI bytes at buf[off] (see prefixToString). */
  prefix(afi: number, src: Uint8Array, off: number, bits: number): this {
    if (afi !== AFI_IPV4) return this.ascii(prefixToString(afi, src, off, bits));
    const bytes = (bits + 7) >> 3;
    this.room(19);
    this.bytes(DIGITS[bytes > 0 ? src[off]! : 0]!).char(46);
    this.bytes(DIGITS[bytes > 1 ? src[off + 1]! : 0]!).char(46);
    this.bytes(DIGITS[bytes > 2 ? src[off + 2]! : 0]!).char(46);
    this.bytes(DIGITS[bytes > 3 ? src[off + 3]! : 0]!).char(47);
    return this.bytes(DIGITS[bits]!);
  }

  /** An IPv4 or IPv6 address of `len` bytes at src[off]. */
  address(src: Uint8Array, off: number, len: number): this {
    if (len !== 4) return this.ascii(ipv6ToString(src, off));
    this.room(15);
    return this.bytes(DIGITS[src[off]!]!)
      .char(46)
      .bytes(DIGITS[src[off + 1]!]!)
      .char(46)
      .bytes(DIGITS[src[off + 2]!]!)
      .char(46)
      .bytes(DIGITS[src[off + 3]!]!);
  }

  char(code: number): this {
    this.room(1);
    this.buf[this.pos++] = code;
    return this;
  }

  newline(): void {
    this.char(10);
    if (this.immediate) this.flush();
  }

  private bytes(b: Uint8Array): this {
    this.room(b.length);
    for (let i = 0; i < b.length; i++) this.buf[this.pos++] = b[i]!;
    return this;
  }

  /** Makes room for `n` more bytes (n is at most the buffer size). */
  private room(n: number): void {
    if (this.pos + n > this.buf.length) this.flush();
  }

  flush(): void {
    if (this.pos === 0) return;
    const block = this.buf.subarray(0, this.pos);
    this.pos = 0;
    this.emit(block);
  }

  private emit(data: Buffer): void {
    if (this.closed) return;
    if (typeof this.sink === "function") {
      this.sink(Buffer.from(data));
      return;
    }
    let off = 0;
    while (off < data.length && !this.closed) {
      try {
        off += writeSync(this.sink, data, off, data.length - off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "EAGAIN") {
          // Non-blocking pipe is full: wait a moment for the reader instead of spinning.
          Atomics.wait(pause, 0, 0, 1);
        } else if (code === "EPIPE") {
          this.closed = true;
        } else throw e;
      }
    }
  }
}

/** Collects output lines in memory (tests, and JSON objects built with the same writers). */
export function memoryWriter(): { writer: LineWriter; text: () => string } {
  const blocks: Buffer[] = [];
  const writer = new LineWriter((b) => blocks.push(b));
  return {
    writer,
    text: () => {
      writer.flush();
      return Buffer.concat(blocks).toString("utf8");
    },
  };
}
