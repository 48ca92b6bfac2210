import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ipToString, parseIp } from "../../../codec/ip.js";
import {
  canonicalAddress,
  cidrContains,
  formatAddress,
  formatCidr,
  parseAddress,
  parseCidr,
  parsePoolAddresses,
  rangeToCidrs,
  type Address,
  type Cidr,
  type Family,
} from "../../../src/inventory/addresses.js";

const toBytes = (a: Address): Uint8Array => {
  const n = a.family === 4 ? 4 : 16;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Number((a.value >> BigInt(8 * (n - 1 - i))) & 0xffn);
  return out;
};

describe("address text", () => {
  it("formats IPv6 like the codec (RFC 5952), which is checked against tshark", () => {
    // Values with runs of zero groups, so "::" placement is exercised.
    const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (groups) => {
        const value = groups.reduce((v, g) => (v << 16n) | BigInt(g), 0n);
        const a: Address = { family: 6, value };
        const bytes = toBytes(a);
        expect(formatAddress(a)).toBe(ipToString(bytes, 0, 16));
        expect(parseAddress(formatAddress(a))).toEqual(a);
      }),
    );
  });

  it("parses what the codec parses, to the same bytes", () => {
    const texts = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.constantFrom(
        "1.2.3",
        "1.2.3.256",
        "::1::",
        "1:2:3:4:5:6:7:8:9",
        "2001:db8::g",
        "",
        "01.2.3.4",
        "::ffff:1.2.3.4",
      ),
    );
    fc.assert(
      fc.property(texts, (t) => {
        const ours = parseAddress(t);
        const codec = parseIp(t);
        // The codec accepts leading zeros ("01.2.3.4"); we refuse them (octal or decimal?).
        if (/(^|\.)0\d/.test(t) && !t.includes(":")) expect(ours).toBeUndefined();
        else if (codec === undefined) expect(ours).toBeUndefined();
        else expect(ours && Buffer.from(toBytes(ours))).toEqual(codec);
      }),
    );
  });

  it("canonicalises addresses and rejects what is not one", () => {
    expect(canonicalAddress("2001:DB8:0:0:0:0:0:10")).toBe("2001:db8::10");
    expect(canonicalAddress("::ffff:10.1.2.3")).toBe("::ffff:10.1.2.3");
    expect(canonicalAddress("10.208.1.5")).toBe("10.208.1.5");
    expect(canonicalAddress("fe80::1%eth0")).toBeUndefined();
    expect(canonicalAddress("10.208.1.5/32")).toBeUndefined();
    expect(canonicalAddress("node1")).toBeUndefined();
  });

  it("parses CIDRs, clearing host bits like Go's net.ParseCIDR", () => {
    expect(formatCidr(parseCidr("10.208.1.77/24")!)).toBe("10.208.1.0/24");
    expect(formatCidr(parseCidr("2001:DB8::1/64")!)).toBe("2001:db8::/64");
    expect(formatCidr(parseCidr("0.0.0.0/0")!)).toBe("0.0.0.0/0");
    for (const bad of ["10.0.0.0/33", "10.0.0.0/", "10.0.0.0", "10.0.0.0/024", "::/129", "x/8"]) {
      expect(parseCidr(bad), bad).toBeUndefined();
    }
  });
});

/** Every address of the CIDRs, as numbers relative to `origin` (small ranges only). */
function expand(cidrs: Cidr[], bits: number, origin: bigint): number[] {
  const out: number[] = [];
  for (const c of cidrs) {
    const size = 1n << BigInt(bits - c.len);
    for (let v = c.value; v < c.value + size; v++) out.push(Number(v - origin));
  }
  return out.sort((a, b) => a - b);
}

/** The fewest aligned blocks that tile first..last exactly, by trying every block at every step. */
function fewestBlocks(first: bigint, last: bigint, bits: number): number {
  const memo = new Map<bigint, number>();
  const best = (start: bigint): number => {
    if (start > last) return 0;
    const known = memo.get(start);
    if (known !== undefined) return known;
    let min = Infinity;
    for (let size = 0; size <= bits; size++) {
      const n = 1n << BigInt(size);
      if (start % n !== 0n || start + n - 1n > last) continue;
      min = Math.min(min, 1 + best(start + n));
    }
    memo.set(start, min);
    return min;
  };
  return best(first);
}

describe("ranges to CIDRs", () => {
  const check = (family: Family, first: bigint, last: bigint): void => {
    const bits = family === 4 ? 32 : 128;
    const cidrs = rangeToCidrs({ family, value: first }, { family, value: last });
    const want = Array.from({ length: Number(last - first) + 1 }, (_, i) => i);
    expect(expand(cidrs, bits, first)).toEqual(want);
    expect(cidrs.length).toBe(fewestBlocks(first, last, bits));
    // Each one is a real CIDR: no host bits set.
    for (const c of cidrs) expect(parseCidr(formatCidr(c))).toEqual(c);
  };

  it("covers exactly the range with the fewest CIDRs (IPv4, brute force)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 0, max: 700 }),
        (start, length) => {
          const first = BigInt(start);
          const last = first + BigInt(length) > 0xffffffffn ? 0xffffffffn : first + BigInt(length);
          check(4, first, last);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("covers exactly the range with the fewest CIDRs (IPv6, brute force)", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
        fc.integer({ min: 0, max: 300 }),
        (start, length) => {
          const max = (1n << 128n) - 1n;
          const last = start + BigInt(length) > max ? max : start + BigInt(length);
          check(6, start, last);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("handles the edges of the address space", () => {
    expect(rangeToCidrs(parseAddress("0.0.0.0")!, parseAddress("255.255.255.255")!).map(formatCidr)).toEqual([
      "0.0.0.0/0",
    ]);
    expect(rangeToCidrs(parseAddress("::")!, parseAddress("::")!).map(formatCidr)).toEqual(["::/128"]);
    check(4, 0xffffff00n, 0xffffffffn);
    check(6, 0n, 257n);
  });

  it("reads MetalLB pool entries: CIDR, range, single address", () => {
    const text = (s: string) => parsePoolAddresses(s)?.map(formatCidr);
    expect(text("10.208.1.0/24")).toEqual(["10.208.1.0/24"]);
    expect(text("10.208.1.10-10.208.1.20")).toEqual([
      "10.208.1.10/31",
      "10.208.1.12/30",
      "10.208.1.16/30",
      "10.208.1.20/32",
    ]);
    expect(text(" 10.208.2.0 - 10.208.2.255 ")).toEqual(["10.208.2.0/24"]);
    expect(text("fc00:f853:ccd:e799::-fc00:f853:ccd:e799::ff")).toEqual(["fc00:f853:ccd:e799::/120"]);
    expect(text("10.208.3.7")).toEqual(["10.208.3.7/32"]);
    for (const bad of [
      "10.208.1.20-10.208.1.10",
      "10.0.0.1-::1",
      "10.0.0.1-10.0.0.2-10.0.0.3",
      "pool",
      "10.0.0.0/40",
    ]) {
      expect(parsePoolAddresses(bad), bad).toBeUndefined();
    }
  });

  it("tests containment", () => {
    const c = parseCidr("10.208.1.0/24")!;
    expect(cidrContains(c, parseAddress("10.208.1.255")!)).toBe(true);
    expect(cidrContains(c, parseAddress("10.208.2.0")!)).toBe(false);
    expect(cidrContains(c, parseAddress("::a0d0:100")!)).toBe(false);
  });
});
