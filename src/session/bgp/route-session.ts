/**
 * The route side of one BGP session, without the socket: what an established session's UPDATEs do
 * to the RIB (RFC 7606 included), End-of-RIB and the quiet period that mark the initial table
 * complete, and graceful restart when the session is lost. The live speaker (peer.ts) and replay
 * (src/record/replay-bgp.ts) both drive it, so a recording replays to the same RIB.
 */
import { BgpError } from "../../../codec/errors.js";
import { familyKey, familyName, type Negotiated, type UpdateMessage } from "../../../codec/bgp/index.js";
import type { Clock, Timer } from "../../core/clock.js";
import type { Logger } from "../../core/log.js";
import type { Metrics } from "../../core/metrics.js";
import type { PeerRef } from "../../core/types.js";
import type { ApplyResult, Rib } from "../../rib/rib.js";
import { GracefulRestartReceiver, type GracefulRestartState } from "./graceful-restart.js";

export interface RouteSessionEnv {
  rib: Rib;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  /** Seconds without an UPDATE after which a peer that sends no End-of-RIB counts as synced (0: never). */
  syncQuiet: number;
  /** Upper bound in seconds on keeping stale routes after a graceful restart re-establishes. */
  stalePathTime: number;
}

export type NegotiatedRoutes = Pick<Negotiated, "families" | "gracefulRestart">;

export class RouteSession {
  private ref: PeerRef | undefined;
  private negotiated: NegotiatedRoutes | undefined;
  /** Families still owing an End-of-RIB in this session. */
  private eorPending = new Set<number>();
  private quietTimer: Timer | undefined;
  private lastUpdateAt = 0;
  private readonly gr: GracefulRestartReceiver;

  constructor(
    readonly peerId: string,
    private readonly env: RouteSessionEnv,
  ) {
    this.gr = new GracefulRestartReceiver(peerId, {
      rib: env.rib,
      clock: env.clock,
      log: env.log,
      stalePathTime: env.stalePathTime,
    });
  }

  get active(): boolean {
    return this.ref !== undefined;
  }

  get gracefulRestartState(): GracefulRestartState {
    return this.gr.state;
  }

  /**
   * The session reached Established with these negotiated families and graceful restart.
   * `tableFollows` is false for a session replayed from its middle (a capture that began after the
   * OPENs): what it announced before is unknown, so a quiet period proves nothing about its table.
   */
  established(ref: PeerRef, n: NegotiatedRoutes, tableFollows = true): void {
    this.ref = ref;
    this.negotiated = n;
    this.env.rib.addPeer(ref); // an empty table is evidence too
    this.eorPending = new Set(n.families.map((f) => familyKey(f.afi, f.safi)));
    this.gr.sessionEstablished(n.gracefulRestart, n.families);
    if (tableFollows && !this.env.rib.isSynced(this.peerId)) this.armQuiet();
  }

  /**
   * Applies an UPDATE of the established session. End-of-RIB is handled here too (undefined is
   * returned for it). Throws the codec's BgpError when the UPDATE needs a session reset.
   */
  update(u: UpdateMessage, tsMicros: number): ApplyResult | undefined {
    if (!this.ref) return undefined;
    const eor = u.endOfRib();
    if (eor) {
      this.endOfRib(eor.afi, eor.safi);
      return undefined;
    }
    this.lastUpdateAt = tsMicros;
    const started = performance.now();
    let result: ApplyResult;
    try {
      result = this.env.rib.apply(this.ref, u, tsMicros);
    } catch (e) {
      if (e instanceof BgpError) {
        this.env.metrics.decodeErrors.inc({ transport: "bgp", kind: e.kind });
        this.env.metrics.errorActions.inc({ transport: "bgp", action: e.action });
      }
      throw e;
    }
    this.env.metrics.updateApplySeconds.observe({ transport: "bgp" }, (performance.now() - started) / 1000);
    for (const e of result.errors) {
      this.env.metrics.decodeErrors.inc({ transport: "bgp", kind: e.kind });
      this.env.metrics.errorActions.inc({ transport: "bgp", action: e.action });
    }
    if (result.errors.length > 0) {
      this.env.log.warn(
        { errors: result.errors.map((e) => ({ kind: e.kind, action: e.action })) },
        `malformed UPDATE kept the session (RFC 7606 ${result.treatAsWithdraw ? "treat-as-withdraw" : "attribute-discard"}): ${result.errors.map((e) => e.message).join("; ")}`,
      );
    }
    return result;
  }

  /**
   * The established session ended; `graceful` is false when a NOTIFICATION (or our own stop) ended
   * it, so graceful restart does not apply.
   */
  lost(graceful: boolean): void {
    if (!this.ref) return;
    this.ref = undefined;
    this.quietTimer?.cancel();
    this.quietTimer = undefined;
    this.gr.sessionLost(this.negotiated?.gracefulRestart, graceful);
  }

  stop(): void {
    this.quietTimer?.cancel();
    this.quietTimer = undefined;
    this.gr.stop();
  }

  private endOfRib(afi: number, safi: number): void {
    this.env.log.debug(`End-of-RIB for ${familyName(afi, safi)}`);
    this.eorPending.delete(familyKey(afi, safi));
    this.gr.endOfRib(afi, safi);
    if (this.eorPending.size === 0 && !this.env.rib.isSynced(this.peerId))
      this.markSynced("End-of-RIB received for every family");
  }

  /** Peers without graceful restart may never send End-of-RIB: a quiet period counts as synced. */
  private armQuiet(from = this.env.clock.now()): void {
    const quiet = this.env.syncQuiet;
    if (quiet <= 0) return;
    const waitMs = Math.max(0, (from + quiet * 1e6 - this.env.clock.now()) / 1000);
    this.quietTimer = this.env.clock.after(waitMs, () => {
      this.quietTimer = undefined;
      if (!this.ref || this.env.rib.isSynced(this.peerId)) return;
      if (this.lastUpdateAt + quiet * 1e6 > this.env.clock.now()) return this.armQuiet(this.lastUpdateAt);
      this.markSynced(`no UPDATE for ${quiet} s`);
    });
  }

  private markSynced(why: string): void {
    this.quietTimer?.cancel();
    this.quietTimer = undefined;
    this.env.rib.setSynced(this.peerId);
    const c = this.env.rib.counts(this.peerId);
    this.env.log.info(
      { ipv4: c.ipv4, ipv6: c.ipv6 },
      `initial table of ${this.ref?.address ?? this.peerId} complete (${why})`,
    );
  }
}
