/**
 * What the routes say, in the terms the rules need: who advertises a prefix (as nodes, through which
 * view), which shorter routes cover an address, which nodes are visible in which views. Built per
 * evaluation from the RIB (the one source of truth) and the Kubernetes view.
 */
import { AFI_IPV4, parseIp, prefixToString } from "../../codec/ip.js";
import type { RouteSource } from "../core/types.js";
import type { ServiceView } from "../inventory/types.js";
import type { Rib } from "../rib/rib.js";

export interface Advertisement {
  /** The node this path comes from; undefined when its address is no node's. */
  node: string | undefined;
  /** The address that identifies the advertiser: the peer's, or the next hop's for Loc-RIB. */
  address: string;
  source: RouteSource;
  router?: string;
  nextHop: string;
  stale: boolean;
}

export interface CoveringRoute {
  prefix: string;
  advertisements: Advertisement[];
}

/** Sources where a path means "this node announces it" (rather than "the ToR accepted it"). */
export const ANNOUNCE_SOURCES: ReadonlySet<RouteSource> = new Set<RouteSource>([
  "bgp",
  "bmp-pre",
  "bmp-post",
]);

export class RouteFacts {
  private readonly visibility = new Map<string, { sources: Set<RouteSource>; synced: Set<RouteSource> }>();
  private allPeersSynced = true;
  private peerCount = 0;

  constructor(
    private readonly rib: Rib,
    private readonly view: ServiceView,
  ) {
    for (const peer of rib.peers()) {
      this.peerCount++;
      const synced = rib.isSynced(peer.id);
      if (!synced) this.allPeersSynced = false;
      if (peer.source === "bmp-locrib") continue; // a Loc-RIB view is the router's, not a node's
      const node = view.nodeForAddress(peer.address);
      if (!node) continue;
      let v = this.visibility.get(node);
      if (!v) this.visibility.set(node, (v = { sources: new Set(), synced: new Set() }));
      v.sources.add(peer.source);
      if (synced) v.synced.add(peer.source);
    }
  }

  /** Every path for exactly this prefix, attributed to nodes. */
  advertisements(prefix: string): Advertisement[] {
    return this.rib.lookup(prefix).map(({ peer, path }) => {
      const address = peer.source === "bmp-locrib" ? path.attrs.nextHop : peer.address;
      return {
        node: this.view.nodeForAddress(address),
        address,
        source: peer.source,
        ...(peer.router !== undefined ? { router: peer.router } : {}),
        nextHop: path.attrs.nextHop,
        stale: path.stale === true,
      };
    });
  }

  /** Nodes announcing exactly this prefix in an announce view (direct BGP, BMP Adj-RIB-In). */
  announcingNodes(prefix: string): Map<string, Set<RouteSource>> {
    const out = new Map<string, Set<RouteSource>>();
    for (const a of this.advertisements(prefix)) {
      if (!a.node) continue;
      let s = out.get(a.node);
      if (!s) out.set(a.node, (s = new Set()));
      s.add(a.source);
    }
    return out;
  }

  /** Existing routes strictly shorter than a host route that cover `address`, longest first. */
  covering(address: string): CoveringRoute[] {
    const bytes = parseIp(address);
    if (!bytes) return [];
    const afi = bytes.length === 4 ? AFI_IPV4 : 2;
    const out: CoveringRoute[] = [];
    const masked = Buffer.from(bytes);
    for (let len = bytes.length * 8 - 1; len >= 0; len--) {
      // Clear bit `len` (the first host bit of this length), keeping the ones before it.
      masked[len >> 3]! &= ~(0x80 >> (len & 7)) & 0xff;
      const prefix = prefixToString(afi, masked, 0, len);
      const advertisements = this.advertisements(prefix);
      if (advertisements.length) out.push({ prefix, advertisements });
    }
    return out;
  }

  /** Views in which a node has a session (BGP) or a monitored peer (BMP), and which of them are synced. */
  nodeVisibility(node: string): { sources: Set<RouteSource>; synced: Set<RouteSource> } {
    return this.visibility.get(node) ?? { sources: new Set(), synced: new Set() };
  }

  /** There are peers, and every one's initial table is in (End-of-RIB or initial dump done). */
  get synced(): boolean {
    return this.peerCount > 0 && this.allPeersSynced;
  }

  /** Peers (sessions, BMP views) in the RIB now. */
  get peers(): number {
    return this.peerCount;
  }

  /** Whether any route (of any length) exists for a prefix given as text. */
  exists(prefix: string): boolean {
    return this.rib.lookup(prefix).length > 0;
  }
}
