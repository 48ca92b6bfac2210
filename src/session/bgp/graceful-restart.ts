/**
 * Graceful restart, receiving side (RFC 4724 4.2), for one peer: when a session with a
 * GR-capable peer drops without a NOTIFICATION, its routes stay in the RIB marked stale for the
 * restart time it advertised; when it comes back, what it announces again is fresh, and on its
 * End-of-RIB per family what is still stale is withdrawn. Without GR a lost session withdraws all.
 */
import { familyKey, SAFI_UNICAST, type Negotiated } from "../../../codec/bgp/index.js";
import { AFI_IPV4, AFI_IPV6 } from "../../../codec/ip.js";
import type { Clock, Timer } from "../../core/clock.js";
import type { Logger } from "../../core/log.js";
import type { Rib } from "../../rib/rib.js";

type GrCapability = NonNullable<Negotiated["gracefulRestart"]>;

/** none: nothing retained; restarting: session down, routes stale; refreshing: back up, waiting for End-of-RIB. */
export type GracefulRestartState = "none" | "restarting" | "refreshing";

const AFIS = [AFI_IPV4, AFI_IPV6];

export interface GracefulRestartSettings {
  rib: Rib;
  clock: Clock;
  log: Logger;
  /** Upper bound in seconds on waiting for End-of-RIB once the session is back. */
  stalePathTime: number;
}

export class GracefulRestartReceiver {
  state: GracefulRestartState = "none";
  /** Families (AFI) whose routes are stale. */
  private staleAfis = new Set<number>();
  private timer: Timer | undefined;

  constructor(
    private readonly peerId: string,
    private readonly s: GracefulRestartSettings,
  ) {}

  /**
   * The established session ended. `capability` is the peer's GR capability of that session
   * (undefined when not negotiated); `graceful` is false when a NOTIFICATION ended it.
   */
  sessionLost(capability: GrCapability | undefined, graceful: boolean): void {
    const now = this.s.clock.now();
    this.cancelTimer();
    const kept = new Set(
      (capability?.families ?? []).filter((f) => f.safi === SAFI_UNICAST).map((f) => f.afi),
    );
    if (!graceful || !capability || capability.restartTime === 0 || kept.size === 0) {
      this.state = "none";
      this.staleAfis.clear();
      const n = this.s.rib.removePeer(this.peerId, now);
      const why = !capability
        ? "peer has no graceful restart"
        : !graceful
          ? "ended by NOTIFICATION"
          : capability.restartTime === 0
            ? "restart time 0"
            : "peer is only restart aware (no families)";
      this.s.log.info(
        { withdrawn: n },
        `session lost without graceful restart: ${n} routes withdrawn (${why})`,
      );
      return;
    }
    const stale = this.s.rib.markStale(this.peerId);
    for (const afi of AFIS) {
      if (kept.has(afi)) this.staleAfis.add(afi);
      else this.s.rib.sweepStale(this.peerId, now, afi);
    }
    this.state = "restarting";
    this.s.log.info(
      { stale, restartTime: capability.restartTime },
      `graceful restart: keeping ${stale} routes stale for up to ${capability.restartTime} s`,
    );
    this.timer = this.s.clock.after(capability.restartTime * 1000, () => {
      this.timer = undefined;
      const n = this.s.rib.removePeer(this.peerId, this.s.clock.now());
      this.state = "none";
      this.staleAfis.clear();
      this.s.log.info({ withdrawn: n }, `graceful restart timer expired: ${n} stale routes withdrawn`);
    });
  }

  /**
   * The session is back. RFC 4724 4.2: stale routes of a family the new OPEN does not cover with
   * graceful restart and the F bit go at once; the rest wait for that family's End-of-RIB.
   */
  sessionEstablished(capability: GrCapability | undefined, families: Negotiated["families"]): void {
    if (this.state === "none") return;
    this.cancelTimer();
    const preserved = new Set(
      (capability?.families ?? [])
        .filter((f) => f.forwardingPreserved && f.safi === SAFI_UNICAST)
        .map((f) => f.afi),
    );
    const negotiated = new Set(families.map((f) => familyKey(f.afi, f.safi)));
    for (const afi of [...this.staleAfis]) {
      if (preserved.has(afi) && negotiated.has(familyKey(afi, SAFI_UNICAST))) continue;
      this.sweep(afi, "the new OPEN does not preserve it (no graceful restart or no F bit)");
    }
    if (this.staleAfis.size === 0) return this.done();
    this.state = "refreshing";
    this.timer = this.s.clock.after(this.s.stalePathTime * 1000, () => {
      this.timer = undefined;
      for (const afi of [...this.staleAfis]) this.sweep(afi, "no End-of-RIB within the stale path time");
      this.done();
    });
  }

  /** End-of-RIB from the re-established peer: what it did not announce again is gone. */
  endOfRib(afi: number, safi: number): void {
    if (this.state !== "refreshing" || safi !== SAFI_UNICAST || !this.staleAfis.has(afi)) return;
    this.sweep(afi, "End-of-RIB received");
    if (this.staleAfis.size === 0) this.done();
  }

  stop(): void {
    this.cancelTimer();
  }

  private sweep(afi: number, why: string): void {
    const n = this.s.rib.sweepStale(this.peerId, this.s.clock.now(), afi);
    this.staleAfis.delete(afi);
    this.s.log.info(
      { afi, withdrawn: n },
      `graceful restart: ${n} stale ${afi === 2 ? "IPv6" : "IPv4"} routes withdrawn (${why})`,
    );
  }

  private done(): void {
    this.cancelTimer();
    this.state = "none";
    this.staleAfis.clear();
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
