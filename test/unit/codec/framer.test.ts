import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { bgpFramer, bmpFramer } from "../../../codec/framer.js";
import { encodeKeepalive, encodeMessage, encodeUpdate } from "../../../codec/bgp/index.js";
import { CodecError } from "../../../codec/errors.js";

/** Cuts `bytes` at the given points (sorted, deduplicated) into chunks. */
function cut(bytes: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...at, bytes.length]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

const bgpMessages = fc.array(
  fc.oneof(
    fc.constant(encodeKeepalive()),
    fc
      .integer({ min: 0, max: 500 })
      .map((n) =>
        encodeUpdate({ withdrawn: Array.from({ length: n % 60 }, (_, i) => ({ prefix: `10.${i}.0.0/16` })) }),
      ),
  ),
  { minLength: 1, maxLength: 30 },
);

describe("stream framers", () => {
  it("give the same BGP messages however the stream is cut", () => {
    fc.assert(
      fc.property(bgpMessages, fc.array(fc.nat(), { maxLength: 40 }), (messages, points) => {
        const stream = Buffer.concat(messages);
        const framer = bgpFramer();
        const got: Buffer[] = [];
        for (const chunk of cut(stream, points)) framer.push(chunk, (m) => got.push(Buffer.from(m)));
        expect(got).toEqual(messages);
        expect(framer.buffered).toBe(0);
      }),
    );
  });

  it("give the same BMP messages however the stream is cut", () => {
    const bmp = (n: number) => {
      const b = Buffer.alloc(6 + n, n & 0xff);
      b[0] = 3;
      b.writeUInt32BE(6 + n, 1);
      b[5] = 4;
      return b;
    };
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 3000 }).map(bmp), { minLength: 1, maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (messages, points) => {
          const framer = bmpFramer();
          const got: Buffer[] = [];
          for (const chunk of cut(Buffer.concat(messages), points))
            framer.push(chunk, (m) => got.push(Buffer.from(m)));
          expect(got).toEqual(messages);
        },
      ),
    );
  });

  it("deliver the messages before a bad header, then throw", () => {
    const bad = encodeMessage(4, Buffer.alloc(0));
    bad[0] = 0;
    const framer = bgpFramer();
    const got: Buffer[] = [];
    expect(() =>
      framer.push(Buffer.concat([encodeKeepalive(), encodeKeepalive(), bad]), (m) => got.push(m)),
    ).toThrow(CodecError);
    expect(got).toHaveLength(2);
  });

  it("hold a partial message until the rest arrives", () => {
    const u = encodeUpdate({ withdrawn: [{ prefix: "10.0.0.0/8" }] });
    const framer = bgpFramer();
    const got: Buffer[] = [];
    framer.push(u.subarray(0, 10), (m) => got.push(m));
    framer.push(u.subarray(10, 20), (m) => got.push(m));
    expect(got).toHaveLength(0);
    expect(framer.buffered).toBe(20);
    framer.push(u.subarray(20), (m) => got.push(m));
    expect(got).toEqual([u]);
  });
});
