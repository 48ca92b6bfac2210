/**
 * The BMP byte streams of the golden captures (fixtures/captures, recorded from FRR 8.4 and GoBGP
 * 3.10), taken out with the capture codec, and a TCP client that replays them in random chunks.
 */
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { decodeCapture } from "../../../../codec/pcap/index.js";

const CAPTURES = fileURLToPath(new URL("../../../../fixtures/captures/", import.meta.url));

/** The BMP messages a router sent on the first BMP connection of a capture, in order. */
export function bmpMessages(file: string): Buffer[] {
  const out: Buffer[] = [];
  let connection: number | undefined;
  for (const ev of decodeCapture(readFileSync(CAPTURES + file))) {
    if (ev.kind === "closed") continue;
    if (ev.kind !== "message") {
      throw new Error(`${file}: capture problem ${ev.kind}: ${ev.message}`);
    }
    if (ev.transport !== "bmp") continue;
    connection ??= ev.connection;
    if (ev.connection === connection) out.push(Buffer.from(ev.bytes));
  }
  if (out.length === 0) throw new Error(`${file}: no BMP messages`);
  return out;
}

/** A small seeded PRNG (mulberry32) so a failing chunking can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A router stand-in: a TCP client that writes BMP bytes in random chunk sizes (1 byte to 3 KB). */
export class RouterClient {
  readonly closed: Promise<void>;
  private constructor(
    readonly socket: Socket,
    private readonly random: () => number,
  ) {
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => undefined); // a reset by the collector is expected in some tests
  }

  static async connect(
    port: number,
    host: string,
    opts: { localAddress?: string; seed?: number } = {},
  ): Promise<RouterClient> {
    const socket = connect({ port, host, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    return new RouterClient(socket, rng(opts.seed ?? 1));
  }

  /** Writes the messages as one stream cut at random places; resolves once flushed to the kernel. */
  async send(messages: readonly Buffer[]): Promise<void> {
    const stream = Buffer.concat(messages);
    for (let off = 0; off < stream.length;) {
      const size = 1 + Math.floor(this.random() * (this.random() < 0.3 ? 16 : 3000));
      const chunk = stream.subarray(off, off + size);
      off += chunk.length;
      if (!this.socket.write(chunk)) await new Promise((r) => this.socket.once("drain", r));
      // Let some chunks arrive on their own so the collector sees real partial reads.
      if (this.random() < 0.2) await new Promise((r) => setImmediate(r));
    }
  }

  end(): void {
    this.socket.end();
  }
}

/** Polls `check` until it holds (or throws after `ms`). */
export async function waitFor(check: () => boolean, ms = 3000, what = "condition"): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
