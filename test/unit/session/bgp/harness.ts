/**
 * Test bench for the BGP speaker: a speaker on 127.0.0.1 with an ephemeral port, and scripted raw
 * TCP peers built from the codec's encoders. Every byte routewatch sends to a test peer is kept so
 * each test file can prove afterwards that none of it is a route (passive by construction).
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { Writable } from "node:stream";
import { expect } from "vitest";
import {
  decodeMessage,
  encodeKeepalive,
  encodeOpen,
  SAFI_UNICAST,
  type BgpMessage,
  type Capability,
  type NotificationMessage,
  type OpenFields,
  type UpdateMessage,
} from "../../../../codec/bgp/index.js";
import { bgpFramer } from "../../../../codec/framer.js";
import { realClock, type Clock } from "../../../../src/core/clock.js";
import { buildConfig, type Config } from "../../../../src/core/config.js";
import { createLogger } from "../../../../src/core/log.js";
import { Metrics } from "../../../../src/core/metrics.js";
import { Rib } from "../../../../src/rib/rib.js";
import { BgpSpeaker, type SessionInfo } from "../../../../src/session/bgp/index.js";

/** Every byte stream routewatch wrote to a test peer in this file. */
const received: Buffer[][] = [];

export interface Bench {
  speaker: BgpSpeaker;
  rib: Rib;
  metrics: Metrics;
  config: Config;
  port: number;
  /** Log records (pino JSON objects). */
  logs: Record<string, unknown>[];
  session(address: string): SessionInfo | undefined;
  stop(): Promise<void>;
}

/** Starts a speaker on 127.0.0.1:0 with `bgp` settings merged over test defaults. */
export async function startSpeaker(
  opts: {
    bgp?: Record<string, unknown>;
    asn?: number;
    clock?: Clock;
    routerId?: string;
    /** Default 127.0.0.1 with an ephemeral port. */
    listen?: { host: string; port: number };
  } = {},
): Promise<Bench> {
  const config = buildConfig({
    asn: opts.asn ?? 64512,
    routerId: opts.routerId ?? "10.0.0.1",
    bgp: { allowPeers: ["127.0.0.0/8"], ...opts.bgp },
  });
  // Config files cannot ask for port 0; tests set the parsed value to get an ephemeral port.
  config.bgp.listen = [opts.listen ?? { host: "127.0.0.1", port: 0 }];
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split("\n")) if (line) logs.push(JSON.parse(line) as never);
      done();
    },
  });
  const log = createLogger("debug", sink);
  const rib = new Rib();
  const metrics = new Metrics();
  const speaker = new BgpSpeaker({ config, rib, clock: opts.clock ?? realClock, log, metrics });
  await speaker.start();
  const port = speaker.listening()[0]!.port;
  return {
    speaker,
    rib,
    metrics,
    config,
    port,
    logs,
    session: (address) => speaker.sessions().find((s) => s.address === address),
    stop: () => speaker.stop("test over"),
  };
}

/** Polls `cond` every 5 ms until true; fails after `ms`. */
export async function waitFor(cond: () => boolean, ms = 2000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A counter's value for the given labels (0 when never counted). */
export async function counter(
  metrics: Metrics,
  name: keyof Metrics,
  labels: Record<string, string>,
): Promise<number> {
  const m = metrics[name] as unknown as {
    get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }>;
  };
  const { values } = await m.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))
    .reduce((a, v) => a + v.value, 0);
}

export function peerOpen(f: Partial<OpenFields> & { caps?: Capability[] } = {}): Buffer {
  return encodeOpen({
    asn: f.asn ?? 64512,
    holdTime: f.holdTime ?? 90,
    bgpId: f.bgpId ?? "10.9.9.9",
    capabilities: f.caps ?? standardCaps(f.asn ?? 64512),
    ...(f.version !== undefined ? { version: f.version } : {}),
  });
}

export function standardCaps(asn: number, extra: Capability[] = []): Capability[] {
  return [
    { name: "multiprotocol", code: 1, afi: 1, safi: SAFI_UNICAST },
    { name: "multiprotocol", code: 1, afi: 2, safi: SAFI_UNICAST },
    { name: "route-refresh", code: 2 },
    { name: "as4", code: 65, asn },
    ...extra,
  ];
}

export function grCap(restartTime: number, forwarding = true, restarting = false): Capability {
  return {
    name: "graceful-restart",
    code: 64,
    restarting,
    notification: false,
    restartTime,
    families: [
      { afi: 1, safi: 1, forwardingPreserved: forwarding },
      { afi: 2, safi: 1, forwardingPreserved: forwarding },
    ],
  };
}

/** A scripted BGP peer over a raw TCP socket. */
export class TestPeer {
  readonly messages: BgpMessage[] = [];
  readonly raw: Buffer[] = [];
  closed = false;
  private readonly framer = bgpFramer({ as4: true, extendedMessage: true });
  private waiters: (() => void)[] = [];
  private cursor = 0;

  private constructor(readonly socket: Socket) {
    received.push(this.raw);
    socket.on("data", (chunk: Buffer) => {
      this.raw.push(Buffer.from(chunk));
      this.framer.push(chunk, (m) => this.messages.push(decodeMessage(Buffer.from(m), 0, { as4: true })));
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => undefined);
  }

  /** Connects from `localAddress` (any 127/8 address works on Linux loopback). */
  static connect(port: number, localAddress = "127.0.0.1", host = "127.0.0.1"): Promise<TestPeer> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port, localAddress });
      s.once("error", reject);
      s.once("connect", () => {
        s.off("error", reject);
        resolve(new TestPeer(s));
      });
    });
  }

  /** Wraps a socket accepted by a test server (for the speaker's outbound connections). */
  static wrap(socket: Socket): TestPeer {
    return new TestPeer(socket);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async until(cond: () => boolean, ms: number, what: string): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`test peer: timed out waiting for ${what}; got ${this.summary()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  summary(): string {
    return this.messages.map((m) => m.type).join(",") + (this.closed ? ",<closed>" : "");
  }

  /** The next message not yet taken, of `type` if given (others before it are skipped). */
  async next<T extends BgpMessage["type"]>(type?: T, ms = 2000): Promise<Extract<BgpMessage, { type: T }>> {
    let found: BgpMessage | undefined;
    await this.until(
      () => {
        while (this.cursor < this.messages.length) {
          const m = this.messages[this.cursor++]!;
          if (!type || m.type === type) {
            found = m;
            return true;
          }
        }
        return this.closed;
      },
      ms,
      type ?? "a message",
    );
    if (!found)
      throw new Error(`test peer: connection closed before ${type ?? "a message"}; got ${this.summary()}`);
    return found as Extract<BgpMessage, { type: T }>;
  }

  async notification(ms = 2000): Promise<NotificationMessage> {
    return this.next("NOTIFICATION", ms);
  }

  waitClosed(ms = 3000): Promise<void> {
    return this.until(() => this.closed, ms, "close");
  }

  send(...bufs: Buffer[]): void {
    for (const b of bufs) this.socket.write(b);
  }

  /** OPEN, then KEEPALIVE after routewatch's OPEN and KEEPALIVE: the session is Established for us. */
  async establish(open: Buffer = peerOpen()): Promise<void> {
    this.send(open);
    await this.next("OPEN");
    await this.next("KEEPALIVE");
    this.send(encodeKeepalive());
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Sent by routewatch after the handshake: End-of-RIB markers per family. */
  endOfRibs(): string[] {
    return this.messages
      .filter((m): m is UpdateMessage => m.type === "UPDATE")
      .map((u) => {
        const f = u.endOfRib();
        return f ? `${f.afi}/${f.safi}` : "route";
      });
  }
}

/** A listening test peer for the speaker's outbound connections. */
export async function testServer(
  host: string,
): Promise<{ server: Server; port: number; accepted: TestPeer[] }> {
  const accepted: TestPeer[] = [];
  const server = createServer((s) => accepted.push(TestPeer.wrap(s)));
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  return { server, port: (server.address() as AddressInfo).port, accepted };
}

/**
 * Passive proof for a test file: every BGP message routewatch wrote to any test peer decodes, and
 * the only UPDATEs among them are End-of-RIB markers.
 */
export function expectPassive(): void {
  let messages = 0;
  for (const chunks of received) {
    const stream = Buffer.concat(chunks);
    const framer = bgpFramer({ as4: true, extendedMessage: true });
    framer.push(stream, (frame) => {
      const m = decodeMessage(frame, 0, { as4: true });
      messages++;
      if (m.type === "UPDATE") {
        expect(
          m.endOfRib(),
          `routewatch sent an UPDATE that is not End-of-RIB: ${frame.toString("hex")}`,
        ).toBeDefined();
        expect(m.announcedCount() + m.withdrawnCount()).toBe(0);
      }
    });
    expect(framer.buffered).toBe(0);
  }
  expect(messages).toBeGreaterThan(0);
}

export const CEASE = 6;
