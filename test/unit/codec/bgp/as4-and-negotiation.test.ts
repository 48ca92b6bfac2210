import { describe, expect, it } from "vitest";
import {
  AS_TRANS,
  attr,
  decodeMessage,
  encodeOpen,
  encodeUpdate,
  familyKey,
  negotiate,
  receiveOptions,
  routeAttributes,
  sendOptions,
  type Capability,
  type OpenMessage,
  type PathAttribute,
  type UpdateMessage,
} from "../../../../codec/bgp/index.js";

const as4Path = (asns: number[]): PathAttribute => ({
  name: "AS4_PATH",
  code: 17,
  flags: 0xc0,
  segments: [{ type: 2, asns }],
});

describe("RFC 6793 4.2.3: AS_PATH and AS4_PATH from a 2-octet session", () => {
  const old = { as4: false };
  const decode = (attrs: PathAttribute[]) => {
    const u = decodeMessage(
      encodeUpdate({ attributes: attrs, nlri: [{ prefix: "10.0.0.0/8" }] }, old),
      0,
      old,
    ) as UpdateMessage;
    return routeAttributes(u.attributes().attributes, old);
  };

  it("replaces the AS_TRANS tail with the 4-octet path and keeps the leading 2-octet ASes", () => {
    const r = decode([
      attr.origin(0),
      attr.asPath([65001, AS_TRANS, AS_TRANS]),
      attr.nextHop("10.0.0.1"),
      as4Path([4200000001, 4200000002]),
    ]);
    expect(r.asPath).toEqual([{ type: 2, asns: [65001, 4200000001, 4200000002] }]);
  });

  it("ignores an AS4_PATH longer than the AS_PATH", () => {
    const r = decode([attr.origin(0), attr.asPath([AS_TRANS]), attr.nextHop("10.0.0.1"), as4Path([1, 2])]);
    expect(r.asPath).toEqual([{ type: 2, asns: [AS_TRANS] }]);
  });

  it("ignores AS4_PATH and AS4_AGGREGATOR when AGGREGATOR names a real 2-octet AS", () => {
    const r = decode([
      attr.origin(0),
      attr.asPath([65001, AS_TRANS]),
      attr.nextHop("10.0.0.1"),
      { name: "AGGREGATOR", code: 7, flags: 0xc0, asn: 65010, address: "10.0.0.9" },
      as4Path([4200000001]),
      { name: "AS4_AGGREGATOR", code: 18, flags: 0xc0, asn: 4200000009, address: "10.0.0.9" },
    ]);
    expect(r.asPath).toEqual([{ type: 2, asns: [65001, AS_TRANS] }]);
    expect(r.aggregator).toEqual({ asn: 65010, address: "10.0.0.9" });
  });

  it("takes AS4_AGGREGATOR when AGGREGATOR is AS_TRANS", () => {
    const r = decode([
      attr.origin(0),
      attr.asPath([AS_TRANS]),
      attr.nextHop("10.0.0.1"),
      { name: "AGGREGATOR", code: 7, flags: 0xc0, asn: AS_TRANS, address: "10.0.0.9" },
      as4Path([4200000001]),
      { name: "AS4_AGGREGATOR", code: 18, flags: 0xc0, asn: 4200000001, address: "10.0.0.9" },
    ]);
    expect(r.aggregator).toEqual({ asn: 4200000001, address: "10.0.0.9" });
    expect(r.asPath).toEqual([{ type: 2, asns: [4200000001] }]);
  });

  it("counts an AS_SET as one AS when deciding how much of AS_PATH to keep", () => {
    const r = decode([
      attr.origin(0),
      attr.asPath([
        { type: 2, asns: [65001, AS_TRANS] },
        { type: 1, asns: [1, 2, 3] },
      ]),
      attr.nextHop("10.0.0.1"),
      {
        name: "AS4_PATH",
        code: 17,
        flags: 0xc0,
        segments: [
          { type: 2, asns: [4200000001] },
          { type: 1, asns: [1, 2, 3] },
        ],
      },
    ]);
    expect(r.asPath).toEqual([
      { type: 2, asns: [65001, 4200000001] },
      { type: 1, asns: [1, 2, 3] },
    ]);
  });

  it("ignores AS4_PATH on a 4-octet session", () => {
    const opts = { as4: true };
    const u = decodeMessage(
      encodeUpdate({ attributes: [attr.asPath([4200000001]), as4Path([7])] }, opts),
      0,
      opts,
    ) as UpdateMessage;
    expect(routeAttributes(u.attributes().attributes, opts).asPath).toEqual([
      { type: 2, asns: [4200000001] },
    ]);
  });
});

describe("OPEN negotiation", () => {
  const open = (caps: Capability[], holdTime = 90): OpenMessage =>
    decodeMessage(encodeOpen({ asn: 64512, holdTime, bgpId: "10.0.0.1", capabilities: caps })) as OpenMessage;
  const mp = (afi: number, safi = 1): Capability => ({ name: "multiprotocol", code: 1, afi, safi });
  const addPath = (sendReceive: number, afi = 1): Capability => ({
    name: "add-path",
    code: 69,
    families: [{ afi, safi: 1, sendReceive }],
  });
  const as4: Capability = { name: "as4", code: 65, asn: 64512 };

  it("uses 4-octet ASNs only when both sides offer them", () => {
    expect(negotiate(open([as4]), open([as4])).as4).toBe(true);
    expect(negotiate(open([as4]), open([])).as4).toBe(false);
  });

  it("receives path ids where we receive and the peer sends (RFC 7911 5)", () => {
    const n = negotiate(open([mp(1), addPath(1)]), open([mp(1), addPath(3)]));
    expect(receiveOptions(n).addPath?.has(familyKey(1, 1))).toBe(true);
    expect(sendOptions(n).addPath?.has(familyKey(1, 1))).toBe(false);
    const none = negotiate(open([mp(1), addPath(1)]), open([mp(1), addPath(1)]));
    expect(none.addPathReceive.size).toBe(0);
  });

  it("defaults to IPv4 unicast without multiprotocol and intersects otherwise", () => {
    expect(negotiate(open([]), open([])).families).toEqual([{ afi: 1, safi: 1 }]);
    expect(negotiate(open([mp(1), mp(2)]), open([mp(2)])).families).toEqual([{ afi: 2, safi: 1 }]);
    // RFC 4760 8: no multiprotocol capability on one side means IPv4 unicast there.
    expect(negotiate(open([mp(1), mp(2)]), open([])).families).toEqual([{ afi: 1, safi: 1 }]);
    expect(negotiate(open([]), open([mp(2)])).families).toEqual([]);
  });

  it("takes the smaller hold time", () => {
    expect(negotiate(open([], 90), open([], 30)).holdTime).toBe(30);
  });
});
