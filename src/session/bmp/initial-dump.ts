/**
 * When a monitored peer's initial dump is complete. RFC 7854 5: after the PEER-UP the router sends
 * the peer's table, then an End-of-RIB per family. Not every router does, or not for every view
 * (seen in test/integration/bmp-*.test.ts):
 * - FRR 8.4 sends End-of-RIB only at the end of the table sync that starts its BMP session, pre- and
 *   post-policy, for the peers established by then; a peer that comes up later gets none (so after
 *   an FRR restart, whose BMP session starts before its BGP sessions, there is none at all).
 * - GoBGP 3.10 sends End-of-RIB after its pre- and post-policy initial dumps, none for Loc-RIB.
 * So a view also counts as synced once the peer has been quiet (no ROUTE-MONITORING for any of its
 * views) for `quietMs` since its PEER-UP.
 */
import type { Clock, Timer } from "../../core/clock.js";

export class InitialDump {
  private timer: Timer | undefined;
  private finished = false;
  /** Between start() and cancel(): only then does activity keep a dump going. */
  private running = false;
  /** Last activity (µs). The timer is not re-armed per message: when it fires early, it waits the rest. */
  private last = 0;

  constructor(
    private readonly clock: Clock,
    private readonly quietMs: number,
    /** Called once when the quiet period passes. */
    private readonly onQuiet: () => void,
  ) {}

  /** The dump is over (quiet period passed): new views count as synced at once. */
  get done(): boolean {
    return this.finished;
  }

  /** PEER-UP (or the first message of a peer without one): a new dump begins. */
  start(): void {
    this.cancel();
    this.running = true;
    this.finished = false;
    this.last = this.clock.now();
    this.arm(this.quietMs);
  }

  /** A ROUTE-MONITORING for the peer: the dump is still going. */
  activity(): void {
    if (this.finished || !this.running) return;
    this.last = this.clock.now();
    if (!this.timer) this.arm(this.quietMs);
  }

  /** Peer down or router gone (or a dump that never began: a stream replayed from its middle). */
  cancel(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private arm(ms: number): void {
    this.timer = this.clock.after(ms, () => {
      this.timer = undefined;
      const quietFor = (this.clock.now() - this.last) / 1000;
      if (quietFor < this.quietMs) {
        this.arm(this.quietMs - quietFor);
        return;
      }
      this.finished = true;
      this.onQuiet();
    });
  }
}
