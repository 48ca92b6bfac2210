/**
 * One peer a router monitors (RFC 7854 4.2: peer type, distinguisher, address): its state, its
 * PEER-UP session, its views in the Rib and their initial-dump sync, its latest statistics.
 */
import type { BmpPeerHeader } from "../../../codec/bmp/index.js";
import type { Clock } from "../../core/clock.js";
import type { PeerRef } from "../../core/types.js";
import type { Rib } from "../../rib/rib.js";
import { InitialDump } from "./initial-dump.js";
import type { MonitoredPeerInfo, PeerDownReason, PeerSession } from "./types.js";
import { peerAddress, viewPolicy, viewRef, type ViewPolicy } from "./views.js";

interface View {
  ref: PeerRef;
  /** The per-peer header of the view's latest ROUTE-MONITORING (a recording's snapshot re-uses it). */
  header: BmpPeerHeader;
  policy: ViewPolicy;
  /** Families (familyKey) whose End-of-RIB this view has had. */
  endOfRib: Set<number>;
  synced: boolean;
}

export class MonitoredPeer {
  state: "up" | "down" = "down";
  since: number;
  down: PeerDownReason | undefined;
  session: PeerSession | undefined;
  /** IP unicast families negotiated in PEER-UP: a view is synced once each has had End-of-RIB. */
  families: number[] | undefined;
  private readonly views = new Map<string, View>();
  private readonly stats = new Map<string, number>();
  private statsAt: number | undefined;
  private readonly dump: InitialDump;

  constructor(
    public header: BmpPeerHeader,
    private readonly router: string,
    private readonly rib: Rib,
    private readonly clock: Clock,
    quietMs: number,
  ) {
    this.since = clock.now();
    this.dump = new InitialDump(clock, quietMs, () => {
      for (const v of this.views.values()) this.sync(v);
    });
  }

  /**
   * The session is up (PEER-UP, or routes from a peer the router never announced): a dump begins.
   * `dumpFollows` is false when the stream is replayed from its middle: the peer's earlier routes are
   * unknown, so only an End-of-RIB, not a quiet period, says its table is whole.
   */
  up(header: BmpPeerHeader, session?: PeerSession, families?: number[], dumpFollows = true): void {
    this.header = header;
    this.state = "up";
    this.since = this.clock.now();
    this.down = undefined;
    this.session = session;
    this.families = families;
    if (dumpFollows) this.dump.start();
    else this.dump.cancel();
  }

  /** PEER-DOWN: every view's routes are withdrawn. */
  goDown(header: BmpPeerHeader, reason: PeerDownReason | undefined): number {
    const withdrawn = this.clear();
    this.header = header;
    this.state = "down";
    this.since = this.clock.now();
    this.down = reason;
    return withdrawn;
  }

  /** Withdraws every view's routes, forgets the views, stats and timer; returns the routes withdrawn. */
  clear(): number {
    const now = this.clock.now();
    let withdrawn = 0;
    for (const v of this.views.values()) {
      withdrawn += this.rib.removePeer(v.ref.id, now);
      this.rib.setSynced(v.ref.id, false);
    }
    this.views.clear();
    this.stats.clear();
    this.statsAt = undefined;
    this.dump.cancel();
    return withdrawn;
  }

  /** The view a ROUTE-MONITORING header names, created on first use; it also keeps the dump going. */
  view(h: BmpPeerHeader): PeerRef {
    this.dump.activity();
    const wanted = viewRef(this.router, h);
    let v = this.views.get(wanted.id);
    if (!v) {
      v = { ref: wanted, header: h, policy: viewPolicy(h), endOfRib: new Set(), synced: false };
      this.views.set(wanted.id, v);
      if (this.dump.done) this.sync(v);
    } else if (v.ref.asn !== wanted.asn || v.ref.bgpId !== wanted.bgpId) {
      v.ref = wanted; // the Rib takes the new details with the next apply
    }
    v.header = h;
    return v.ref;
  }

  /** The views of an up peer, each with the per-peer header that names it. */
  viewHeaders(): { ref: PeerRef; header: BmpPeerHeader }[] {
    if (this.state !== "up") return [];
    return [...this.views.values()].map((v) => ({ ref: v.ref, header: v.header }));
  }

  /** End-of-RIB (RFC 4724 2) for `family` in a view. */
  endOfRib(viewId: string, family: number): void {
    const v = this.views.get(viewId);
    if (!v || v.synced) return;
    v.endOfRib.add(family);
    const expected = this.families;
    if (!expected || expected.length === 0 || expected.every((f) => v.endOfRib.has(f))) this.sync(v);
  }

  private sync(v: View): void {
    if (v.synced) return;
    v.synced = true;
    this.rib.setSynced(v.ref.id);
  }

  setStat(name: string, value: number): void {
    this.stats.set(name, value);
    this.statsAt = this.clock.now();
  }

  forEachStat(visit: (name: string, value: number) => void): void {
    for (const [name, value] of this.stats) visit(name, value);
  }

  /** Peer label for metrics: the address; peer type and distinguisher too unless the global instance. */
  get label(): string {
    const h = this.header;
    const address = peerAddress(h);
    return h.peerType === 0 && h.distinguisher === "0:0"
      ? address
      : `${h.peerTypeName}|${h.distinguisher}|${address}`;
  }

  info(): MonitoredPeerInfo {
    const h = this.header;
    const views = [...this.views.values()].map((v) => ({
      id: v.ref.id,
      source: v.ref.source,
      policy: v.policy,
      ...this.rib.counts(v.ref.id),
      synced: v.synced,
    }));
    const out: MonitoredPeerInfo = {
      type: h.peerTypeName,
      distinguisher: h.distinguisher,
      address: h.address,
      asn: h.asn,
      bgpId: h.bgpId,
      state: this.state,
      since: this.since,
      views,
      synced: this.state === "up" && (this.dump.done || (views.length > 0 && views.every((v) => v.synced))),
      stats: Object.fromEntries(this.stats),
    };
    if (this.down) out.down = this.down;
    if (this.session) out.session = this.session;
    if (this.statsAt !== undefined) out.statsAt = this.statsAt;
    return out;
  }
}
