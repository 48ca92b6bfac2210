/**
 * TCP reassembly and message splitting on hand-built connections that carry real messages
 * (the busiest direction of the vectors): bounds, ACKs of unseen bytes, RST, reuse of a
 * 4-tuple, connection limits, bad headers.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeCapture, type CaptureEvent, type CaptureOptions } from "../../../../codec/pcap/index.js";
import { Conversation, rawIpCapture, realMessages, type Packet } from "./build.js";
import { closesOf, messagesOf, problemsOf } from "./tshark.js";

const BGP = realMessages("bgp-base.pcapng");
const BMP = realMessages("bmp-base.pcapng");
const offsets = (messages: Buffer[]): number[] =>
  messages.map((_, i) => messages.slice(0, i).reduce((s, m) => s + m.length, 0));
const AT = offsets(BGP);

const client = (port: number) => ({ addr: "10.1.0.1", port });
const bgpServer = { addr: "10.1.0.2", port: 179 };

function run(packets: Packet[], opts?: CaptureOptions): CaptureEvent[] {
  return [...decodeCapture(rawIpCapture(packets), opts)];
}

/** [kind, frame, bytes or message length] per event, to compare whole sequences. */
function summary(events: CaptureEvent[]): [string, number, number | undefined][] {
  return events.map((e) => [
    e.kind,
    e.frame,
    e.kind === "message" ? e.bytes.length : e.kind === "closed" ? undefined : e.bytes,
  ]);
}

describe("holes", () => {
  it("the out-of-order bound per direction gives up the hole once it is exceeded", () => {
    const talk = new Conversation(client(40001), bgpServer).handshake(); // frames 1-3
    for (let i = 0; i < 8; i++) if (i !== 2) talk.data(AT[i]!, BGP[i]!); // message i in frame 4+i (i<2), 3+i (i>2)
    const bound = BGP[3]!.length + BGP[4]!.length; // exceeded when message 5 arrives (frame 8)
    const events = run(talk.packets, { maxBufferedPerStream: bound });
    expect(summary(events)).toEqual([
      ["message", 4, BGP[0]!.length],
      ["message", 5, BGP[1]!.length],
      ["gap", 8, BGP[2]!.length],
      ["message", 8, BGP[3]!.length],
      ["message", 8, BGP[4]!.length],
      ["message", 8, BGP[5]!.length],
      ["message", 9, BGP[6]!.length],
      ["message", 10, BGP[7]!.length],
    ]);
    expect(messagesOf(events).map((m) => m.bytes)).toEqual([0, 1, 3, 4, 5, 6, 7].map((i) => BGP[i]));
  });

  it("an acknowledgment of bytes the capture never saw gives up the hole at once", () => {
    const talk = new Conversation(client(40002), bgpServer).handshake();
    talk.data(AT[0]!, BGP[0]!).data(AT[2]!, BGP[2]!).ack(AT[3]!).data(AT[3]!, BGP[3]!); // frames 4, 5, 6, 7
    const events = run(talk.packets);
    expect(summary(events)).toEqual([
      ["message", 4, BGP[0]!.length],
      ["gap", 6, BGP[1]!.length],
      ["message", 6, BGP[2]!.length],
      ["message", 7, BGP[3]!.length],
    ]);
    expect(problemsOf(events)[0]!.message).toMatch(/acknowledged/);
  });

  it("the total bound makes the direction holding most give up its hole", () => {
    const a = new Conversation(client(40003), bgpServer);
    const b = new Conversation(client(40004), bgpServer, 9_000_000);
    const packets = [...a.handshake().packets, ...b.handshake().packets]; // frames 1-6
    for (let i = 1; i <= 4; i++) packets.push(a.data(AT[i]!, BGP[i]!).packets.at(-1)!); // frames 7-10, held behind message 0
    packets.push(b.data(AT[1]!, BGP[1]!).packets.at(-1)!); // frame 11, held too
    const heldByA = BGP[1]!.length + BGP[2]!.length + BGP[3]!.length + BGP[4]!.length;
    const events = run(packets, { maxBufferedTotal: heldByA + BGP[1]!.length - 1 });
    const streamA = 0; // connection 0, direction 0
    expect(summary(events)).toEqual([
      ["gap", 11, BGP[0]!.length],
      ["message", 11, BGP[1]!.length],
      ["message", 11, BGP[2]!.length],
      ["message", 11, BGP[3]!.length],
      ["message", 11, BGP[4]!.length],
      // b's hole stays until the end of the capture
      ["gap", 11, BGP[0]!.length],
      ["message", 11, BGP[1]!.length],
    ]);
    expect(events.slice(0, 5).every((e) => e.stream === streamA)).toBe(true);
    expect(problemsOf(events)[0]!.message).toMatch(/all streams/);
    expect(events[5]!.stream).toBe(2);
    expect(problemsOf(events)[1]!.message).toMatch(/end of capture/);
  });

  it("a FIN after a hole: the missing bytes before it are a gap", () => {
    const talk = new Conversation(client(40005), bgpServer).handshake();
    talk.data(AT[0]!, BGP[0]!).fin(AT[2]!); // message 1 never seen; FIN at the end of message 1
    expect(summary(run(talk.packets))).toEqual([
      ["message", 4, BGP[0]!.length],
      ["gap", 5, BGP[1]!.length],
    ]);
    // and the server's ACK of the FIN says the same at once
    talk.ack(AT[2]! + 1);
    expect(summary(run(talk.packets))).toEqual([
      ["message", 4, BGP[0]!.length],
      ["gap", 6, BGP[1]!.length],
    ]);
  });
});

describe("connections", () => {
  it("RST ends both directions; held data comes out after a gap", () => {
    const talk = new Conversation(client(40006), bgpServer).handshake();
    talk.data(AT[0]!, BGP[0]!).data(AT[2]!, BGP[2]!).rst(AT[3]!).data(AT[3]!, BGP[3]!); // the last one after RST: ignored
    expect(summary(run(talk.packets))).toEqual([
      ["message", 4, BGP[0]!.length],
      ["gap", 6, BGP[1]!.length],
      ["message", 6, BGP[2]!.length],
      // The session on the connection is over (replay withdraws its routes here).
      ["closed", 6, undefined],
    ]);
  });

  it("a new SYN on a closed 4-tuple is a new connection; a repeated SYN is not", () => {
    const first = new Conversation(client(40007), bgpServer, 100);
    first.syn().handshake().data(AT[0]!, BGP[0]!).fin(AT[1]!).serverFin(AT[1]!);
    first.data(AT[0]!, BGP[0]!); // a late copy after the close: ignored
    const second = new Conversation(client(40007), bgpServer, 5_000_000).handshake().data(0, BGP[1]!);
    const events = run([...first.packets, ...second.packets]);
    expect(problemsOf(events)).toEqual([]);
    expect(messagesOf(events).map((m) => [m.connection, m.stream, m.bytes])).toEqual([
      [0, 0, BGP[0]],
      [1, 2, BGP[1]],
    ]);
    // FIN both ways closes the first connection; the second is still open when the file ends.
    expect(closesOf(events).map((c) => [c.connection, c.reason, c.closedBy])).toEqual([
      [0, "connection closed", 0],
    ]);
  });

  it("a close names the side that ended the connection: the first FIN's sender, or the RST's", () => {
    const serverFirst = new Conversation(client(40009), bgpServer).handshake().data(AT[0]!, BGP[0]!);
    serverFirst.serverFin(AT[1]!).fin(AT[1]!);
    const [byServer] = closesOf(run(serverFirst.packets));
    expect([byServer!.src, byServer!.closedBy]).toEqual(["10.1.0.1", 1]);
    const reset = new Conversation(client(40010), bgpServer).handshake().data(AT[0]!, BGP[0]!).rst(AT[1]!);
    expect(closesOf(run(reset.packets)).map((c) => [c.reason, c.closedBy])).toEqual([
      ["connection reset", 0],
    ]);
  });

  it("directions: the SYN's sender is direction 0, also when the SYN-ACK comes first in the file", () => {
    const talk = new Conversation(client(40008), bgpServer).handshake().data(AT[0]!, BGP[0]!);
    const [syn, synAck, ...rest] = talk.packets;
    for (const order of [talk.packets, [synAck!, syn!, ...rest]]) {
      const [m] = messagesOf(run(order));
      expect([m!.stream, m!.src, m!.srcPort, m!.dst, m!.dstPort]).toEqual([
        0,
        "10.1.0.1",
        40008,
        "10.1.0.2",
        179,
      ]);
    }
  });

  it("the connection limit skips new connections with one event each, and frees closed ones", () => {
    const a = new Conversation(client(40010), bgpServer).handshake().data(AT[0]!, BGP[0]!);
    const b = new Conversation(client(40011), bgpServer).handshake().data(AT[0]!, BGP[0]!);
    a.fin(AT[1]!).serverFin(AT[1]!);
    const c = new Conversation(client(40012), bgpServer).handshake().data(AT[0]!, BGP[0]!);
    const events = run([...a.packets.slice(0, 4), ...b.packets, ...a.packets.slice(4), ...c.packets], {
      maxConnections: 1,
    });
    expect(problemsOf(events).map((p) => [p.kind, p.frame])).toEqual([["connection-limit", 5]]);
    expect(messagesOf(events).map((m) => [m.connection, m.srcPort])).toEqual([
      [0, 40010],
      [1, 40012],
    ]);
  });
});

describe("framing", () => {
  it("a bad BGP header is reported and the stream resynchronises on the next marker", () => {
    const bad = Buffer.from(BGP[2]!);
    bad[5] = 0; // not a marker any more
    const talk = new Conversation(client(40013), bgpServer).handshake();
    talk.data(0, Buffer.concat([BGP[0]!, BGP[1]!, bad, BGP[3]!, BGP[4]!]));
    const events = run(talk.packets);
    expect(summary(events)).toEqual([
      ["message", 4, BGP[0]!.length],
      ["message", 4, BGP[1]!.length],
      ["bad-frame", 4, undefined],
      ["resync", 4, BGP[2]!.length],
      ["message", 4, BGP[3]!.length],
      ["message", 4, BGP[4]!.length],
    ]);
    expect(problemsOf(events)[0]!.message).toMatch(/bgp\.header\.marker/);
  });

  it("a bad BMP header likewise, on the next plausible BMP header", () => {
    const bad = Buffer.from(BMP[3]!);
    bad[0] = 4; // version 4
    const talk = new Conversation(client(40014), { addr: "10.1.0.2", port: 11019 }).handshake();
    // cut in odd places so the search spans segments
    const stream = Buffer.concat([...BMP.slice(0, 3), bad, ...BMP.slice(4, 8)]);
    for (let at = 0; at < stream.length; at += 29) talk.data(at, stream.subarray(at, at + 29));
    const events = run(talk.packets);
    expect(messagesOf(events).map((m) => m.bytes)).toEqual([...BMP.slice(0, 3), ...BMP.slice(4, 8)]);
    expect(problemsOf(events).map((p) => [p.kind, p.bytes])).toEqual([
      ["bad-frame", undefined],
      ["resync", BMP[3]!.length],
    ]);
    expect(problemsOf(events)[0]!.message).toMatch(/bmp\.version/);
  });

  it("a stream that ends inside a message reports what it held", () => {
    const long = BGP.find((m) => m.length > 40)!;
    const talk = new Conversation(client(40015), bgpServer)
      .handshake()
      .data(0, Buffer.concat([BGP[0]!, long.subarray(0, 30)]));
    expect(summary(run(talk.packets))).toEqual([
      ["message", 4, BGP[0]!.length],
      ["incomplete", 4, 30],
    ]);
  });

  it("messages inside one segment are views of the capture; a message across segments is joined", () => {
    const isViewOf = (part: Buffer, whole: Buffer): boolean =>
      part.buffer === whole.buffer &&
      part.byteOffset >= whole.byteOffset &&
      part.byteOffset + part.length <= whole.byteOffset + whole.length;
    const buf = readFileSync(join(import.meta.dirname, "vectors/bgp-base.pcapng"));
    const whole = messagesOf([...decodeCapture(buf)]);
    expect(whole.length).toBeGreaterThan(5);
    for (const m of whole) expect(isViewOf(m.bytes, buf)).toBe(true);
    const talk = new Conversation(client(40016), bgpServer).handshake();
    talk.data(0, BGP[0]!.subarray(0, 10)).data(10, BGP[0]!.subarray(10));
    const file = rawIpCapture(talk.packets);
    const [joined] = messagesOf([...decodeCapture(file)]);
    expect(joined!.bytes).toEqual(BGP[0]);
    expect(isViewOf(joined!.bytes, file)).toBe(false);
  });
});
