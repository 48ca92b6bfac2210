/**
 * Test helper: writes pcap and pcapng files the Wireshark tools cannot produce (big-endian,
 * Simple/obsolete Packet Blocks, odd timestamp resolutions, several interfaces), from packets
 * taken out of the vectors. tshark reading the result is what the tests compare against.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readRecords, type PacketRecord } from "../../../../codec/pcap/index.js";
import { decodeFile, messagesOf } from "./tshark.js";

const VECTORS = join(import.meta.dirname, "vectors");

/** The messages of the busiest direction of a vector (real daemons' bytes), in order. */
export function realMessages(vector: string): Buffer[] {
  const messages = messagesOf(decodeFile(join(VECTORS, vector)));
  const sizes = new Map<number, number>();
  for (const m of messages) sizes.set(m.stream, (sizes.get(m.stream) ?? 0) + m.bytes.length);
  const busiest = [...sizes.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  return messages.filter((m) => m.stream === busiest).map((m) => Buffer.from(m.bytes));
}

export interface Packet {
  tsMicros: number;
  data: Buffer;
  origLen?: number;
}

/** The packets of a capture file (read with the reader under test; tshark checks the result). */
export function packetsOf(file: string): (Packet & { linkType: number })[] {
  const out: (Packet & { linkType: number })[] = [];
  for (const rec of readRecords(readFileSync(file))) {
    if (rec.kind !== "packet") throw new Error(`${file}: ${rec.message}`);
    const p: PacketRecord = rec;
    out.push({ tsMicros: p.tsMicros, data: Buffer.from(p.data), origLen: p.origLen, linkType: p.linkType });
  }
  return out;
}

class Writer {
  private parts: Buffer[] = [];
  constructor(readonly bigEndian: boolean) {}
  u16(v: number): this {
    const b = Buffer.alloc(2);
    if (this.bigEndian) b.writeUInt16BE(v);
    else b.writeUInt16LE(v);
    this.parts.push(b);
    return this;
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    if (this.bigEndian) b.writeUInt32BE(v >>> 0);
    else b.writeUInt32LE(v >>> 0);
    this.parts.push(b);
    return this;
  }
  bytes(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  pad4(len: number): this {
    return this.bytes(Buffer.alloc((4 - (len % 4)) % 4));
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export function pcapFile(
  packets: Packet[],
  opts: { linkType: number; bigEndian?: boolean; nanos?: boolean },
): Buffer {
  const w = new Writer(opts.bigEndian ?? false);
  w.u32(opts.nanos ? 0xa1b23c4d : 0xa1b2c3d4)
    .u16(2)
    .u16(4)
    .u32(0)
    .u32(0)
    .u32(262144)
    .u32(opts.linkType);
  for (const p of packets) {
    const seconds = Math.floor(p.tsMicros / 1e6);
    const micros = p.tsMicros - seconds * 1e6;
    w.u32(seconds)
      .u32(opts.nanos ? micros * 1000 : micros)
      .u32(p.data.length)
      .u32(p.origLen ?? p.data.length)
      .bytes(p.data);
  }
  return w.done();
}

export interface NgInterface {
  linkType: number;
  /** if_tsresol byte; absent means microseconds. */
  tsresol?: number;
  snapLen?: number;
}

export type NgBlock =
  | { type: "epb" | "pb"; iface: number; packet: Packet }
  | { type: "spb"; packet: Packet }
  | { type: "other"; blockType: number; body: Buffer };

export interface NgSection {
  bigEndian?: boolean;
  interfaces: NgInterface[];
  blocks: NgBlock[];
}

/** Timestamp units for if_tsresol (10^-n, or 2^-n with the high bit set), from microseconds. */
export function unitsOf(micros: number, tsresol = 6): bigint {
  const m = BigInt(micros);
  const e = tsresol & 0x7f;
  if (tsresol & 0x80) return (m << BigInt(e)) / 1_000_000n;
  return e >= 6 ? m * 10n ** BigInt(e - 6) : m / 10n ** BigInt(6 - e);
}

function block(w: Writer, type: number, body: Buffer): void {
  const len = 12 + body.length + ((4 - (body.length % 4)) % 4);
  w.u32(type).u32(len).bytes(body).pad4(body.length).u32(len);
}

export function pcapngFile(sections: NgSection[]): Buffer {
  const parts: Buffer[] = [];
  for (const section of sections) {
    const be = section.bigEndian ?? false;
    const w = new Writer(be);
    const body = (fill: (b: Writer) => void): Buffer => {
      const b = new Writer(be);
      fill(b);
      return b.done();
    };
    // SHB: byte-order magic, version 1.0, section length unknown (-1).
    block(
      w,
      0x0a0d0d0a,
      body((b) => b.u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff)),
    );
    for (const iface of section.interfaces) {
      block(
        w,
        1,
        body((b) => {
          b.u16(iface.linkType)
            .u16(0)
            .u32(iface.snapLen ?? 0);
          if (iface.tsresol !== undefined)
            b.u16(9)
              .u16(1)
              .bytes(Buffer.from([iface.tsresol, 0, 0, 0]));
          b.u16(0).u16(0);
        }),
      );
    }
    for (const blk of section.blocks) {
      if (blk.type === "other") {
        block(w, blk.blockType, blk.body);
        continue;
      }
      const p = blk.packet;
      const padded = Buffer.concat([p.data, Buffer.alloc((4 - (p.data.length % 4)) % 4)]);
      if (blk.type === "spb") {
        block(
          w,
          3,
          body((b) => b.u32(p.origLen ?? p.data.length).bytes(padded)),
        );
        continue;
      }
      const units = unitsOf(p.tsMicros, section.interfaces[blk.iface]?.tsresol);
      const high = Number(units >> 32n);
      const low = Number(units & 0xffffffffn);
      block(
        w,
        blk.type === "epb" ? 6 : 2,
        body((b) => {
          if (blk.type === "epb") b.u32(blk.iface);
          else b.u16(blk.iface).u16(0);
          b.u32(high)
            .u32(low)
            .u32(p.data.length)
            .u32(p.origLen ?? p.data.length)
            .bytes(padded);
        }),
      );
    }
    parts.push(w.done());
  }
  return Buffer.concat(parts);
}

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

export interface TcpFields {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  flags: number;
  payload?: Buffer;
}

/** A raw IPv4 packet (link type 101) carrying one TCP segment; checksums left 0. */
export function ipv4Tcp(f: TcpFields): Buffer {
  const payload = f.payload ?? Buffer.alloc(0);
  const pkt = Buffer.alloc(40 + payload.length);
  pkt[0] = 0x45;
  pkt.writeUInt16BE(pkt.length, 2);
  pkt[8] = 64;
  pkt[9] = 6;
  Buffer.from(f.src.split(".").map(Number)).copy(pkt, 12);
  Buffer.from(f.dst.split(".").map(Number)).copy(pkt, 16);
  pkt.writeUInt16BE(f.sport, 20);
  pkt.writeUInt16BE(f.dport, 22);
  pkt.writeUInt32BE(f.seq >>> 0, 24);
  pkt.writeUInt32BE((f.ack ?? 0) >>> 0, 28);
  pkt[32] = 5 << 4;
  pkt[33] = f.flags;
  pkt.writeUInt16BE(65535, 34);
  payload.copy(pkt, 40);
  return pkt;
}

export interface Endpoint {
  addr: string;
  port: number;
}

/**
 * One TCP connection written packet by packet: the client sends stream bytes at offsets, the
 * server acknowledges them. Sequence numbers follow from the initial ones.
 */
export class Conversation {
  readonly packets: Packet[] = [];
  private ts = 1_700_000_000_000_000;

  constructor(
    readonly client: Endpoint,
    readonly server: Endpoint,
    readonly isn = 1000,
    readonly serverIsn = 7777,
  ) {}

  /** Sequence number of stream offset `at` on the client side. */
  seqOf(at: number): number {
    return (this.isn + 1 + at) >>> 0;
  }

  handshake(): this {
    this.push(this.client, this.server, this.isn, 0, SYN);
    this.push(this.server, this.client, this.serverIsn, this.seqOf(0), SYN | ACK);
    return this.push(this.client, this.server, this.seqOf(0), this.serverIsn + 1, ACK);
  }

  syn(): this {
    return this.push(this.client, this.server, this.isn, 0, SYN);
  }

  data(at: number, payload: Buffer, flags = ACK | PSH): this {
    return this.push(this.client, this.server, this.seqOf(at), this.serverIsn + 1, flags, payload);
  }

  /** The server acknowledges the client's stream up to offset `upTo`. */
  ack(upTo: number): this {
    return this.push(this.server, this.client, this.serverIsn + 1, this.seqOf(upTo), ACK);
  }

  fin(at: number): this {
    return this.push(this.client, this.server, this.seqOf(at), this.serverIsn + 1, FIN | ACK);
  }

  serverFin(clientUpTo: number): this {
    return this.push(
      this.server,
      this.client,
      this.serverIsn + 1,
      (this.seqOf(clientUpTo) + 1) >>> 0,
      FIN | ACK,
    );
  }

  rst(at: number): this {
    return this.push(this.client, this.server, this.seqOf(at), 0, RST);
  }

  private push(
    from: Endpoint,
    to: Endpoint,
    seq: number,
    ack: number,
    flags: number,
    payload?: Buffer,
  ): this {
    this.ts += 1000;
    this.packets.push({
      tsMicros: this.ts,
      data: ipv4Tcp({
        src: from.addr,
        dst: to.addr,
        sport: from.port,
        dport: to.port,
        seq,
        ack,
        flags,
        payload,
      }),
    });
    return this;
  }
}

/** Raw-IP pcap of packets from one or more conversations, in the given order. */
export function rawIpCapture(packets: Packet[]): Buffer {
  return pcapFile(packets, { linkType: 101 });
}
