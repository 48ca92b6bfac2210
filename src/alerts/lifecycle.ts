/**
 * Alert lifecycle: a condition must hold for the grace period before it fires (pending -> firing),
 * and a firing alert whose condition is gone is resolved. Sinks (Alertmanager, logs, replay output)
 * hear about firing and resolution; timers come from the injected clock.
 */
import type { Clock, Timer } from "../core/clock.js";
import { alertLabels, conditionKey, type Condition } from "../correlate/condition.js";

export interface Alert {
  key: string;
  labels: Record<string, string>;
  annotations: Condition["annotations"];
  /** When the condition started to hold (µs); Alertmanager's startsAt. */
  activeSinceMicros: number;
  /** When it fired (µs). */
  firedMicros: number;
  /** When it resolved (µs). */
  endsMicros?: number;
}

export interface AlertSink {
  firing(alert: Alert): void;
  resolved(alert: Alert): void;
}

interface Tracked {
  condition: Condition;
  since: number;
  alert?: Alert;
}

export class AlertLifecycle {
  private readonly tracked = new Map<string, Tracked>();
  private timer: Timer | undefined;
  private timerAt = Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly graceMicros: number,
    private readonly sinks: AlertSink[],
  ) {}

  /** The complete set of conditions holding now; anything not in it is over. */
  update(conditions: Condition[]): void {
    const now = this.clock.now();
    const seen = new Set<string>();
    for (const c of conditions) {
      const key = conditionKey(c);
      if (seen.has(key)) continue;
      seen.add(key);
      const t = this.tracked.get(key);
      if (t) {
        t.condition = c; // latest explanation (e.g. the list of nodes) wins
        if (t.alert) t.alert.annotations = c.annotations;
      } else this.tracked.set(key, { condition: c, since: now });
    }
    for (const [key, t] of this.tracked) {
      if (seen.has(key)) continue;
      this.tracked.delete(key);
      if (t.alert) {
        t.alert.endsMicros = now;
        for (const s of this.sinks) s.resolved(t.alert);
      }
    }
    this.promote(now);
  }

  /** Fires the conditions that have held for the grace period; schedules the next check. */
  private promote(now: number): void {
    let next = Infinity;
    for (const [key, t] of this.tracked) {
      if (t.alert) continue;
      const due = t.since + this.graceMicros;
      if (due <= now) {
        t.alert = {
          key,
          labels: alertLabels(t.condition),
          annotations: t.condition.annotations,
          activeSinceMicros: t.since,
          firedMicros: now,
        };
        for (const s of this.sinks) s.firing(t.alert);
      } else next = Math.min(next, due);
    }
    if (next < this.timerAt || (this.timer && next === Infinity)) {
      this.timer?.cancel();
      this.timer = undefined;
      this.timerAt = Infinity;
    }
    if (next !== Infinity && !this.timer) {
      this.timerAt = next;
      this.timer = this.clock.after((next - now) / 1000, () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.promote(this.clock.now());
      });
    }
  }

  firing(): Alert[] {
    return [...this.tracked.values()].flatMap((t) => (t.alert ? [t.alert] : []));
  }

  pending(): { key: string; condition: Condition; sinceMicros: number }[] {
    return [...this.tracked.entries()].flatMap(([key, t]) =>
      t.alert ? [] : [{ key, condition: t.condition, sinceMicros: t.since }],
    );
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
