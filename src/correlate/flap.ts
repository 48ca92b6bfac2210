/**
 * Flap damping in the style of RFC 2439: every flap adds a penalty that decays exponentially with
 * a half-life; above `suppress` the thing is flapping, and it stays so until the penalty decays
 * below `reuse` (hysteresis). Decay is computed when asked, so idle entries cost nothing.
 */

export interface FlapSettings {
  /** Penalty of a withdrawal (or session loss). */
  penalty: number;
  /** Penalty of an attribute change (implicit replace). */
  changePenalty: number;
  halfLifeSeconds: number;
  suppress: number;
  reuse: number;
  /** Ceiling of the penalty, so a long flapping period ends in bounded time. */
  maxPenalty: number;
}

export const DEFAULT_FLAP: FlapSettings = {
  penalty: 1000,
  changePenalty: 500,
  halfLifeSeconds: 900,
  suppress: 2000,
  reuse: 750,
  maxPenalty: 12000,
};

interface Entry<I> {
  penalty: number;
  atMicros: number;
  flapping: boolean;
  flaps: number;
  info: I;
}

export class FlapDamper<I> {
  private readonly entries = new Map<string, Entry<I>>();

  constructor(private readonly s: FlapSettings) {}

  private decayed(e: Entry<I>, now: number): number {
    const dt = Math.max(0, now - e.atMicros) / 1e6;
    return e.penalty * Math.pow(0.5, dt / this.s.halfLifeSeconds);
  }

  /** Adds a flap's penalty for `key` at `now` (µs). */
  record(key: string, info: I, penalty: number, now: number): void {
    let e = this.entries.get(key);
    if (!e) this.entries.set(key, (e = { penalty: 0, atMicros: now, flapping: false, flaps: 0, info }));
    e.penalty = Math.min(this.s.maxPenalty, this.decayed(e, now) + penalty);
    e.atMicros = now;
    e.flaps++;
    e.info = info;
    if (e.penalty >= this.s.suppress) e.flapping = true;
  }

  /** Entries flapping at `now` (applying the reuse hysteresis), forgetting those decayed to nothing. */
  flapping(now: number): { key: string; info: I; penalty: number; flaps: number }[] {
    const out = [];
    for (const [key, e] of this.entries) {
      const p = this.decayed(e, now);
      if (e.flapping && p < this.s.reuse) e.flapping = false;
      if (e.flapping) out.push({ key, info: e.info, penalty: Math.round(p), flaps: e.flaps });
      else if (p < 1) this.entries.delete(key);
    }
    return out;
  }

  /** When the earliest flapping entry decays below `reuse` (µs), to re-evaluate then. */
  nextReuse(): number | undefined {
    let next: number | undefined;
    for (const e of this.entries.values()) {
      if (!e.flapping) continue;
      const seconds = this.s.halfLifeSeconds * Math.log2(e.penalty / this.s.reuse);
      // One microsecond past the moment the penalty equals reuse: flapping() clears below reuse only.
      const at = e.atMicros + Math.floor(Math.max(0, seconds) * 1e6) + 1;
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  get size(): number {
    return this.entries.size;
  }
}
