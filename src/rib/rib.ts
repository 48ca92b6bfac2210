/**
 * The Adj-RIBs of every peer routewatch hears from. Applying an UPDATE stores or removes paths and
 * reports each change as a RouteEvent (announce, implicit replace, withdraw), RFC 7606
 * treat-as-withdraw included. Attribute sets are interned so large tables stay small.
 */
import {
  ATTR_MP_REACH_NLRI,
  findAttribute,
  routeAttributes,
  type UpdateMessage,
} from "../../codec/bgp/index.js";
import { prefixToString } from "../../codec/ip.js";
import type { BgpError } from "../../codec/errors.js";
import type { AttributeSet, Path, PeerRef, RouteEvent } from "../core/types.js";
import { AttributePool } from "./attribute-pool.js";
import { PeerTable } from "./peer-table.js";

export interface ApplyResult {
  announced: number;
  withdrawn: number;
  /** RFC 7606: the UPDATE was malformed in a way that turns its announcements into withdrawals. */
  treatAsWithdraw: boolean;
  /** Malformations the UPDATE survived (attribute-discard, treat-as-withdraw). */
  errors: BgpError[];
}

export type RouteListener = (e: RouteEvent) => void;

interface PeerEntry {
  peer: PeerRef;
  table: PeerTable;
}

export class Rib {
  private readonly pool = new AttributePool();
  private readonly peerEntries = new Map<string, PeerEntry>();
  private readonly listeners: RouteListener[] = [];
  private readonly peerListeners: (() => void)[] = [];
  private readonly syncedPeers = new Set<string>();

  onRoute(listener: RouteListener): void {
    this.listeners.push(listener);
  }

  /**
   * Called when a peer is added or removed or its table becomes complete (or incomplete again):
   * what the RIB is evidence of changes even when no route does (an End-of-RIB after the routes).
   */
  onPeers(listener: () => void): void {
    this.peerListeners.push(listener);
  }

  private peersChanged(): void {
    for (const l of this.peerListeners) l();
  }

  private emit(e: RouteEvent): void {
    for (const l of this.listeners) l(e);
  }

  /**
   * Registers a peer whose session is up, before it has sent anything: an empty table is evidence
   * too (the peer announces nothing), unlike an unknown peer.
   */
  addPeer(peer: PeerRef): void {
    const known = this.peerEntries.has(peer.id);
    this.entry(peer);
    if (!known) this.peersChanged();
  }

  /** Interned attribute sets held. */
  get attributeSets(): number {
    return this.pool.size;
  }

  private entry(peer: PeerRef): PeerEntry {
    let e = this.peerEntries.get(peer.id);
    if (!e) {
      e = { peer, table: new PeerTable() };
      this.peerEntries.set(peer.id, e);
    } else if (e.peer !== peer) e.peer = peer; // refreshed details (ASN after a new OPEN)
    return e;
  }

  /**
   * Applies a decoded UPDATE from `peer`. Throws the codec's BgpError when the message needs a
   * session reset (nothing is applied then).
   *
   * `monitoring`: the UPDATE is a copy reported by BMP, not a route offered to us. A missing
   * well-known attribute then does not withdraw the route (RFC 7606 protects a speaker's own RIB;
   * a monitor must show what the router has): FRR reports IPv4 routes with an IPv6 next hop without
   * NEXT_HOP, GoBGP reports local Loc-RIB routes without AS_PATH. Such errors are still returned.
   */
  apply(peer: PeerRef, u: UpdateMessage, tsMicros: number, monitoring = false): ApplyResult {
    const decoded = u.attributes();
    const withdraws =
      decoded.action === "treat-as-withdraw" &&
      (!monitoring ||
        decoded.errors.some(
          (e) => e.action === "treat-as-withdraw" && e.kind !== "bgp.attr.missing-well-known",
        ));
    const { table } = this.entry(peer);
    const result: ApplyResult = {
      announced: 0,
      withdrawn: 0,
      treatAsWithdraw: false,
      errors: decoded.errors,
    };
    // Walk both fields first so a malformed NLRI throws before anything changes.
    const withdrawn: [string, number][] = [];
    const announced: [string, number, boolean][] = [];
    u.forEachWithdrawn((afi, buf, off, bits, pathId) =>
      withdrawn.push([prefixToString(afi, buf, off, bits), pathId ?? 0]),
    );
    u.forEachAnnounced((afi, buf, off, bits, pathId) => {
      announced.push([prefixToString(afi, buf, off, bits), pathId ?? 0, false]);
    });
    // forEachAnnounced walks the IPv4 NLRI field first; the rest came from MP_REACH_NLRI.
    for (let i = u.bodyNlriCount(); i < announced.length; i++) announced[i]![2] = true;

    for (const [prefix, pathId] of withdrawn)
      if (this.remove(table, peer, prefix, pathId, tsMicros)) result.withdrawn++;
    if (withdraws) {
      result.treatAsWithdraw = true;
      for (const [prefix, pathId] of announced)
        if (this.remove(table, peer, prefix, pathId, tsMicros)) result.withdrawn++;
      return result;
    }
    if (announced.length === 0) return result;
    const attrs = routeAttributes(decoded.attributes, u.options);
    const keyBase = this.attributeKey(u);
    let bodySet: AttributeSet | undefined;
    let mpSet: AttributeSet | undefined;
    for (const [prefix, pathId, fromMp] of announced) {
      let set: AttributeSet;
      if (fromMp) {
        const nh = attrs.mpNextHops?.[0] ?? "";
        set = mpSet
          ? (this.pool.retain(mpSet), mpSet)
          : (mpSet = this.pool.acquire(`${keyBase}|${nh}`, () => attrs, nh));
      } else {
        const nh = attrs.nextHop ?? "";
        set = bodySet
          ? (this.pool.retain(bodySet), bodySet)
          : (bodySet = this.pool.acquire(`${keyBase}|${nh}`, () => attrs, nh));
      }
      this.store(table, peer, { prefix, pathId, attrs: set, tsMicros });
      result.announced++;
    }
    return result;
  }

  /** The attribute bytes that identify an attribute set: all but MP_REACH_NLRI (its NLRI differ). */
  private attributeKey(u: UpdateMessage): string {
    const b = u.buf;
    const tag = u.options.as4 ? "4" : "2";
    const mp = findAttribute(b, u.attrsStart, u.attrsEnd, ATTR_MP_REACH_NLRI);
    if (!mp) return tag + b.toString("latin1", u.attrsStart, u.attrsEnd);
    return (
      tag + b.toString("latin1", u.attrsStart, mp.headerStart) + b.toString("latin1", mp.end, u.attrsEnd)
    );
  }

  private store(table: PeerTable, peer: PeerRef, path: Path): void {
    const previous = table.set(path);
    if (previous) this.pool.release(previous.attrs);
    this.emit({
      tsMicros: path.tsMicros,
      action: previous ? "replace" : "announce",
      peer,
      prefix: path.prefix,
      pathId: path.pathId,
      path,
      ...(previous ? { previous } : {}),
    });
  }

  private remove(
    table: PeerTable,
    peer: PeerRef,
    prefix: string,
    pathId: number,
    tsMicros: number,
    bySession = false,
  ): boolean {
    const previous = table.delete(prefix, pathId);
    if (!previous) return false;
    this.pool.release(previous.attrs);
    this.emit({
      tsMicros,
      action: "withdraw",
      peer,
      prefix,
      pathId,
      previous,
      ...(bySession ? { cause: "session" as const } : {}),
    });
    return true;
  }

  /** Withdraws every path of a peer (session lost, BMP peer down); returns how many. */
  removePeer(peerId: string, tsMicros: number): number {
    this.syncedPeers.delete(peerId);
    const e = this.peerEntries.get(peerId);
    if (!e) return 0;
    let n = 0;
    for (const p of [...e.table.values()])
      if (this.remove(e.table, e.peer, p.prefix, p.pathId, tsMicros, true)) n++;
    this.peerEntries.delete(peerId);
    this.peersChanged();
    return n;
  }

  /** Graceful restart: keeps a peer's paths but marks them stale (RFC 4724 4.2). */
  markStale(peerId: string): number {
    const e = this.peerEntries.get(peerId);
    if (!e) return 0;
    let n = 0;
    for (const p of e.table.values()) {
      p.stale = true;
      n++;
    }
    return n;
  }

  /** Withdraws the paths still stale (End-of-RIB received or restart timer expired); `afi` limits it. */
  sweepStale(peerId: string, tsMicros: number, afi?: number): number {
    const e = this.peerEntries.get(peerId);
    if (!e) return 0;
    let n = 0;
    for (const p of [...e.table.values()]) {
      if (!p.stale) continue;
      if (afi !== undefined && (afi === 2) !== p.prefix.includes(":")) continue;
      if (this.remove(e.table, e.peer, p.prefix, p.pathId, tsMicros, true)) n++;
    }
    return n;
  }

  /**
   * Marks a peer's initial table as complete (End-of-RIB, or a BMP initial dump gone quiet): until
   * then a route it does not have yet is not evidence of a missing route.
   */
  setSynced(peerId: string, synced = true): void {
    if (synced === this.syncedPeers.has(peerId)) return;
    if (synced) this.syncedPeers.add(peerId);
    else this.syncedPeers.delete(peerId);
    this.peersChanged();
  }

  isSynced(peerId: string): boolean {
    return this.syncedPeers.has(peerId);
  }

  peers(): PeerRef[] {
    return [...this.peerEntries.values()].map((e) => e.peer);
  }

  peer(peerId: string): PeerRef | undefined {
    return this.peerEntries.get(peerId)?.peer;
  }

  /** A peer's paths (empty when unknown). */
  paths(peerId: string): Iterable<Path> {
    return this.peerEntries.get(peerId)?.table.values() ?? [];
  }

  counts(peerId: string): { ipv4: number; ipv6: number } {
    const t = this.peerEntries.get(peerId)?.table;
    return { ipv4: t?.ipv4 ?? 0, ipv6: t?.ipv6 ?? 0 };
  }

  /** Every peer's paths for exactly this prefix. */
  lookup(prefix: string): { peer: PeerRef; path: Path }[] {
    const out: { peer: PeerRef; path: Path }[] = [];
    for (const e of this.peerEntries.values())
      for (const path of e.table.lookup(prefix)) out.push({ peer: e.peer, path });
    return out;
  }
}
