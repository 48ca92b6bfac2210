/**
 * Malformed BMP input ends in a CodecError with a stable kind, never another exception. Cases start
 * from real messages (vectors/) and break one thing each; then random and mutated bytes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BmpSessionTracker, decodeBmp, encodeBmp, type BmpMessage } from "../../../../codec/bmp/index.js";
import { CodecError } from "../../../../codec/errors.js";
import { bmpMessage } from "./arbitraries.js";
import { loadVector } from "./vectors.js";

const real = [
  ...loadVector("frr-calico").messages,
  ...loadVector("gobgp-locrib").messages,
  ...loadVector("synthetic").messages,
];
const firstOf = (type: BmpMessage["type"]): Buffer =>
  Buffer.from(real.find((m) => decodeBmp(m).type === type)!);

/** Copies `msg`, lets `edit` change it, and fixes the common header's length to the new size. */
function edited(msg: Buffer, edit: (b: Buffer) => Buffer | void): Buffer {
  const copy = Buffer.from(msg);
  const out = edit(copy) ?? copy;
  out.writeUInt32BE(out.length, 1);
  return out;
}

function kindOf(buf: Buffer): string {
  try {
    decodeBmp(buf);
  } catch (e) {
    if (e instanceof CodecError) return e.kind;
    throw e;
  }
  return "decoded";
}

/** Common header of a 13-byte TERMINATION (version 3, length 13, type 5). */
const TERMINATION_HEAD = "030000000d05";
const PEER = 6; // the per-peer header starts after the common header
const BODY = 6 + 42; // and the body after it

describe("malformed BMP messages", () => {
  const peerUp = firstOf("PEER-UP");
  const sentOpenLen = peerUp.readUInt16BE(BODY + 20 + 16);

  it.each([
    ["fewer than 6 bytes", () => Buffer.from([3, 0, 0, 0]), "bmp.truncated"],
    ["version 1", () => edited(firstOf("INITIATION"), (b) => void (b[0] = 1)), "bmp.version"],
    ["version 4", () => edited(firstOf("INITIATION"), (b) => void (b[0] = 4)), "bmp.version"],
    ["length below the common header", () => Buffer.from([3, 0, 0, 0, 5, 4]), "bmp.length"],
    ["length beyond the buffer", () => firstOf("INITIATION").subarray(0, 20), "bmp.truncated"],
    ["unknown message type", () => edited(firstOf("INITIATION"), (b) => void (b[5] = 7)), "bmp.type"],
    [
      "per-peer header cut short",
      () => edited(firstOf("ROUTE-MONITORING"), (b) => b.subarray(0, PEER + 41)),
      "bmp.truncated",
    ],
    ["PEER-UP without ports", () => edited(peerUp, (b) => b.subarray(0, BODY + 19)), "bmp.truncated"],
    [
      "PEER-UP sent OPEN overruns",
      () => edited(peerUp, (b) => void b.writeUInt16BE(4000, BODY + 20 + 16)),
      "bmp.peer-up.open",
    ],
    [
      "PEER-UP sent OPEN too short",
      () => edited(peerUp, (b) => void b.writeUInt16BE(19, BODY + 20 + 16)),
      "bmp.peer-up.open",
    ],
    [
      "PEER-UP OPEN marker broken",
      () => edited(peerUp, (b) => void (b[BODY + 20 + 3] = 0)),
      "bmp.peer-up.open",
    ],
    [
      "PEER-UP first PDU not an OPEN",
      () => edited(peerUp, (b) => void (b[BODY + 20 + 18] = 2)),
      "bmp.peer-up.open",
    ],
    [
      "PEER-UP received OPEN missing",
      () => edited(peerUp, (b) => b.subarray(0, BODY + 20 + sentOpenLen)),
      "bmp.peer-up.open",
    ],
    [
      "PEER-UP received OPEN cut",
      () => edited(peerUp, (b) => b.subarray(0, b.length - 1)),
      "bmp.peer-up.open",
    ],
    [
      "PEER-UP information TLV overruns",
      () => edited(peerUp, (b) => Buffer.concat([b, Buffer.from([0, 0, 0, 9, 65])])),
      "bmp.tlv",
    ],
    [
      "INITIATION TLV overruns",
      () => edited(firstOf("INITIATION"), (b) => void b.writeUInt16BE(999, 8)),
      "bmp.tlv",
    ],
    [
      "INITIATION TLV header cut",
      () => edited(firstOf("INITIATION"), (b) => Buffer.concat([b, Buffer.from([0, 1])])),
      "bmp.tlv",
    ],
    [
      "TERMINATION reason of 3 bytes",
      () => Buffer.from(TERMINATION_HEAD + "0001" + "0003" + "000100", "hex"),
      "bmp.tlv",
    ],
    [
      "STATISTICS count above the stats",
      () => edited(firstOf("STATISTICS-REPORT"), (b) => void b.writeUInt32BE(99, BODY)),
      "bmp.stats",
    ],
    [
      "STATISTICS count below the stats",
      () => edited(firstOf("STATISTICS-REPORT"), (b) => void b.writeUInt32BE(1, BODY)),
      "bmp.stats",
    ],
    [
      "STATISTICS count missing",
      () => edited(firstOf("STATISTICS-REPORT"), (b) => b.subarray(0, BODY + 2)),
      "bmp.truncated",
    ],
    [
      "STATISTICS stat overruns",
      () => edited(firstOf("STATISTICS-REPORT"), (b) => void b.writeUInt16BE(500, BODY + 6)),
      "bmp.stats",
    ],
    [
      "PEER-DOWN without reason",
      () => edited(firstOf("PEER-DOWN"), (b) => b.subarray(0, BODY)),
      "bmp.truncated",
    ],
    [
      "PEER-DOWN reason 2 with a 1-byte FSM event",
      () => edited(firstOf("PEER-DOWN"), (b) => b.subarray(0, b.length - 1)),
      "bmp.peer-down",
    ],
    [
      "ROUTE-MIRRORING TLV overruns",
      () => edited(firstOf("ROUTE-MIRRORING"), (b) => void b.writeUInt16BE(999, BODY + 2)),
      "bmp.tlv",
    ],
  ] as [string, () => Buffer, string][])("%s → %s", (_name, make, kind) => {
    expect(kindOf(make())).toBe(kind);
  });

  it("the cases above start from messages that decode", () => {
    for (const t of [
      "INITIATION",
      "ROUTE-MONITORING",
      "PEER-UP",
      "STATISTICS-REPORT",
      "PEER-DOWN",
      "ROUTE-MIRRORING",
    ] as const) {
      expect(kindOf(firstOf(t))).toBe("decoded");
    }
    expect(decodeBmp(firstOf("PEER-DOWN"))).toMatchObject({ reason: 2 });
    const termination = Buffer.from("030000000c05" + "0001" + "0002" + "0003", "hex");
    expect(decodeBmp(termination)).toMatchObject({ tlvs: [{ name: "reason", reason: 3 }] });
  });

  it("reports the offset of the problem within the buffer", () => {
    const buf = Buffer.concat([
      Buffer.alloc(5),
      edited(peerUp, (b) => void b.writeUInt16BE(4000, BODY + 20 + 16)),
    ]);
    try {
      decodeBmp(buf, 5);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CodecError);
      expect((e as CodecError).offset).toBe(5 + BODY + 20);
    }
  });
});

/** Decodes (and feeds the tracker); anything but a CodecError fails the property. */
function onlyCodecErrors(buf: Buffer, off = 0): void {
  try {
    const msg = decodeBmp(buf, off);
    new BmpSessionTracker().observe("r", msg);
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
  }
}

describe("random and mutated bytes only ever throw CodecError", () => {
  it("random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => onlyCodecErrors(Buffer.from(b))),
      { numRuns: 3000 },
    );
  });

  it("random bodies behind a valid common header of every type", () => {
    fc.assert(
      fc.property(fc.nat({ max: 8 }), fc.uint8Array({ maxLength: 300 }), (type, body) => {
        const b = Buffer.concat([Buffer.from([3, 0, 0, 0, 0, type]), body]);
        b.writeUInt32BE(b.length, 1);
        onlyCodecErrors(b);
      }),
      { numRuns: 5000 },
    );
  });

  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), value: fc.nat({ max: 255 }) }),
    fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
    fc.record({
      kind: fc.constant("insert" as const),
      at: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }),
    }),
  );

  type Mutation =
    | { kind: "flip"; at: number; value: number }
    | { kind: "cut"; at: number }
    | { kind: "insert"; at: number; bytes: Uint8Array };

  function mutate(msg: Buffer, ms: Mutation[], fixLength: boolean): Buffer {
    let b = Buffer.from(msg);
    for (const m of ms) {
      const at = m.at % (b.length + 1);
      if (m.kind === "flip") {
        if (at < b.length) b[at] = m.value;
      } else if (m.kind === "cut") b = b.subarray(0, at);
      else b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
    }
    if (fixLength && b.length >= 5) b.writeUInt32BE(b.length, 1);
    return b;
  }

  it("mutations of real messages (header length kept or fixed up)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...real),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (msg, ms, fix) => onlyCodecErrors(mutate(msg, ms, fix)),
      ),
      { numRuns: 5000 },
    );
  });

  it("mutations of generated messages", () => {
    fc.assert(
      fc.property(
        bmpMessage,
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (msg, ms, fix) => onlyCodecErrors(mutate(encodeBmp(msg), ms, fix)),
      ),
      { numRuns: 3000 },
    );
  });
});
