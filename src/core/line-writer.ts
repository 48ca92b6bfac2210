/**
 * Buffered line output to a file descriptor: lines are encoded straight into one reused buffer and
 * written in large blocks (one write per line would dominate a decode that prints millions of
 * lines). A closed pipe (`| head`) ends output quietly.
 */
import { writeSync } from "node:fs";

const pause = new Int32Array(new SharedArrayBuffer(4));

export class LineWriter {
  private readonly buf: Buffer;
  private readonly immediate: boolean;
  private pos = 0;
  /** The reader went away (EPIPE); further lines are dropped. */
  closed = false;

  constructor(
    private readonly fd = 1,
    /** 0 writes every line at once (for stderr). */
    batchBytes = 1 << 20,
  ) {
    this.buf = Buffer.allocUnsafe(Math.max(batchBytes, 1 << 12));
    this.immediate = batchBytes === 0;
  }

  line(text: string): void {
    if (this.closed) return;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.pos + text.length * 3 + 1 > this.buf.length) {
      this.flush();
      if (text.length * 3 + 1 > this.buf.length) {
        this.writeAll(Buffer.from(`${text}\n`, "utf8"));
        return;
      }
    }
    this.pos += this.buf.write(text, this.pos, "utf8");
    this.buf[this.pos++] = 10;
    if (this.immediate) this.flush();
  }

  flush(): void {
    if (this.pos === 0 || this.closed) return;
    this.writeAll(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  private writeAll(data: Buffer): void {
    let off = 0;
    while (off < data.length && !this.closed) {
      try {
        off += writeSync(this.fd, data, off, data.length - off);
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
