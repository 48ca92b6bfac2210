/**
 * RFC 7606 error handling: each malformation gets the action the RFC section names, and the
 * NOTIFICATION code/subcode RFC 4271 6.3 gives it.
 */
import { describe, expect, it } from "vitest";
import {
  attr,
  decodeMessage,
  encodeMessage,
  encodeUpdate,
  routeAttributes,
  type UpdateMessage,
} from "../../../../codec/bgp/index.js";
import { BgpError } from "../../../../codec/errors.js";

const base = [attr.origin("IGP"), attr.asPath([64512]), attr.nextHop("10.10.0.1")];

/** An UPDATE announcing 10.208.1.5/32 with the base attributes plus raw attribute bytes. */
function updateWith(raw: number[], attrs = base): Buffer {
  const ok = encodeUpdate({ attributes: attrs, nlri: [{ prefix: "10.208.1.5/32" }] });
  const body = ok.subarray(19);
  const wLen = body.readUInt16BE(0);
  const aLen = body.readUInt16BE(2 + wLen);
  const attrsEnd = 4 + wLen + aLen;
  const extra = Buffer.from(raw);
  const out = Buffer.concat([body.subarray(0, attrsEnd), extra, body.subarray(attrsEnd)]);
  out.writeUInt16BE(aLen + extra.length, 2 + wLen);
  return encodeMessage(2, out);
}

function attrsOf(bytes: Buffer): ReturnType<UpdateMessage["attributes"]> {
  return (decodeMessage(bytes) as UpdateMessage).attributes();
}

function thrown(fn: () => unknown): BgpError {
  try {
    fn();
  } catch (e) {
    if (e instanceof BgpError) return e;
    throw e;
  }
  throw new Error("expected a BgpError");
}

describe("RFC 7606 actions", () => {
  const cases: [string, number[], string, number][] = [
    // [what, extra attribute bytes, action, subcode]
    ["MED of 3 bytes (7.4)", [0x80, 4, 3, 0, 0, 1], "treat-as-withdraw", 5],
    ["LOCAL_PREF of 2 bytes (7.5)", [0x40, 5, 2, 0, 1], "treat-as-withdraw", 5],
    ["ATOMIC_AGGREGATE with a value (7.6)", [0x40, 6, 1, 0], "attribute-discard", 5],
    ["AGGREGATOR of 5 bytes (7.7)", [0xc0, 7, 5, 0, 1, 10, 0, 0], "attribute-discard", 5],
    ["COMMUNITIES of 5 bytes (7.8)", [0xc0, 8, 5, 1, 2, 3, 4, 5], "treat-as-withdraw", 5],
    ["ORIGINATOR_ID of 3 bytes (7.9)", [0x80, 9, 3, 1, 2, 3], "treat-as-withdraw", 5],
    ["CLUSTER_LIST of 6 bytes (7.10)", [0x80, 10, 6, 1, 2, 3, 4, 5, 6], "treat-as-withdraw", 5],
    ["EXTENDED_COMMUNITIES of 7 bytes (7.14)", [0xc0, 16, 7, 0, 2, 0, 0, 0, 0, 1], "treat-as-withdraw", 5],
    [
      "LARGE_COMMUNITY of 8 bytes (RFC 8092 6)",
      [0xc0, 32, 8, 0, 0, 0, 1, 0, 0, 0, 2],
      "treat-as-withdraw",
      5,
    ],
    ["OTC of 2 bytes (RFC 9234 5)", [0xc0, 35, 2, 0, 1], "treat-as-withdraw", 5],
    ["AS4_PATH with a bad segment (RFC 6793 6)", [0xc0, 17, 3, 2, 1, 0], "attribute-discard", 11],
    ["AS4_AGGREGATOR of 6 bytes (RFC 6793 6)", [0xc0, 18, 6, 0, 0, 1, 2, 3, 4], "attribute-discard", 5],
    ["MED sent as well-known (3.c flags)", [0x40, 4, 4, 0, 0, 0, 1], "treat-as-withdraw", 4],
    [
      "a repeated MED keeps the first (3.g)",
      [0x80, 4, 4, 0, 0, 0, 1, 0x80, 4, 4, 0, 0, 0, 2],
      "attribute-discard",
      1,
    ],
    ["an attribute overrunning the attribute field (4)", [0xc0, 8, 40, 0, 0], "treat-as-withdraw", 5],
    ["two bytes left over, too few for a header (4)", [0xc0, 8], "treat-as-withdraw", 1],
  ];
  for (const [what, raw, action, subcode] of cases) {
    it(what, () => {
      const r = attrsOf(updateWith(raw));
      expect(r.action).toBe(action);
      expect(r.errors.map((e) => [e.code, e.subcode, e.action])).toContainEqual([3, subcode, action]);
    });
  }

  it("a repeated MED keeps the first value", () => {
    const r = attrsOf(updateWith([0x80, 4, 4, 0, 0, 0, 1, 0x80, 4, 4, 0, 0, 0, 2]));
    expect(routeAttributes(r.attributes, { as4: true }).med).toBe(1);
  });

  it("ORIGIN value 3 is treat-as-withdraw with subcode Invalid ORIGIN (7.1)", () => {
    const r = attrsOf(
      updateWith([], [{ ...attr.origin(0), origin: 3 }, attr.asPath([1]), attr.nextHop("10.0.0.1")]),
    );
    expect(r.action).toBe("treat-as-withdraw");
    expect(r.errors[0]).toMatchObject({ code: 3, subcode: 6 });
  });

  it("a malformed AS_PATH is treat-as-withdraw (7.2)", () => {
    // Segment says 3 ASNs but carries one.
    const bytes = updateWith([], [attr.origin(0), attr.nextHop("10.0.0.1")]);
    const r = attrsOf(encodeMessage(2, patchAttrs(bytes.subarray(19), [0x40, 2, 6, 2, 3, 0, 0, 0xfc, 0])));
    expect(r.action).toBe("treat-as-withdraw");
    expect(r.errors.some((e) => e.subcode === 11)).toBe(true);
  });

  it("a missing well-known mandatory attribute is treat-as-withdraw (3.d)", () => {
    const r = attrsOf(updateWith([], [attr.origin(0), attr.asPath([1])]));
    expect(r.action).toBe("treat-as-withdraw");
    expect(r.errors[0]).toMatchObject({ code: 3, subcode: 3, data: Buffer.from([3]) });
  });

  it("withdrawals alone need no mandatory attributes", () => {
    const u = decodeMessage(encodeUpdate({ withdrawn: [{ prefix: "10.208.1.5/32" }] })) as UpdateMessage;
    expect(u.attributes().errors).toEqual([]);
  });

  it("a repeated MP_REACH_NLRI resets the session (3.g)", () => {
    const mp = [0x80, 14, 9, 0, 1, 1, 4, 10, 0, 0, 1, 0];
    const e = thrown(() => attrsOf(updateWith([...mp, ...mp])));
    expect([e.code, e.subcode, e.action]).toEqual([3, 1, "session-reset"]);
  });

  it("an MP_REACH_NLRI next hop overrunning the attribute disables the family (7.11)", () => {
    const e = thrown(() => attrsOf(updateWith([0x80, 14, 6, 0, 2, 1, 16, 0, 0])));
    expect(e.action).toBe("afi-safi-disable");
  });

  it("an unrecognised well-known attribute resets the session (RFC 4271 6.3)", () => {
    const e = thrown(() => attrsOf(updateWith([0x40, 99, 0])));
    expect([e.code, e.subcode, e.action]).toEqual([3, 2, "session-reset"]);
  });

  it("inconsistent withdrawn/attribute lengths reset the session with Malformed Attribute List", () => {
    const bytes = updateWith([]);
    bytes.writeUInt16BE(500, 19 + 2); // attribute length beyond the message
    const e = thrown(() => decodeMessage(bytes));
    expect([e.code, e.subcode, e.action]).toEqual([3, 1, "session-reset"]);
  });

  it("an NLRI longer than 32 bits resets the session with Invalid Network Field (5.3)", () => {
    const bytes = Buffer.concat([updateWith([]), Buffer.from([33, 1, 2, 3, 4, 5])]);
    bytes.writeUInt16BE(bytes.length, 16);
    const e = thrown(() => (decodeMessage(bytes) as UpdateMessage).announced());
    expect([e.code, e.subcode, e.action]).toEqual([3, 10, "session-reset"]);
  });

  it("unknown optional attributes are kept with their flags (RFC 4271 5)", () => {
    const r = attrsOf(updateWith([0xe0, 250, 2, 0xab, 0xcd]));
    expect(r.errors).toEqual([]);
    expect(r.attributes.at(-1)).toEqual({
      name: "UNKNOWN",
      code: 250,
      flags: 0xe0,
      value: Buffer.from([0xab, 0xcd]),
    });
  });
});

/** Replaces the attribute field of an UPDATE body with `raw`. */
function patchAttrs(body: Buffer, raw: number[]): Buffer {
  const wLen = body.readUInt16BE(0);
  const aLen = body.readUInt16BE(2 + wLen);
  const extra = Buffer.from(raw);
  const out = Buffer.concat([body.subarray(0, 4 + wLen + aLen), extra, body.subarray(4 + wLen + aLen)]);
  out.writeUInt16BE(aLen + extra.length, 2 + wLen);
  return out;
}

describe("header checks (RFC 4271 6.1)", () => {
  it("names the problem and carries the NOTIFICATION subcode", () => {
    const ka = encodeMessage(4, Buffer.alloc(0));
    const badMarker = Buffer.from(ka);
    badMarker[3] = 0;
    expect(thrown(() => decodeMessage(badMarker))).toMatchObject({ code: 1, subcode: 1 });
    const badType = Buffer.from(ka);
    badType[18] = 9;
    expect(thrown(() => decodeMessage(badType))).toMatchObject({
      code: 1,
      subcode: 3,
      data: Buffer.from([9]),
    });
    const longKeepalive = encodeMessage(4, Buffer.alloc(1));
    expect(thrown(() => decodeMessage(longKeepalive))).toMatchObject({
      code: 1,
      subcode: 2,
      data: Buffer.from([0, 20]),
    });
    const huge = encodeMessage(2, Buffer.alloc(5000));
    expect(thrown(() => decodeMessage(huge))).toMatchObject({ code: 1, subcode: 2 });
    expect(decodeMessage(huge, 0, { as4: true, extendedMessage: true }).type).toBe("UPDATE");
  });
});
