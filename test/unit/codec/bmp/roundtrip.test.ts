import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeBmp,
  distinguisherToString,
  encodeBmp,
  writeDistinguisher,
  type BmpMessage,
} from "../../../../codec/bmp/index.js";
import { bmpFramer } from "../../../../codec/framer.js";
import { bmpMessage } from "./arbitraries.js";

const TYPES: BmpMessage["type"][] = [
  "ROUTE-MONITORING",
  "STATISTICS-REPORT",
  "PEER-DOWN",
  "PEER-UP",
  "INITIATION",
  "TERMINATION",
  "ROUTE-MIRRORING",
];

describe("BMP round trips", () => {
  it("decode(encode(x)) equals x for generated messages of every type", () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(bmpMessage, (msg) => {
        seen.add(msg.type);
        const bytes = encodeBmp(msg);
        expect(decodeBmp(bytes)).toEqual(msg);
        expect(encodeBmp(decodeBmp(bytes)).equals(bytes)).toBe(true);
      }),
      { numRuns: 2000 },
    );
    expect([...seen].sort()).toEqual([...TYPES].sort());
  });

  it("decodes a message at an offset inside a larger buffer, as views into it", () => {
    fc.assert(
      fc.property(
        bmpMessage,
        fc.uint8Array({ maxLength: 10 }),
        fc.uint8Array({ maxLength: 10 }),
        (msg, head, tail) => {
          const bytes = encodeBmp(msg);
          const buf = Buffer.concat([head, bytes, tail]);
          const decoded = decodeBmp(buf, head.length);
          expect(decoded).toEqual(msg);
          if (decoded.type === "ROUTE-MONITORING") expect(decoded.bgp.buffer).toBe(buf.buffer);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a stream of encoded messages cut anywhere frames back into the same messages", () => {
    fc.assert(
      fc.property(
        fc.array(bmpMessage, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (msgs, cuts) => {
          const stream = Buffer.concat(msgs.map(encodeBmp));
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const framer = bmpFramer();
          const out: BmpMessage[] = [];
          let prev = 0;
          for (const p of [...points, stream.length]) {
            framer.push(stream.subarray(prev, p), (frame) => out.push(decodeBmp(frame)));
            prev = p;
          }
          expect(out).toEqual(msgs);
          expect(framer.buffered).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("distinguisher text maps back to the same 8 bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.constantFrom(0, 1, 2, 7), (raw, type) => {
        const b = Buffer.from(raw);
        b.writeUInt16BE(type, 0);
        const out = Buffer.alloc(8);
        writeDistinguisher(distinguisherToString(b, 0), out, 0);
        expect(out.toString("hex")).toBe(b.toString("hex"));
      }),
    );
  });
});

describe("distinguisher text (RFC 4364 4.2)", () => {
  const text = (hex: string): string => distinguisherToString(Buffer.from(hex, "hex"), 0);
  it("writes the three RD types the way routers configure them", () => {
    expect(text("0000000000000000")).toBe("0:0");
    expect(text("0000fde800000064")).toBe("65000:100");
    expect(text("0001c00002010007")).toBe("192.0.2.1:7");
    expect(text("0002fa56ea020009")).toBe("4200000002:9");
    expect(text("00020000fdf20003")).toBe("65010L:3");
    expect(text("0003010203040506")).toBe("raw:0003010203040506");
  });

  it("rejects malformed text", () => {
    for (const bad of ["", "1", "a:1", "65536:1x", "1.2.3:4", "1.2.3.4:65536", "70000:65536", "raw:00"]) {
      expect(() => writeDistinguisher(bad, Buffer.alloc(8), 0), bad).toThrow(Error);
    }
  });
});
