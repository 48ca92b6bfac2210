/**
 * Who may hold a BGP session with us: addresses inside `bgp.allowPeers`, or equal to a configured
 * `bgp.peers[].address` (which also carries the expected ASN and limits).
 */
import { ipToString, parseIp, parsePrefix, prefixCovers, type PrefixBytes } from "../../../codec/ip.js";
import type { Config, PeerConfig } from "../../core/config.js";

/**
 * The canonical text of an address as a socket reports it: IPv4-mapped IPv6 ("::ffff:10.0.0.1",
 * seen on dual-stack listeners) becomes plain IPv4, IPv6 is written as RFC 5952 says.
 */
export function normalizeAddress(text: string): string {
  const bytes = parseIp(text.replace(/%.*$/, ""));
  if (!bytes) return text;
  if (bytes.length === 16 && bytes.readUInt32BE(0) === 0 && bytes.readUInt32BE(4) === 0) {
    if (bytes.readUInt32BE(8) === 0xffff) return ipToString(bytes, 12, 4);
  }
  return ipToString(bytes, 0, bytes.length);
}

export type AllowDecision = { allowed: false } | { allowed: true; peer?: PeerConfig };

export class AllowList {
  private readonly ranges: PrefixBytes[];
  private readonly peers = new Map<string, PeerConfig>();

  constructor(bgp: Config["bgp"]) {
    this.ranges = bgp.allowPeers.map((c) => parsePrefix(c));
    for (const p of bgp.peers) this.peers.set(normalizeAddress(p.address), p);
  }

  /** `address` must be normalized. A configured peer wins over a CIDR match (it has an ASN to check). */
  check(address: string): AllowDecision {
    const peer = this.peers.get(address);
    if (peer) return { allowed: true, peer };
    const bytes = parseIp(address);
    if (!bytes) return { allowed: false };
    const host: PrefixBytes = { afi: bytes.length === 4 ? 1 : 2, addr: bytes, len: bytes.length * 8 };
    return this.ranges.some((r) => prefixCovers(r, host)) ? { allowed: true } : { allowed: false };
  }

  configured(): [string, PeerConfig][] {
    return [...this.peers];
  }
}
