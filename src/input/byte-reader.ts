/**
 * Buffered reading of a capture or dump file in one reused buffer. Allocating a fresh buffer per read
 * (or the whole file at once) costs page faults that dominate a fast decode, so records are parsed
 * in place in this buffer and must not be kept past the next `ensure()` (copy what you keep).
 */
import { closeSync, openSync, readSync } from "node:fs";

/** Reads up to `len` bytes into `target` at `off`; 0 at the end of the input. */
export type ReadFn = (target: Buffer, off: number, len: number) => number | Promise<number>;

export class ByteReader {
  buf: Buffer;
  /** Unconsumed bytes are buf[start, end). */
  start = 0;
  end = 0;
  /** Bytes consumed before buf[start] (file offset of buf[start]). */
  consumedBefore = 0;
  private eof = false;

  constructor(
    private readonly read: ReadFn,
    capacity = 1 << 20,
  ) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** File offset of buf[off]. */
  offsetOf(off: number): number {
    return this.consumedBefore + (off - this.start);
  }

  get available(): number {
    return this.end - this.start;
  }

  /** Marks `n` bytes consumed. */
  skip(n: number): void {
    this.start += n;
    this.consumedBefore += n;
  }

  /**
   * Makes at least `n` unconsumed bytes available (moving them to the front and reading more,
   * growing the buffer for a record larger than it). False when the input ends first.
   */
  async ensure(n: number): Promise<boolean> {
    if (this.end - this.start >= n) return true;
    if (this.start > 0) {
      this.buf.copy(this.buf, 0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    if (n > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2));
      this.buf.copy(bigger, 0, 0, this.end);
      this.buf = bigger;
    }
    while (this.end < n && !this.eof) {
      const got = await this.read(this.buf, this.end, this.buf.length - this.end);
      if (got === 0) this.eof = true;
      this.end += got;
    }
    return this.end >= n;
  }
}

/** Reads a plain file with synchronous reads into the reader's buffer (the fastest path). */
export function fileReadFn(path: string): { read: ReadFn; close: () => void } {
  const fd = openSync(path, "r");
  return {
    read: (target, off, len) => readSync(fd, target, off, len, null),
    close: () => closeSync(fd),
  };
}

/** Reads from an async stream of chunks (a decompressor), copying each into the reader's buffer. */
export function streamReadFn(chunks: AsyncIterable<Buffer>): ReadFn {
  const it = chunks[Symbol.asyncIterator]();
  let pending: Buffer | undefined;
  return async (target, off, len) => {
    while (!pending || pending.length === 0) {
      const r = await it.next();
      if (r.done) return 0;
      pending = r.value;
    }
    const n = pending.copy(target, off, 0, Math.min(len, pending.length));
    pending = pending.subarray(n);
    return n;
  };
}

/** Reads from a Buffer already in memory. */
export function bufferReadFn(data: Buffer): ReadFn {
  let pos = 0;
  return (target, off, len) => {
    const n = data.copy(target, off, pos, Math.min(data.length, pos + len));
    pos += n;
    return n;
  };
}
