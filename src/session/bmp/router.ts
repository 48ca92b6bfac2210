/**
 * One router's BMP stream, message by message (RFC 7854 4): INITIATION and TERMINATION describe the
 * router, PEER-UP / PEER-DOWN its monitored peers, ROUTE-MONITORING goes into the Rib under the view
 * the per-peer header names, STATISTICS-REPORT values are kept. A message that frames but does not
 * decode is counted and skipped; the stream goes on.
 */
import {
  decodeMessage,
  familyKey,
  type BgpDecodeOptions,
  type UpdateMessage,
} from "../../../codec/bgp/index.js";
import {
  bmpPeerKey,
  decodeBmp,
  MESSAGE_TYPES,
  type BmpInitiation,
  type BmpMessage,
  type BmpPeerDown,
  type BmpPeerHeader,
  type BmpPeerUp,
  type BmpRouteMonitoring,
  type BmpSessionTracker,
  type BmpStatisticsReport,
  type BmpTermination,
} from "../../../codec/bmp/index.js";
import { CodecError } from "../../../codec/errors.js";
import type { Clock } from "../../core/clock.js";
import type { Logger } from "../../core/log.js";
import type { Metrics } from "../../core/metrics.js";
import type { PeerRef } from "../../core/types.js";
import type { Rib } from "../../rib/rib.js";
import { MonitoredPeer } from "./monitored-peer.js";
import { peerDownReason, peerSession, peerUpOpens } from "./session-info.js";
import { statValues } from "./stats.js";
import type { PeerSession, RouterInfo } from "./types.js";

export interface RouterDeps {
  rib: Rib;
  tracker: BmpSessionTracker;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  /** bmp.initialDumpQuiet in milliseconds. */
  quietMs: number;
  /** A monitored peer that was up went down (for peer flap damping). */
  onPeerDown?: (router: string, peer: BmpPeerHeader) => void;
}

const TYPE_NAMES = new Map<number, string>(Object.entries(MESSAGE_TYPES).map(([name, n]) => [n, name]));

export type HandleResult = "continue" | "terminated";

/** One view of a router (see BmpRouter.views). */
export interface RouterView {
  ref: PeerRef;
  header: BmpPeerHeader;
  options: BgpDecodeOptions;
  /** The IP unicast families (familyKey) the peer's PEER-UP negotiated, if it had one. */
  families: number[] | undefined;
  /** Its initial dump is complete (a snapshot then says so with End-of-RIB, else leaves it open). */
  synced: boolean;
}

export class BmpRouter {
  sysName: string | undefined;
  sysDescr: string | undefined;
  private readonly information: string[] = [];
  private readonly bgpIds = new Set<string>();
  private readonly peers = new Map<string, MonitoredPeer>();
  readonly connectedSince: number;
  messages = 0;
  private readonly log: Logger;

  constructor(
    readonly address: string,
    readonly port: number,
    readonly collector: { address: string; port: number },
    private readonly deps: RouterDeps,
  ) {
    this.connectedSince = deps.clock.now();
    this.log = deps.log.child({ router: address });
  }

  /**
   * Replay only: the input began after this router's connection did (its first message is no
   * INITIATION), so the peers it reports without a PEER-UP may have routes from before the input.
   */
  midStream = false;

  /** Handles one whole BMP message (as framed by bmpFramer). */
  handle(bytes: Buffer): HandleResult {
    this.messages++;
    const type = TYPE_NAMES.get(bytes[5]!) ?? "unknown";
    this.deps.metrics.messages.inc({ transport: "bmp", direction: "in", type });
    let msg: BmpMessage;
    try {
      msg = decodeBmp(bytes);
    } catch (e) {
      this.decodeError(e, type);
      return "continue";
    }
    switch (msg.type) {
      case "INITIATION":
        this.initiation(msg);
        break;
      case "TERMINATION":
        this.termination(msg);
        return "terminated";
      case "PEER-UP":
        this.peerUp(msg);
        break;
      case "PEER-DOWN":
        this.peerDown(msg);
        break;
      case "ROUTE-MONITORING":
        this.routeMonitoring(msg);
        break;
      case "STATISTICS-REPORT":
        this.statistics(msg);
        break;
      case "ROUTE-MIRRORING":
        break; // verbatim copies of BGP PDUs: the recorder keeps them (onMessage), the Rib does not need them
    }
    return "continue";
  }

  /**
   * Every view this router reports, with what it takes to re-encode its routes as the router sent
   * them: the per-peer header, the decoding options its PEER-UP negotiated, the peer's families.
   */
  views(): RouterView[] {
    const out: RouterView[] = [];
    for (const p of this.peers.values()) {
      for (const { ref, header } of p.viewHeaders()) {
        out.push({
          ref,
          header,
          options: this.deps.tracker.optionsFor(this.address, header),
          families: p.families,
          synced: this.deps.rib.isSynced(ref.id),
        });
      }
    }
    return out;
  }

  /** The router is gone (connection closed, TERMINATION, replaced): withdraw everything it reported. */
  clear(): number {
    let withdrawn = 0;
    for (const peer of this.peers.values()) withdrawn += peer.clear();
    this.peers.clear();
    this.deps.tracker.routerGone(this.address);
    return withdrawn;
  }

  /** Counts and logs a malformed message part; anything but a codec error is a bug and is rethrown. */
  private decodeError(e: unknown, what: string): void {
    if (!(e instanceof CodecError)) throw e;
    this.deps.metrics.decodeErrors.inc({ transport: "bmp", kind: e.kind });
    this.log.warn({ kind: e.kind }, `${what} skipped: ${e.message}`);
  }

  private initiation(msg: BmpInitiation): void {
    for (const t of msg.tlvs) {
      if (t.name === "sysName") this.sysName = t.value;
      else if (t.name === "sysDescr") this.sysDescr = t.value;
      else if (t.name === "string") this.information.push(t.value);
    }
    this.log.info({ sysName: this.sysName, sysDescr: this.sysDescr }, "BMP router initiated");
  }

  private termination(msg: BmpTermination): void {
    const reason = msg.tlvs.find((t) => t.name === "reason");
    const text = msg.tlvs.flatMap((t) => (t.name === "string" ? [t.value] : []));
    this.log.info(
      { reason: reason?.name === "reason" ? reason.reasonName : undefined, text },
      "BMP router terminated the session",
    );
  }

  private peer(h: BmpPeerHeader): MonitoredPeer | undefined {
    return this.peers.get(bmpPeerKey(h));
  }

  private newPeer(h: BmpPeerHeader): MonitoredPeer {
    const { rib, clock, quietMs } = this.deps;
    const p = new MonitoredPeer(h, this.address, rib, clock, quietMs);
    this.peers.set(bmpPeerKey(h), p);
    return p;
  }

  /** A peer the router sends routes or statistics for without a PEER-UP (GoBGP's Loc-RIB) is up. */
  private livePeer(h: BmpPeerHeader): MonitoredPeer {
    let p = this.peer(h);
    if (!p) p = this.newPeer(h);
    if (p.state !== "up") {
      p.up(h, undefined, undefined, !this.midStream);
      this.log.info({ peer: p.label, type: h.peerTypeName }, "BMP peer up (no PEER-UP seen)");
    }
    return p;
  }

  private peerUp(msg: BmpPeerUp): void {
    const { tracker } = this.deps;
    let session: PeerSession | undefined;
    let families: number[] | undefined;
    try {
      tracker.peerUp(this.address, msg);
      const { sent, received } = peerUpOpens(msg);
      ({ session, families } = peerSession(msg, sent, received));
      this.bgpIds.add(sent.bgpId); // the router's own OPEN
    } catch (e) {
      this.decodeError(e, "PEER-UP OPEN");
    }
    if (msg.peer.peerType === 3 && msg.peer.bgpId !== "0.0.0.0") this.bgpIds.add(msg.peer.bgpId);
    const p = this.peer(msg.peer) ?? this.newPeer(msg.peer);
    if (p.state === "up" && p.session) {
      // A repeated PEER-UP without PEER-DOWN between: same session, keep its routes (RFC 7854 4.9
      // has the router send PEER-DOWN before a new session).
      p.header = msg.peer;
      if (session) p.session = session;
      return;
    }
    p.up(msg.peer, session, families);
    this.log.info(
      { peer: p.label, type: msg.peer.peerTypeName, asn: msg.peer.asn, bgpId: msg.peer.bgpId },
      "BMP peer up",
    );
  }

  private peerDown(msg: BmpPeerDown): void {
    this.deps.tracker.peerDown(this.address, msg.peer);
    const reason = peerDownReason(msg, (e) => this.decodeError(e, "PEER-DOWN NOTIFICATION"));
    const p = this.peer(msg.peer) ?? this.newPeer(msg.peer);
    const wasUp = p.state === "up";
    const withdrawn = p.goDown(msg.peer, reason);
    const fields = { peer: p.label, reason: reason.name, notification: reason.notification, withdrawn };
    // FRR reports peers that never came up as down when the BMP session starts: not a change.
    if (wasUp) {
      this.log.info(fields, "BMP peer down");
      this.deps.onPeerDown?.(this.address, msg.peer);
    } else this.log.debug(fields, "BMP peer down (was not up)");
  }

  private routeMonitoring(msg: BmpRouteMonitoring): void {
    const { tracker, rib, clock, metrics } = this.deps;
    const p = this.livePeer(msg.peer);
    const view = p.view(msg.peer);
    if (msg.peer.peerType === 3 && msg.peer.bgpId !== "0.0.0.0") this.bgpIds.add(msg.peer.bgpId);
    let update: UpdateMessage;
    const started = performance.now();
    try {
      const bgp = decodeMessage(msg.bgp, 0, tracker.optionsFor(this.address, msg.peer));
      if (bgp.type !== "UPDATE") {
        throw new CodecError(
          "bmp.route-monitoring.not-update",
          `ROUTE-MONITORING carries a BGP ${bgp.type}, expected UPDATE`,
          0,
        );
      }
      update = bgp;
      // monitoring: a copy of the router's table, no treat-as-withdraw for a missing well-known attribute.
      const result = rib.apply(view, update, clock.now(), true);
      if (result.treatAsWithdraw) metrics.errorActions.inc({ transport: "bmp", action: "treat-as-withdraw" });
    } catch (e) {
      this.decodeError(e, "ROUTE-MONITORING");
      return;
    }
    metrics.updateApplySeconds.observe({ transport: "bmp" }, (performance.now() - started) / 1000);
    const eor = update.endOfRib();
    if (eor) p.endOfRib(view.id, familyKey(eor.afi, eor.safi));
  }

  private statistics(msg: BmpStatisticsReport): void {
    // Statistics do not change a known peer's state (a late report after PEER-DOWN is just kept).
    const p = this.peer(msg.peer) ?? this.livePeer(msg.peer);
    statValues(msg.stats, (name, value) => p.setStat(name, value));
  }

  /** Visits every monitored peer's latest statistics (for the routewatch_bmp_stat gauge). */
  forEachStat(visit: (peer: string, stat: string, value: number) => void): void {
    for (const p of this.peers.values()) p.forEachStat((name, value) => visit(p.label, name, value));
  }

  peerStates(): { up: number; down: number } {
    let up = 0;
    for (const p of this.peers.values()) if (p.state === "up") up++;
    return { up, down: this.peers.size - up };
  }

  info(): RouterInfo {
    const out: RouterInfo = {
      address: this.address,
      port: this.port,
      collector: this.collector,
      information: [...this.information],
      bgpIds: [...this.bgpIds],
      connectedSince: this.connectedSince,
      messages: this.messages,
      peers: [...this.peers.values()].map((p) => p.info()),
    };
    if (this.sysName !== undefined) out.sysName = this.sysName;
    if (this.sysDescr !== undefined) out.sysDescr = this.sysDescr;
    return out;
  }
}
