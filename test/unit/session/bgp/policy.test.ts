import { describe, expect, it } from "vitest";
import { buildConfig } from "../../../../src/core/config.js";
import { AllowList, normalizeAddress } from "../../../../src/session/bgp/allow-list.js";
import { collisionLoser, type Contender } from "../../../../src/session/bgp/collision.js";
import { compareBgpIds, keepaliveSeconds } from "../../../../src/session/bgp/open-policy.js";

describe("AllowList", () => {
  const bgp = buildConfig({
    routerId: "10.0.0.1",
    bgp: {
      allowPeers: ["10.1.0.0/16", "2001:db8::/32"],
      peers: [{ address: "192.168.5.5", asn: 65005 }, { address: "2001:DB8:0:0::9" }],
    },
  }).bgp;
  const allow = new AllowList(bgp);

  it("admits addresses inside allowPeers and configured peers, with their settings", () => {
    expect(allow.check("10.1.200.3")).toEqual({ allowed: true });
    expect(allow.check("10.2.0.1")).toEqual({ allowed: false });
    expect(allow.check("2001:db8:ffff::1")).toEqual({ allowed: true });
    expect(allow.check("192.168.5.5")).toMatchObject({ allowed: true, peer: { asn: 65005 } });
    expect(allow.check("2001:db8::9")).toMatchObject({ allowed: true, peer: { address: "2001:DB8:0:0::9" } });
    expect(allow.check("not an address")).toEqual({ allowed: false });
  });

  it("normalizes addresses as sockets report them", () => {
    expect(normalizeAddress("::ffff:10.1.2.3")).toBe("10.1.2.3");
    expect(normalizeAddress("2001:DB8:0:0:0:0:0:1")).toBe("2001:db8::1");
    expect(normalizeAddress("fe80::1%eth0")).toBe("fe80::1");
  });
});

describe("collision resolution (RFC 4271 6.8)", () => {
  const inbound: Contender = { direction: "in", openedAt: 2 };
  const outbound: Contender = { direction: "out", openedAt: 1 };

  it("closes our connection when the peer's BGP Identifier is higher, else theirs", () => {
    expect(collisionLoser("10.0.0.1", "10.0.0.2", inbound, outbound)).toBe(outbound);
    expect(collisionLoser("10.0.0.3", "10.0.0.2", inbound, outbound)).toBe(inbound);
  });

  it("compares identifiers as unsigned 32-bit numbers, not as text", () => {
    expect(compareBgpIds("9.0.0.1", "10.0.0.1")).toBeLessThan(0);
    expect(compareBgpIds("200.0.0.1", "100.0.0.1")).toBeGreaterThan(0);
    expect(collisionLoser("255.0.0.1", "9.0.0.1", inbound, outbound)).toBe(inbound);
  });

  it("keeps the newer of two connections in the same direction", () => {
    const older = { direction: "in" as const, openedAt: 1 };
    const newer = { direction: "in" as const, openedAt: 5 };
    expect(collisionLoser("10.0.0.1", "10.0.0.2", newer, older)).toBe(older);
  });
});

describe("keepalive interval", () => {
  it("is a third of the hold time, none for 0 (RFC 4271 10)", () => {
    expect([0, 3, 9, 90, 100].map(keepaliveSeconds)).toEqual([0, 1, 3, 30, 33]);
  });
});
