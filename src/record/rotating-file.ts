/**
 * An append-only file that rotates by age and size, named by the time it was started
 * (`routewatch-20261125T150405Z.bgp.mrt`), buffered in memory and flushed by the caller (the
 * recorder flushes every second, so a crash loses at most that).
 */
import { closeSync, openSync, readdirSync, statSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../core/clock.js";

export interface RotationPolicy {
  /** Start a new file after this many seconds. */
  maxAgeSeconds: number;
  /** ... or once the file reaches this size. */
  maxBytes: number;
}

export const FILE_PREFIX = "routewatch-";

/** "20261125T150405Z" for a time in µs. */
export function fileStamp(micros: number): string {
  return new Date(Math.floor(micros / 1000))
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

export class RotatingFile {
  private fd: number | undefined;
  private path: string | undefined;
  private startedMicros = 0;
  private size = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private headerSize = 0;
  private files = 0;

  constructor(
    private readonly dir: string,
    /** File name suffix, e.g. "bgp.mrt". */
    private readonly suffix: string,
    private readonly policy: RotationPolicy,
    private readonly clock: Clock,
    /**
     * Written at the start of every file (e.g. a magic number, or a snapshot of the state so far);
     * `rotated` is false for the first file.
     */
    private readonly header: (rotated: boolean) => Buffer = () => Buffer.alloc(0),
  ) {}

  /** The file being written, if one is open. */
  get current(): string | undefined {
    return this.path;
  }

  /**
   * Appends a record. A function is called once the file it goes into is open (after a rotation has
   * written the new file's header), for records that must come after the header.
   */
  append(record: Buffer | (() => Buffer)): void {
    const now = this.clock.now();
    const tooOld = this.fd !== undefined && now - this.startedMicros >= this.policy.maxAgeSeconds * 1e6;
    const tooBig = this.fd !== undefined && this.size >= this.policy.maxBytes && this.size > this.headerSize;
    if (tooOld || tooBig) this.close();
    if (this.fd === undefined) this.open(now);
    const data = typeof record === "function" ? record() : record;
    this.pending.push(data);
    this.pendingBytes += data.length;
    this.size += data.length;
  }

  private open(now: number): void {
    let name = `${FILE_PREFIX}${fileStamp(now)}.${this.suffix}`;
    // Two files started within the same second get a counter.
    for (let i = 1; existsQuiet(join(this.dir, name)); i++)
      name = `${FILE_PREFIX}${fileStamp(now)}-${i}.${this.suffix}`;
    this.path = join(this.dir, name);
    this.fd = openSync(this.path, "wx");
    this.startedMicros = now;
    const header = this.header(this.files++ > 0);
    this.headerSize = header.length;
    this.size = 0;
    if (header.length) {
      this.pending.push(header);
      this.pendingBytes += header.length;
      this.size += header.length;
    }
  }

  /** Writes what is buffered to the file. */
  flush(): void {
    if (this.fd === undefined || this.pendingBytes === 0) return;
    const data =
      this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    let off = 0;
    while (off < data.length) off += writeSync(this.fd, data, off, data.length - off);
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.path = undefined;
  }
}

function existsQuiet(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

export interface RetentionPolicy {
  /** Delete files started longer ago than this. */
  maxAgeSeconds: number;
  /** Delete the oldest files while the total is above this. */
  maxTotalBytes: number;
}

/**
 * Deletes recordings beyond the budget, oldest first; never the files in `keep` (being written).
 * Returns the deleted paths.
 */
export function prune(
  dir: string,
  policy: RetentionPolicy,
  nowMicros: number,
  keep: ReadonlySet<string>,
): string[] {
  const files = readdirSync(dir)
    .filter((n) => n.startsWith(FILE_PREFIX))
    .sort()
    .map((n) => {
      const path = join(dir, n);
      const m = /^routewatch-(\d{8}T\d{6}Z)/.exec(n);
      const started = m
        ? Date.parse(m[1]!.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z")) *
          1000
        : 0;
      return { path, started, size: statSync(path).size };
    });
  let total = files.reduce((s, f) => s + f.size, 0);
  const deleted: string[] = [];
  for (const f of files) {
    if (keep.has(f.path)) continue;
    const old = nowMicros - f.started > policy.maxAgeSeconds * 1e6;
    if (!old && total <= policy.maxTotalBytes) continue;
    unlinkSync(f.path);
    total -= f.size;
    deleted.push(f.path);
  }
  return deleted;
}
