/**
 * Interning of attribute sets: the thousands of paths a peer sends usually share a handful of
 * attribute combinations, so each distinct set is decoded and stored once, shared by reference, and
 * dropped when its last path goes.
 */
import type { RouteAttributes } from "../../codec/bgp/attributes.js";
import type { AttributeSet } from "../core/types.js";

interface Entry extends AttributeSet {
  readonly key: string;
  refs: number;
}

export class AttributePool {
  private readonly entries = new Map<string, Entry>();

  get size(): number {
    return this.entries.size;
  }

  /**
   * The shared set for `key` (the raw attribute bytes plus next hop identify it), decoding with
   * `make` only the first time. Each call takes a reference the caller must `release`.
   */
  acquire(key: string, make: () => RouteAttributes, nextHop: string): AttributeSet {
    let e = this.entries.get(key);
    if (!e) {
      e = { key, attrs: make(), nextHop, refs: 0 };
      this.entries.set(key, e);
    }
    e.refs++;
    return e;
  }

  /** Takes another reference to a set already held (a path copied to another table). */
  retain(set: AttributeSet): void {
    (set as Entry).refs++;
  }

  /**
   * The attribute bytes a set was interned from, MP_REACH_NLRI left out (its next hop is the set's
   * `attrs.mpNextHops`), and whether they encode AS numbers in 4 octets.
   */
  static rawAttributes(set: AttributeSet): { as4: boolean; bytes: Buffer } {
    const key = (set as Entry).key;
    // The key is "4"|"2", the bytes as latin1, then "|" and the next hop (which has no "|").
    return { as4: key[0] === "4", bytes: Buffer.from(key.slice(1, key.lastIndexOf("|")), "latin1") };
  }

  release(set: AttributeSet): void {
    const e = set as Entry;
    if (--e.refs === 0) this.entries.delete(e.key);
  }
}
