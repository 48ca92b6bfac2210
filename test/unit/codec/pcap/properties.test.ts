/**
 * Properties: however a stream of real messages (from the vectors) is cut into segments,
 * reordered, repeated or partly lost, what comes out is exactly what the segments carry; and a
 * damaged file ends in CodecError or events, never another exception.
 */
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CodecError } from "../../../../codec/errors.js";
import { decodeCapture, type CaptureEvent } from "../../../../codec/pcap/index.js";
import { Conversation, rawIpCapture, realMessages } from "./build.js";
import { messagesOf, problemsOf } from "./tshark.js";

const V = join(import.meta.dirname, "vectors");

const STREAMS = {
  bgp: { port: 179, messages: realMessages("bgp-base.pcapng") },
  bmp: { port: 11019, messages: realMessages("bmp-base.pcapng") },
};

interface Piece {
  /** Offset in the stream. */
  at: number;
  data: Buffer;
}

function cut(stream: Buffer, sizes: number[]): Piece[] {
  const pieces: Piece[] = [];
  for (let at = 0, i = 0; at < stream.length; i++) {
    const len = Math.min(sizes[i % sizes.length]!, stream.length - at);
    pieces.push({ at, data: stream.subarray(at, at + len) });
    at += len;
  }
  return pieces;
}

/**
 * A capture of one connection: the client sends `order` (pieces, possibly repeated or out of
 * order) and then FIN; after each segment the server acknowledges what it holds in order
 * (`received` says which pieces reached it: all of them when the capture, not the network, lost some).
 */
function capture(
  port: number,
  isn: number,
  syn: boolean,
  order: Piece[],
  total: number,
  received: Piece[] = order,
): Buffer {
  const talk = new Conversation({ addr: "10.0.0.1", port: 40000 }, { addr: "10.0.0.2", port }, isn);
  if (syn) talk.handshake();
  const have: Piece[] = [];
  let acked = 0;
  const receivedSet = new Set(received);
  for (const piece of order) {
    talk.data(piece.at, piece.data);
    if (receivedSet.has(piece)) have.push(piece);
    for (let grew = true; grew;) {
      grew = false;
      for (const p of have) {
        if (p.at <= acked && p.at + p.data.length > acked) {
          acked = p.at + p.data.length;
          grew = true;
        }
      }
    }
    talk.ack(acked);
  }
  talk.fin(total);
  return rawIpCapture(talk.packets);
}

const plan = fc.record({
  sizes: fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 12 }),
  swaps: fc.array(fc.nat(), { maxLength: 20 }),
  copies: fc.array(fc.nat(), { maxLength: 8 }),
  overlaps: fc.array(fc.nat(), { maxLength: 8 }),
  isn: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  syn: fc.boolean(),
});

describe("properties", () => {
  for (const [transport, { port, messages }] of Object.entries(STREAMS)) {
    const stream = Buffer.concat(messages);

    it(`${transport}: any cut, order, copies and overlaps give the same messages`, () => {
      expect(messages.length).toBeGreaterThan(5);
      fc.assert(
        fc.property(plan, ({ sizes, swaps, copies, overlaps, isn, syn }) => {
          const pieces = cut(stream, sizes);
          const order = [...pieces];
          // Retransmissions covering two pieces at once, and plain copies, a little later.
          for (const i of overlaps) {
            const a = pieces[i % pieces.length]!;
            const b = pieces[(i % pieces.length) + 1];
            if (b)
              order.splice(Math.min(order.length, order.indexOf(b) + 2), 0, {
                at: a.at,
                data: Buffer.concat([a.data, b.data]),
              });
          }
          for (const i of copies)
            order.splice(Math.min(order.length, (i % order.length) + 3), 0, order[i % order.length]!);
          // Neighbours trade places; without a SYN the first segment must stay first (it fixes where the stream starts).
          for (const i of swaps) {
            const j = syn ? i % (order.length - 1 || 1) : 1 + (i % (order.length - 2 || 1));
            if (j + 1 < order.length) [order[j], order[j + 1]] = [order[j + 1]!, order[j]!];
          }
          const events = [...decodeCapture(capture(port, isn, syn, order, stream.length))];
          expect(problemsOf(events)).toEqual([]);
          expect(messagesOf(events).map((m) => m.bytes)).toEqual(messages);
        }),
        { numRuns: 150 },
      );
    });

    it(`${transport}: segments lost by the capture become gaps, and every byte is accounted for`, () => {
      const bounds: [number, number][] = [];
      for (let at = 0, i = 0; i < messages.length; at += messages[i]!.length, i++)
        bounds.push([at, at + messages[i]!.length]);
      fc.assert(
        fc.property(
          plan,
          fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
          fc.integer({ min: 0, max: 4096 }),
          ({ sizes, isn }, lost, budget) => {
            const pieces = cut(stream, sizes);
            const dropped = new Set(lost.map((i) => pieces[i % pieces.length]!));
            const seen = pieces.filter((p) => !dropped.has(p));
            // The receiver got everything (only the capture missed some): its ACKs cover the holes.
            const buf = capture(port, isn, true, seen, stream.length, pieces);
            const events: CaptureEvent[] = [...decodeCapture(buf, { maxBufferedPerStream: budget })];
            const missing = [...dropped].reduce((s, p) => s + p.data.length, 0);
            const gaps = problemsOf(events).filter((p) => p.kind === "gap");
            expect(gaps.reduce((s, g) => s + g.bytes!, 0)).toBe(missing);
            const accounted =
              messagesOf(events).reduce((s, m) => s + m.bytes.length, 0) +
              problemsOf(events).reduce((s, p) => s + (p.bytes ?? 0), 0);
            expect(accounted).toBe(stream.length);
            // Exactly the messages none of whose bytes were lost come out.
            const hit = (a: number, b: number): boolean =>
              [...dropped].some((p) => p.at < b && p.at + p.data.length > a);
            const intact = messages.filter((_, i) => !hit(...bounds[i]!));
            expect(messagesOf(events).map((m) => m.bytes)).toEqual(intact);
          },
        ),
        { numRuns: 150 },
      );
    });
  }

  it("damaged files end in CodecError or events, never another exception", () => {
    const files = [
      "bgp-base.pcapng",
      "bmp-usec.pcap",
      "bgp-nsec.pcap",
      "bmp-sll2.pcapng",
      "multi-section.pcapng",
      "bgp-seg6-raw.pcap",
    ].map((f) => readFileSync(join(V, f)));
    const mutation = fc.record({
      file: fc.nat(),
      edits: fc.array(
        fc.record({
          at: fc.nat(),
          value: fc.integer({ min: 0, max: 255 }),
          kind: fc.constantFrom("set", "insert", "delete"),
        }),
        {
          minLength: 1,
          maxLength: 12,
        },
      ),
      truncate: fc.option(fc.nat()),
    });
    let codecErrors = 0;
    fc.assert(
      fc.property(mutation, ({ file, edits, truncate }) => {
        let buf = Buffer.from(files[file % files.length]!);
        for (const e of edits) {
          const at = e.at % (buf.length + 1);
          if (e.kind === "set" && at < buf.length) buf[at] = e.value;
          else if (e.kind === "insert")
            buf = Buffer.concat([buf.subarray(0, at), Buffer.from([e.value]), buf.subarray(at)]);
          else if (at < buf.length) buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + 1)]);
        }
        if (truncate !== null) buf = buf.subarray(0, truncate % (buf.length + 1));
        try {
          let n = 0;
          for (const _ of decodeCapture(buf)) n++;
          expect(n).toBeGreaterThanOrEqual(0);
        } catch (e) {
          expect(e).toBeInstanceOf(CodecError);
          codecErrors++;
        }
      }),
      { numRuns: 600 },
    );
    expect(codecErrors).toBeGreaterThan(0);
  });

  it("random bytes behind a valid magic end in CodecError or events", () => {
    const magics = [
      Buffer.from("d4c3b2a1", "hex"),
      Buffer.from("a1b2c3d4", "hex"),
      Buffer.from("4d3cb2a1", "hex"),
      Buffer.from("0a0d0d0a", "hex"),
      Buffer.from("0a0d0d0a1c0000004d3c2b1a", "hex"),
    ];
    fc.assert(
      fc.property(fc.nat(), fc.uint8Array({ maxLength: 400 }), (m, bytes) => {
        const buf = Buffer.concat([magics[m % magics.length]!, Buffer.from(bytes)]);
        try {
          for (const _ of decodeCapture(buf)) void _;
        } catch (e) {
          expect(e).toBeInstanceOf(CodecError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
