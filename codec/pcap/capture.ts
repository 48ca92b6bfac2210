/**
 * decodeCapture: a pcap or pcapng file to the BGP and BMP messages its TCP connections carry,
 * per direction, timestamped with the packet that completed each message (as tshark reports a
 * reassembled PDU). A generator: packets are read, reassembled and split as it is iterated.
 */
import { ipToString } from "../ip.js";
import {
  DEFAULT_BGP_PORTS,
  DEFAULT_BMP_PORTS,
  DEFAULT_MAX_BUFFERED_PER_STREAM,
  DEFAULT_MAX_BUFFERED_TOTAL,
  DEFAULT_MAX_CONNECTIONS,
  type CaptureEvent,
  type CaptureOptions,
  type ProblemKind,
  type StreamRef,
  type Transport,
} from "./events.js";
import { locateIp } from "./link.js";
import { parseTcpPacket, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpSegment } from "./packet.js";
import { TcpDirection, type BufferBudget } from "./reassembly.js";
import { readRecords, type PacketRecord } from "./records.js";
import { MessageSplitter } from "./splitter.js";

interface Direction {
  ref: StreamRef;
  tcp: TcpDirection;
}

interface Connection {
  /** Endpoint key (address bytes + port) of the side that is direction 0. */
  side0: string;
  dirs: [Direction, Direction];
  closed: boolean;
  /** The side whose FIN came first, once one did. */
  firstFin?: 0 | 1;
}

/** Position in the capture, for the events being produced. */
interface Clock {
  frame: number;
  tsMicros: number;
}

/**
 * Iterates the messages and problems of a capture. Throws CodecError for a file that is not
 * pcap/pcapng or whose structure is broken; a file cut short ends with a "truncated-file" event.
 */
export function* decodeCapture(buf: Buffer, opts: CaptureOptions = {}): Generator<CaptureEvent> {
  const reader = new CaptureReader(opts);
  for (const rec of readRecords(buf)) {
    if (rec.kind === "truncated-file") {
      reader.truncatedFile(rec.message);
      break;
    }
    reader.packet(rec);
    yield* reader.drain();
  }
  reader.finish();
  yield* reader.drain();
}

class CaptureReader {
  private readonly bgpPorts: ReadonlySet<number>;
  private readonly bmpPorts: ReadonlySet<number>;
  private readonly maxPerStream: number;
  private readonly maxTotal: number;
  private readonly maxConnections: number;
  private readonly connections = new Map<string, Connection>();
  private readonly budget: BufferBudget = { buffered: 0 };
  private readonly clock: Clock = { frame: 0, tsMicros: 0 };
  private readonly reportedLinks = new Set<number>();
  private readonly refused = new Set<string>();
  private live = 0;
  private nextConnection = 0;
  private readonly out: CaptureEvent[] = [];

  constructor(opts: CaptureOptions) {
    this.bgpPorts = new Set(opts.bgpPorts ?? DEFAULT_BGP_PORTS);
    this.bmpPorts = new Set(opts.bmpPorts ?? DEFAULT_BMP_PORTS);
    this.maxPerStream = opts.maxBufferedPerStream ?? DEFAULT_MAX_BUFFERED_PER_STREAM;
    this.maxTotal = opts.maxBufferedTotal ?? DEFAULT_MAX_BUFFERED_TOTAL;
    this.maxConnections = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  }

  /** Yields the events produced since the last call. */
  *drain(): Generator<CaptureEvent> {
    for (let i = 0; i < this.out.length; i++) yield this.out[i]!;
    this.out.length = 0;
  }

  problem(kind: ProblemKind, message: string, bytes?: number, ref?: StreamRef): void {
    const event: CaptureEvent = {
      kind,
      tsMicros: this.clock.tsMicros,
      frame: this.clock.frame,
      message,
      ...ref,
    };
    if (bytes !== undefined) event.bytes = bytes;
    this.out.push(event);
  }

  /** The file ends inside the record of the next packet: that packet (not the last whole one) is named. */
  truncatedFile(message: string): void {
    this.out.push({
      kind: "truncated-file",
      tsMicros: this.clock.tsMicros,
      frame: this.clock.frame + 1,
      message: `capture truncated: ${message}`,
    });
  }

  packet(rec: PacketRecord): void {
    this.clock.frame = rec.frame;
    this.clock.tsMicros = rec.tsMicros;
    const loc = locateIp(rec.linkType, rec.data);
    if (loc.ip === "none") return;
    if (loc.ip === "unsupported") {
      if (!this.reportedLinks.has(rec.interfaceKey)) {
        this.reportedLinks.add(rec.interfaceKey);
        this.problem(
          "unsupported-link",
          `link type ${rec.linkType} is not supported; its packets are skipped`,
        );
      }
      return;
    }
    if (loc.ip === "truncated") {
      const cut = rec.data.length < rec.origLen;
      this.problem(
        cut ? "truncated-packet" : "bad-packet",
        `link header needs ${loc.need} bytes, packet has ${rec.data.length}`,
      );
      return;
    }
    const seg = parseTcpPacket(rec.data, loc.offset, loc.ip, rec.origLen);
    switch (seg.kind) {
      case "other":
        return;
      case "fragment":
        return this.problem("fragment", `${seg.message}: fragments are not reassembled`);
      case "truncated":
        return this.problem(
          "truncated-packet",
          `${seg.message} (captured ${rec.data.length} of ${rec.origLen} bytes)`,
        );
      case "bad":
        return this.problem("bad-packet", seg.message);
      case "tcp":
        return this.segment(rec.data, seg);
    }
  }

  /** End of capture: every direction still open is closed, its holes reported. */
  finish(): void {
    for (const conn of this.connections.values()) this.close(conn, "end of capture");
  }

  private transportOf(seg: TcpSegment): Transport | undefined {
    if (this.bgpPorts.has(seg.srcPort) || this.bgpPorts.has(seg.dstPort)) return "bgp";
    if (this.bmpPorts.has(seg.srcPort) || this.bmpPorts.has(seg.dstPort)) return "bmp";
    return undefined;
  }

  private segment(data: Buffer, seg: TcpSegment): void {
    const transport = this.transportOf(seg);
    if (transport === undefined) return;
    const src = `${data.toString("latin1", seg.srcOff, seg.srcOff + seg.addrLen)}:${seg.srcPort}`;
    const dst = `${data.toString("latin1", seg.dstOff, seg.dstOff + seg.addrLen)}:${seg.dstPort}`;
    const key = src < dst ? `${src}|${dst}` : `${dst}|${src}`;
    const syn = (seg.flags & TCP_SYN) !== 0;
    let conn = this.connections.get(key);
    if (conn && syn && this.startsNewConnection(conn, src, seg.seq)) {
      this.close(conn, "connection reused");
      this.connections.delete(key);
      conn = undefined;
    }
    if (!conn) {
      // Only a SYN or data opens a connection: stray ACKs/FINs/RSTs would start nothing useful.
      if (!syn && seg.payload.length === 0) return;
      conn = this.open(key, transport, data, seg, src, dst);
      if (!conn) return;
    }
    if (conn.closed) return;
    const side = src === conn.side0 ? 0 : 1;
    const dir = conn.dirs[side];
    if ((seg.flags & TCP_ACK) !== 0) conn.dirs[1 - side]!.tcp.acked(seg.ack);
    if (seg.missing > 0) {
      this.problem(
        "truncated-packet",
        `TCP payload cut by the snap length: ${seg.missing} bytes missing`,
        seg.missing,
        dir.ref,
      );
    }
    if (syn) dir.tcp.syn(seg.seq);
    const start = syn ? (seg.seq + 1) >>> 0 : seg.seq;
    dir.tcp.segment(start, seg.payload, (seg.flags & TCP_FIN) !== 0 && seg.missing === 0);
    if (seg.missing > 0)
      dir.tcp.skip((start + seg.payload.length) >>> 0, seg.missing, "bytes cut by the snap length");
    if (dir.tcp.finished) conn.firstFin ??= side;
    if ((seg.flags & TCP_RST) !== 0) {
      this.close(conn, "connection reset");
      this.closedEvent(conn, "connection reset", side);
    } else if (conn.dirs[0].tcp.finished && conn.dirs[1].tcp.finished) {
      this.markClosed(conn);
      this.closedEvent(conn, "connection closed", conn.firstFin ?? side);
    }
    while (this.budget.buffered > this.maxTotal && this.shedLargest());
  }

  /** A SYN on a known 4-tuple opens a new connection unless it repeats the SYN we have. */
  private startsNewConnection(conn: Connection, src: string, seq: number): boolean {
    if (conn.closed) return true;
    const tcp = conn.dirs[src === conn.side0 ? 0 : 1].tcp;
    return tcp.started && tcp.isn !== seq;
  }

  private open(
    key: string,
    transport: Transport,
    data: Buffer,
    seg: TcpSegment,
    src: string,
    dst: string,
  ): Connection | undefined {
    if (this.live >= this.maxConnections || this.connections.size >= 2 * this.maxConnections)
      this.forgetClosed();
    if (this.live >= this.maxConnections) {
      if (!this.refused.has(key) && this.refused.size < this.maxConnections) {
        this.refused.add(key);
        this.problem(
          "connection-limit",
          `${this.maxConnections} connections tracked already: this one is skipped`,
        );
      }
      return undefined;
    }
    const index = this.nextConnection++;
    this.live++;
    const a = ipToString(data, seg.srcOff, seg.addrLen);
    const b = ipToString(data, seg.dstOff, seg.addrLen);
    // The SYN's sender, or else the first sender seen, is direction 0; a SYN-ACK's sender is direction 1.
    const answer = (seg.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
    const from = { addr: a, port: seg.srcPort };
    const to = { addr: b, port: seg.dstPort };
    const [first, second] = answer ? [to, from] : [from, to];
    const dirs: [Direction, Direction] = [
      this.direction(index, 0, transport, first, second),
      this.direction(index, 1, transport, second, first),
    ];
    const conn: Connection = { side0: answer ? dst : src, closed: false, dirs };
    this.connections.set(key, conn);
    return conn;
  }

  private direction(
    connection: number,
    direction: 0 | 1,
    transport: Transport,
    from: { addr: string; port: number },
    to: { addr: string; port: number },
  ): Direction {
    const ref: StreamRef = {
      connection,
      stream: connection * 2 + direction,
      transport,
      src: from.addr,
      dst: to.addr,
      srcPort: from.port,
      dstPort: to.port,
    };
    const clock = this.clock;
    let splitter: MessageSplitter | undefined;
    const splitterSink = {
      message: (bytes: Buffer) =>
        this.out.push({ kind: "message", tsMicros: clock.tsMicros, frame: clock.frame, ...ref, bytes }),
      problem: (kind: ProblemKind, bytes: number, message: string) =>
        this.problem(kind, message, kind === "bad-frame" ? undefined : bytes, ref),
    };
    const tcp = new TcpDirection(
      {
        begin: (midStream) => {
          splitter = new MessageSplitter(transport, splitterSink);
          if (midStream) splitter.resync("capture starts mid-stream");
        },
        data: (chunk) => splitter!.push(chunk),
        gap: (missing, reason) => {
          this.problem(
            "gap",
            `${missing} bytes of the stream are not in the capture (${reason})`,
            missing,
            ref,
          );
          splitter!.lost(missing, "after a gap");
        },
        end: () => splitter?.end(),
      },
      this.budget,
      this.maxPerStream,
    );
    return { ref, tcp };
  }

  /** Tells the consumer the session is over (its messages before this event are all out). */
  private closedEvent(conn: Connection, reason: string, closedBy: 0 | 1): void {
    this.out.push({
      kind: "closed",
      tsMicros: this.clock.tsMicros,
      frame: this.clock.frame,
      reason,
      closedBy,
      ...conn.dirs[0].ref,
    });
  }

  private close(conn: Connection, reason: string): void {
    if (conn.closed) return;
    for (const dir of conn.dirs) dir.tcp.close(reason);
    this.markClosed(conn);
  }

  private markClosed(conn: Connection): void {
    if (conn.closed) return;
    conn.closed = true;
    this.live--;
  }

  /** Closed connections are kept only to ignore their late packets; drop them when room is needed. */
  private forgetClosed(): void {
    for (const [key, conn] of this.connections) if (conn.closed) this.connections.delete(key);
  }

  /** The total bound is exceeded: the direction holding most gives up its first hole. */
  private shedLargest(): boolean {
    let largest: TcpDirection | undefined;
    for (const conn of this.connections.values()) {
      for (const dir of conn.dirs) if (dir.tcp.buffered > (largest?.buffered ?? 0)) largest = dir.tcp;
    }
    if (!largest) return false;
    largest.giveUp(`out-of-order bytes across all streams exceeded ${this.maxTotal}`);
    return true;
  }
}
