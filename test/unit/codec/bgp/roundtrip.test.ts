/** encode → decode round trips for generated messages, and decode never throws anything untyped. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  attr,
  decodeMessage,
  encodeKeepalive,
  encodeMessage,
  encodeNotification,
  encodeOpen,
  encodeRouteRefresh,
  encodeUpdate,
  familyKey,
  UpdateMessage,
  type BgpDecodeOptions,
  type Capability,
  type OpenMessage,
  type PathAttribute,
} from "../../../../codec/bgp/index.js";
import { CodecError } from "../../../../codec/errors.js";
import { ipv4, ipv6, nlriEntries, u16, u32 } from "../../../helpers/arbitraries.js";

const flagsOf = (base: number) => fc.boolean().map((ext) => (ext ? base | 0x10 : base));

function attributes(as4: boolean): fc.Arbitrary<PathAttribute[]> {
  const asn = as4 ? u32 : u16;
  const segment = fc.record({
    type: fc.constantFrom(1, 2, 3, 4),
    asns: fc.array(asn, { minLength: 1, maxLength: 12 }),
  });
  const one: fc.Arbitrary<PathAttribute>[] = [
    fc
      .record({ o: fc.constantFrom(0, 1, 2), f: flagsOf(0x40) })
      .map(({ o, f }) => ({ ...attr.origin(o), flags: f })),
    fc
      .record({ s: fc.array(segment, { maxLength: 4 }), f: flagsOf(0x40) })
      .map(({ s, f }) => ({ ...attr.asPath(s), flags: f })),
    ipv4.map((a) => attr.nextHop(a)),
    u32.map((v) => attr.med(v)),
    u32.map((v) => attr.localPref(v)),
    fc.constant<PathAttribute>({ name: "ATOMIC_AGGREGATE", code: 6, flags: 0x40 }),
    fc
      .record({ asn, address: ipv4 })
      .map(({ asn, address }) => ({ name: "AGGREGATOR" as const, code: 7, flags: 0xc0, asn, address })),
    fc.array(u32, { minLength: 1, maxLength: 80 }).map((v) => attr.communities(v)),
    ipv4.map((address) => ({ name: "ORIGINATOR_ID" as const, code: 9, flags: 0x80, address })),
    fc
      .array(ipv4, { minLength: 1, maxLength: 5 })
      .map((values) => ({ name: "CLUSTER_LIST" as const, code: 10, flags: 0x80, values })),
    fc.array(fc.uint8Array({ minLength: 8, maxLength: 8 }), { minLength: 1, maxLength: 5 }).map((v) => ({
      name: "EXTENDED_COMMUNITIES" as const,
      code: 16,
      flags: 0xc0,
      values: v.map((b) => Buffer.from(b).toString("hex")),
    })),
    fc
      .array(
        segment.map((s) => ({ ...s, asns: s.asns.map((a) => a) })),
        { minLength: 1, maxLength: 3 },
      )
      .map((segments) => ({
        name: "AS4_PATH" as const,
        code: 17,
        flags: 0xc0,
        segments,
      })),
    fc
      .record({ asn: u32, address: ipv4 })
      .map(({ asn, address }) => ({ name: "AS4_AGGREGATOR" as const, code: 18, flags: 0xc0, asn, address })),
    fc.array(fc.tuple(u32, u32, u32), { minLength: 1, maxLength: 6 }).map((v) => attr.largeCommunities(v)),
    u32.map((value) => ({ name: "OTC" as const, code: 35, flags: 0xc0, value })),
    fc
      .record({
        code: fc.constantFrom(19, 20, 21, 26, 40, 99, 200, 255),
        value: fc.uint8Array({ maxLength: 300 }),
        t: fc.boolean(),
      })
      .map(({ code, value, t }) => ({
        name: "UNKNOWN" as const,
        code,
        flags: t ? 0xc0 : 0x80,
        value: Buffer.from(value),
      })),
    fc
      .oneof(
        fc.record({
          afi: fc.constant(1),
          nh: fc.oneof(
            ipv4.map((a) => [a]),
            ipv6.map((a) => [a]),
          ),
          n: nlriEntries(1, false),
        }),
        fc.record({
          afi: fc.constant(2),
          nh: fc.oneof(
            ipv6.map((a) => [a]),
            fc.tuple(ipv6, ipv6).map((x) => [...x]),
          ),
          n: nlriEntries(2, false),
        }),
      )
      .map(({ afi, nh, n }) => attr.mpReach(afi, 1, nh, n)),
    fc
      .record({ afi: fc.constantFrom(1, 2) })
      .chain(({ afi }) => nlriEntries(afi as 1 | 2, false).map((w) => attr.mpUnreach(afi, 1, w))),
  ];
  // Each attribute type at most once (RFC 7606 3.g discards repeats), in any order.
  return fc
    .subarray(one.map((_, i) => i))
    .chain((idx) =>
      fc
        .tuple(...idx.map((i) => one[i]!))
        .chain((list) => fc.shuffledSubarray(list, { minLength: list.length })),
    );
}

describe("UPDATE round trip", () => {
  for (const as4 of [true, false]) {
    it(`decode(encode(update)) gives back every attribute and prefix (as4=${as4})`, () => {
      fc.assert(
        fc.property(
          attributes(as4),
          nlriEntries(1, false),
          nlriEntries(1, false),
          (attrs, nlri, withdrawn) => {
            const opts: BgpDecodeOptions = { as4, extendedMessage: true };
            const bytes = encodeUpdate({ attributes: attrs, nlri, withdrawn }, opts);
            fc.pre(bytes.length <= 65535);
            const msg = decodeMessage(bytes, 0, opts);
            expect(msg).toBeInstanceOf(UpdateMessage);
            const u = msg as UpdateMessage;
            const decoded = u.attributes();
            expect(decoded.errors.filter((e) => e.kind !== "bgp.attr.missing-well-known")).toEqual([]);
            expect(decoded.attributes).toEqual(attrs);
            expect(u.nlri()).toEqual(nlri);
            expect(u.withdrawnRoutes()).toEqual(withdrawn);
            // Re-encoding the decoded form gives the same bytes.
            expect(
              encodeUpdate(
                { attributes: decoded.attributes, nlri: u.nlri(), withdrawn: u.withdrawnRoutes() },
                opts,
              ),
            ).toEqual(bytes);
          },
        ),
        { numRuns: 300 },
      );
    });
  }

  it("carries ADD-PATH path identifiers for the families negotiated", () => {
    const opts: BgpDecodeOptions = { as4: true, addPath: new Set([familyKey(1, 1), familyKey(2, 1)]) };
    fc.assert(
      fc.property(
        nlriEntries(1, true),
        nlriEntries(1, true),
        nlriEntries(2, true, 10),
        (nlri, withdrawn, v6) => {
          const attrs = [
            attr.origin(0),
            attr.asPath([]),
            attr.nextHop("10.0.0.1"),
            attr.mpReach(2, 1, ["2001:db8::1"], v6),
          ];
          const u = decodeMessage(
            encodeUpdate({ attributes: attrs, nlri, withdrawn }, opts),
            0,
            opts,
          ) as UpdateMessage;
          expect(u.announced()).toEqual([...nlri, ...v6]);
          expect(u.withdrawn()).toEqual(withdrawn);
          expect(u.announcedCount()).toBe(nlri.length + v6.length);
        },
      ),
    );
  });
});

const capability: fc.Arbitrary<Capability> = fc.oneof(
  fc
    .record({ afi: u16, safi: fc.nat({ max: 255 }) })
    .map(({ afi, safi }) => ({ name: "multiprotocol" as const, code: 1 as const, afi, safi })),
  fc.constantFrom<Capability>(
    { name: "route-refresh", code: 2 },
    { name: "enhanced-route-refresh", code: 70 },
    { name: "route-refresh-cisco", code: 128 },
    { name: "extended-message", code: 6 },
  ),
  u32.map((asn) => ({ name: "as4" as const, code: 65 as const, asn })),
  fc
    .array(fc.record({ afi: u16, safi: fc.nat({ max: 255 }), sendReceive: fc.constantFrom(1, 2, 3) }), {
      maxLength: 4,
    })
    .map((families) => ({ name: "add-path" as const, code: 69 as const, families })),
  fc
    .record({
      restarting: fc.boolean(),
      notification: fc.boolean(),
      restartTime: fc.nat({ max: 4095 }),
      families: fc.array(
        fc.record({ afi: u16, safi: fc.nat({ max: 255 }), forwardingPreserved: fc.boolean() }),
        { maxLength: 4 },
      ),
    })
    .map((g) => ({ name: "graceful-restart" as const, code: 64 as const, ...g })),
  fc
    .array(
      fc.record({
        afi: u16,
        safi: fc.nat({ max: 255 }),
        flags: fc.nat({ max: 255 }),
        staleTime: fc.nat({ max: 0xffffff }),
      }),
      { maxLength: 3 },
    )
    .map((families) => ({ name: "long-lived-graceful-restart" as const, code: 71 as const, families })),
  fc
    .record({ hostname: fc.string({ maxLength: 40 }), domain: fc.string({ maxLength: 40 }) })
    .filter(({ hostname, domain }) => Buffer.byteLength(hostname) < 100 && Buffer.byteLength(domain) < 100)
    .map((f) => ({ name: "fqdn" as const, code: 73 as const, ...f })),
  fc
    .array(fc.record({ afi: u16, safi: u16, nextHopAfi: u16 }), { maxLength: 4 })
    .map((entries) => ({ name: "extended-next-hop" as const, code: 5 as const, entries })),
  fc.nat({ max: 255 }).map((role) => ({ name: "role" as const, code: 9 as const, role })),
  fc
    .record({ code: fc.constantFrom(3, 7, 8, 67, 74, 75, 131, 239), value: fc.uint8Array({ maxLength: 20 }) })
    .map(({ code, value }) => ({ name: "unknown" as const, code, value: Buffer.from(value) })),
);

describe("OPEN round trip", () => {
  it("decode(encode(open)) keeps every capability and parameter", () => {
    fc.assert(
      fc.property(
        u32,
        u16,
        ipv4,
        fc.array(capability, { maxLength: 12 }),
        fc.boolean(),
        (asn, holdTime, bgpId, caps, ext) => {
          const bytes = encodeOpen({ asn, holdTime, bgpId, capabilities: caps, extendedParameters: ext });
          const open = decodeMessage(bytes) as OpenMessage;
          expect(open.type).toBe("OPEN");
          expect(open.capabilities).toEqual(caps);
          expect(open.myAsn).toBe(asn > 0xffff ? 23456 : asn);
          expect(open.holdTime).toBe(holdTime);
          expect(open.bgpId).toBe(bgpId);
          expect(
            encodeOpen({
              asn,
              holdTime,
              bgpId,
              optionalParameters: open.optionalParameters,
              extendedParameters: open.extendedParameters,
            }),
          ).toEqual(bytes);
        },
      ),
    );
  });
});

describe("small messages round trip", () => {
  it("NOTIFICATION, KEEPALIVE, ROUTE-REFRESH", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 255 }),
        fc.nat({ max: 255 }),
        fc.uint8Array({ maxLength: 64 }),
        (code, subcode, data) => {
          const n = decodeMessage(encodeNotification(code, subcode, Buffer.from(data)));
          expect(n).toMatchObject({ type: "NOTIFICATION", code, subcode, data: Buffer.from(data) });
        },
      ),
    );
    expect(decodeMessage(encodeKeepalive())).toEqual({ type: "KEEPALIVE" });
    fc.assert(
      fc.property(u16, fc.nat({ max: 255 }), fc.constantFrom(0, 1, 2), (afi, safi, subtype) => {
        expect(decodeMessage(encodeRouteRefresh(afi, safi, subtype))).toEqual({
          type: "ROUTE-REFRESH",
          afi,
          safi,
          subtype,
        });
      }),
    );
  });
});

describe("hostile bytes", () => {
  const decodeAll = (bytes: Uint8Array, opts: BgpDecodeOptions): void => {
    try {
      const m = decodeMessage(Buffer.from(bytes), 0, opts);
      if (m.type === "UPDATE") {
        m.announced();
        m.withdrawn();
        m.attributes();
        m.endOfRib();
      }
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
    }
  };
  const optsArb = fc.record({ as4: fc.boolean(), addPathAll: fc.boolean(), extendedMessage: fc.boolean() });

  it("random bodies behind a valid header only ever throw CodecError", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 3, 4, 5),
        fc.uint8Array({ maxLength: 200 }),
        optsArb,
        (type, body, opts) => {
          decodeAll(encodeMessage(type, Buffer.from(body)), opts);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("mutated valid UPDATEs only ever throw CodecError", () => {
    fc.assert(
      fc.property(
        attributes(true),
        nlriEntries(1, false, 5),
        fc.array(fc.record({ at: fc.nat(), value: fc.nat({ max: 255 }) }), { minLength: 1, maxLength: 6 }),
        optsArb,
        (attrs, nlri, mutations, opts) => {
          const bytes = encodeUpdate({ attributes: attrs, nlri }, { as4: true, extendedMessage: true });
          for (const m of mutations) bytes[19 + (m.at % Math.max(1, bytes.length - 19))] = m.value;
          decodeAll(bytes, opts);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
