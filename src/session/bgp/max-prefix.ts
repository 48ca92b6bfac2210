/** Per-peer maximum-prefix limit (RFC 4486 Cease subcode 1): warn once near it, close above it. */

export type MaxPrefixVerdict = "ok" | "warning" | "exceeded";

export class MaxPrefixGuard {
  private warned = false;

  /** `limit` 0 means none; `warningFraction` of it triggers the one warning. */
  constructor(
    readonly limit: number,
    private readonly warningFraction: number,
  ) {}

  check(count: number): MaxPrefixVerdict {
    if (this.limit <= 0) return "ok";
    if (count > this.limit) return "exceeded";
    if (!this.warned && count >= Math.ceil(this.limit * this.warningFraction)) {
      this.warned = true;
      return "warning";
    }
    return "ok";
  }

  /** A new session warns again. */
  reset(): void {
    this.warned = false;
  }
}

/** RFC 4486 4: the Cease data for "Maximum Number of Prefixes Reached": AFI, SAFI, the limit. */
export function maxPrefixData(afi: number, safi: number, limit: number): Buffer {
  const data = Buffer.alloc(7);
  data.writeUInt16BE(afi, 0);
  data[2] = safi;
  data.writeUInt32BE(limit, 3);
  return data;
}
