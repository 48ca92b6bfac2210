/** RFC 4271 6.8: which of two connections to the same peer, both past their OPEN, gives way. */
import { compareBgpIds } from "./open-policy.js";

export interface Contender {
  /** Who opened the TCP connection: the peer ("in") or us ("out"). */
  direction: "in" | "out";
  /** When the connection was accepted or made (µs). */
  openedAt: number;
}

/**
 * The connection to close with Cease / Connection Collision Resolution. One in each direction:
 * keep the one opened by the side with the higher BGP Identifier. Two in the same direction (a peer
 * that reconnected before we noticed the first connection die): keep the newer one.
 */
export function collisionLoser<T extends Contender>(ourBgpId: string, theirBgpId: string, a: T, b: T): T {
  if (a.direction !== b.direction) {
    const outbound = a.direction === "out" ? a : b;
    const inbound = a.direction === "out" ? b : a;
    return compareBgpIds(ourBgpId, theirBgpId) > 0 ? inbound : outbound;
  }
  return a.openedAt <= b.openedAt ? a : b;
}
