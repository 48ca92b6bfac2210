/**
 * The tables a BMP stream describes, computed on their own from the decoded messages: per view
 * (RFC 7854 L flag, RFC 8671 O flag, RFC 9069 peer type 3) prefix → next hop; PEER-DOWN empties the
 * peer's views, TERMINATION everything. The collector's Rib must hold exactly this.
 */
import { decodeMessage, routeAttributes, type UpdateMessage } from "../../../../codec/bgp/index.js";
import { decodeBmp, type BmpPeerHeader } from "../../../../codec/bmp/index.js";
import { peerId, type RouteSource } from "../../../../src/core/types.js";

export type Tables = Map<string, Map<string, string>>;

function source(h: BmpPeerHeader): RouteSource {
  if (h.peerType === 3) return "bmp-locrib";
  if ((h.flags & 0x10) !== 0) return "bmp-out";
  return (h.flags & 0x40) !== 0 ? "bmp-post" : "bmp-pre";
}

/** The Rib id the brief asks for: per (source, router, distinguisher, peer address). */
export function expectedViewId(router: string, h: BmpPeerHeader): string {
  const address = h.peerType === 3 && h.address === "0.0.0.0" ? h.bgpId : h.address;
  const id = peerId(source(h), address, router, h.distinguisher);
  return source(h) === "bmp-out" ? `${id}|${(h.flags & 0x40) !== 0 ? "post" : "pre"}` : id;
}

const peerKey = (h: BmpPeerHeader): string => `${h.peerType}/${h.distinguisher}/${h.address}`;

export class StreamModel {
  readonly tables: Tables = new Map();
  private readonly viewsOfPeer = new Map<string, Set<string>>();
  /** Messages by BMP type name. */
  readonly types = new Map<string, number>();

  constructor(readonly router: string) {}

  apply(bytes: Buffer): void {
    const m = decodeBmp(bytes);
    this.types.set(m.type, (this.types.get(m.type) ?? 0) + 1);
    if (m.type === "TERMINATION") {
      this.tables.clear();
      this.viewsOfPeer.clear();
    } else if (m.type === "PEER-DOWN") {
      for (const id of this.viewsOfPeer.get(peerKey(m.peer)) ?? []) this.tables.delete(id);
      this.viewsOfPeer.delete(peerKey(m.peer));
    } else if (m.type === "ROUTE-MONITORING") {
      const id = expectedViewId(this.router, m.peer);
      let views = this.viewsOfPeer.get(peerKey(m.peer));
      if (!views) this.viewsOfPeer.set(peerKey(m.peer), (views = new Set()));
      views.add(id);
      let table = this.tables.get(id);
      if (!table) this.tables.set(id, (table = new Map()));
      const opts = { as4: (m.peer.flags & 0x20) === 0 };
      const u = decodeMessage(m.bgp, 0, opts) as UpdateMessage;
      for (const w of u.withdrawn()) table.delete(w.prefix);
      const announced = u.announced();
      if (announced.length === 0) return;
      const attrs = routeAttributes(u.attributes().attributes, opts);
      const bodyCount = u.nlri().length;
      announced.forEach((a, i) =>
        table.set(a.prefix, i < bodyCount ? (attrs.nextHop ?? "") : (attrs.mpNextHops?.[0] ?? "")),
      );
    }
  }

  applyAll(messages: readonly Buffer[]): this {
    for (const m of messages) this.apply(m);
    return this;
  }

  /** Non-empty views only, as sorted [id, [prefix, next hop][]] for comparison. */
  snapshot(): [string, [string, string][]][] {
    return [...this.tables]
      .filter(([, t]) => t.size > 0)
      .map(([id, t]): [string, [string, string][]] => [id, [...t].sort()])
      .sort((a, b) => a[0].localeCompare(b[0]));
  }
}
