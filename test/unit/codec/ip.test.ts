import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ipv6ToString, parseIp, parsePrefix, prefixCovers, prefixToString } from "../../../codec/ip.js";

describe("IPv6 text", () => {
  it("matches the WHATWG URL serializer (RFC 5952 compression) for every address but IPv4-mapped", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const b = Buffer.from(bytes);
        const isMapped = b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
        fc.pre(!isMapped);
        const reference = new URL(`http://[${ipv6ToString(b, 0)}]/`).hostname.slice(1, -1);
        expect(ipv6ToString(b, 0)).toBe(reference);
      }),
    );
  });

  it("round-trips through parseIp", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        expect(parseIp(ipv6ToString(Buffer.from(bytes), 0))).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it("keeps the dotted quad of IPv4-mapped addresses (RFC 5952 5)", () => {
    expect(ipv6ToString(parseIp("::ffff:10.1.2.3")!, 0)).toBe("::ffff:10.1.2.3");
  });
});

describe("prefixes", () => {
  it("reads only the significant bytes of an NLRI prefix", () => {
    expect(prefixToString(1, Buffer.from([10, 208, 1]), 0, 24)).toBe("10.208.1.0/24");
    expect(prefixToString(2, Buffer.from([0x20, 0x01, 0x0d, 0xb8]), 0, 32)).toBe("2001:db8::/32");
    expect(prefixToString(1, Buffer.alloc(0), 0, 0)).toBe("0.0.0.0/0");
  });

  it("rejects text that is not a prefix", () => {
    for (const bad of ["10.0.0.0/33", "10.0.0/8", "1:2:3/200", "x", "10.0.0.256/8", "::1::2/64"]) {
      expect(() => parsePrefix(bad), bad).toThrow(/prefix/);
    }
  });

  it("knows which prefix covers which", () => {
    const p = parsePrefix;
    expect(prefixCovers(p("10.208.1.0/24"), p("10.208.1.5/32"))).toBe(true);
    expect(prefixCovers(p("10.208.1.0/24"), p("10.208.2.5/32"))).toBe(false);
    expect(prefixCovers(p("10.208.0.0/23"), p("10.208.1.0/24"))).toBe(true);
    expect(prefixCovers(p("10.208.1.0/25"), p("10.208.1.128/32"))).toBe(false);
    expect(prefixCovers(p("10.208.1.5/32"), p("10.208.1.0/24"))).toBe(false);
    expect(prefixCovers(p("::/0"), p("10.0.0.0/8"))).toBe(false);
  });
});
