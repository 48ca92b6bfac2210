/** Types shared by the pipeline stages: where a route was learned, and what changed. */
import type { RouteAttributes } from "../../codec/bgp/attributes.js";

/**
 * How a route reached routewatch: a direct BGP session, or BMP from a router's pre-policy
 * Adj-RIB-In, post-policy Adj-RIB-In, Loc-RIB (RFC 9069) or Adj-RIB-Out (RFC 8671).
 */
export type RouteSource = "bgp" | "bmp-pre" | "bmp-post" | "bmp-locrib" | "bmp-out";
export const ROUTE_SOURCES: readonly RouteSource[] = ["bgp", "bmp-pre", "bmp-post", "bmp-locrib", "bmp-out"];

/** One stream of routes: a BGP peer, or one BMP router's view of one monitored peer. */
export interface PeerRef {
  /** Stable key, e.g. "bgp|127.0.1.1" or "bmp-pre|127.0.2.1|0:0|127.0.1.1". */
  id: string;
  source: RouteSource;
  /** The peer's address (for Loc-RIB: the router's). */
  address: string;
  asn: number;
  bgpId: string;
  /** BMP: the router streaming this view. */
  router?: string;
  /** BMP: the peer distinguisher ("0:0" for the global instance). */
  distinguisher?: string;
}

export function peerId(
  source: RouteSource,
  address: string,
  router?: string,
  distinguisher?: string,
): string {
  return router === undefined
    ? `${source}|${address}`
    : `${source}|${router}|${distinguisher ?? "0:0"}|${address}`;
}

/** Attributes shared by many paths, interned by the RIB: compare by identity. */
export interface AttributeSet {
  readonly attrs: RouteAttributes;
  /** The next hop used for this path (NEXT_HOP for IPv4 NLRI, else MP_REACH_NLRI's first). */
  readonly nextHop: string;
}

/** One path in an Adj-RIB. */
export interface Path {
  prefix: string;
  /** ADD-PATH path identifier; 0 without ADD-PATH. */
  pathId: number;
  attrs: AttributeSet;
  /** When it was (last) announced. */
  tsMicros: number;
  /** Kept through a graceful restart, waiting to be refreshed or swept. */
  stale?: boolean;
}

export type RouteAction = "announce" | "replace" | "withdraw";

/** A change in an Adj-RIB; `previous` is the path replaced or withdrawn. */
export interface RouteEvent {
  tsMicros: number;
  action: RouteAction;
  peer: PeerRef;
  prefix: string;
  pathId: number;
  /** The new path (announce, replace). */
  path?: Path;
  previous?: Path;
  /**
   * "session": the withdrawal is the session's (lost, peer down, stale routes swept), not an
   * UPDATE's; flap damping counts it as a peer flap, not a route flap.
   */
  cause?: "session";
}
