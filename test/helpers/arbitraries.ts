/** fast-check generators for BGP values, shared by the codec's property tests. */
import fc from "fast-check";
import { ipv4ToString, ipv6ToString, prefixToString } from "../../codec/ip.js";
import type { NlriEntry } from "../../codec/bgp/nlri.js";

export const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => ipv4ToString(b, 0));
export const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => ipv6ToString(b, 0));

/** A prefix in canonical form: host bits beyond the length are zero. */
export function prefix(afi: 1 | 2): fc.Arbitrary<string> {
  const bytes = afi === 1 ? 4 : 16;
  return fc
    .record({
      addr: fc.uint8Array({ minLength: bytes, maxLength: bytes }),
      len: fc.integer({ min: 0, max: bytes * 8 }),
    })
    .map(({ addr, len }) => {
      const masked = Uint8Array.from(addr, (v, i) =>
        i * 8 >= len ? 0 : i * 8 + 8 <= len ? v : v & (0xff << (8 - (len - i * 8))),
      );
      return prefixToString(afi, Buffer.from(masked), 0, len);
    });
}

export function nlriEntries(afi: 1 | 2, addPath: boolean, maxLength = 20): fc.Arbitrary<NlriEntry[]> {
  return fc.array(
    addPath
      ? fc.record({ prefix: prefix(afi), pathId: fc.nat({ max: 0xffffffff }) })
      : prefix(afi).map((p) => ({ prefix: p })),
    { maxLength },
  );
}

export const u32 = fc.nat({ max: 0xffffffff });
export const u16 = fc.nat({ max: 0xffff });
