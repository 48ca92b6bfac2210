/**
 * Alertmanager v2 client (POST /api/v2/alerts). Like Prometheus, it sends the state, not events:
 * every firing alert is re-sent periodically with an endsAt a few intervals ahead (so Alertmanager
 * resolves it by itself if routewatch dies), and a resolved alert is sent with its endsAt until each
 * Alertmanager has accepted it. An Alertmanager that is down is retried with backoff; what it misses
 * is in the next batch, so nothing is lost.
 */
import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import type { Metrics } from "../core/metrics.js";
import type { Alert, AlertSink } from "./lifecycle.js";

export interface AlertmanagerOptions {
  urls: string[];
  /** Link back to routewatch for each alert (Alertmanager's generatorURL). */
  generatorUrl: (alert: Alert) => string;
  /** How often firing alerts are re-sent (ms). */
  resendMs?: number;
  timeoutMs?: number;
  /** Backoff between failed attempts: starts here, doubles, capped at `maxBackoffMs`. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

interface Target {
  url: string;
  /** Resolved alerts this Alertmanager has not accepted yet. */
  unsentResolved: Map<string, Alert>;
  /** Something changed since the last successful send. */
  dirty: boolean;
  failures: number;
  timer: NodeJS.Timeout | undefined;
  inFlight: boolean;
}

const iso = (micros: number): string => new Date(Math.floor(micros / 1000)).toISOString();

export class AlertmanagerSink implements AlertSink {
  private readonly firingAlerts = new Map<string, Alert>();
  private readonly targets: Target[];
  private readonly resendMs: number;
  private stopped = false;

  constructor(
    private readonly opts: AlertmanagerOptions,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.resendMs = opts.resendMs ?? 60_000;
    this.targets = opts.urls.map((url) => ({
      url: url.replace(/\/+$/, ""),
      unsentResolved: new Map(),
      dirty: false,
      failures: 0,
      timer: undefined,
      inFlight: false,
    }));
    metrics.gauge(
      "routewatch_alertmanager_pending_resolved",
      "Resolved alerts not yet accepted, per Alertmanager",
      ["url"],
      (set) => {
        for (const t of this.targets) set({ url: t.url }, t.unsentResolved.size);
      },
    );
    for (const t of this.targets) this.schedule(t, 0);
  }

  firing(alert: Alert): void {
    this.firingAlerts.set(alert.key, alert);
    for (const t of this.targets) {
      t.unsentResolved.delete(alert.key);
      this.changed(t);
    }
  }

  resolved(alert: Alert): void {
    this.firingAlerts.delete(alert.key);
    for (const t of this.targets) {
      t.unsentResolved.set(alert.key, alert);
      this.changed(t);
    }
  }

  private changed(t: Target): void {
    t.dirty = true;
    if (t.failures === 0) this.schedule(t, 0);
  }

  private schedule(t: Target, ms: number): void {
    if (this.stopped) return;
    if (t.timer) clearTimeout(t.timer);
    t.timer = setTimeout(() => void this.send(t), ms);
    t.timer.unref();
  }

  private body(t: Target): unknown[] {
    const now = this.clock.now();
    const payload = (a: Alert, endsMicros: number): Record<string, unknown> => ({
      labels: a.labels,
      annotations: {
        summary: a.annotations.summary,
        description: a.annotations.description,
        fix: a.annotations.fix,
      },
      startsAt: iso(a.activeSinceMicros),
      endsAt: iso(endsMicros),
      generatorURL: this.opts.generatorUrl(a),
    });
    return [
      // Firing: endsAt a few resend intervals ahead, as Prometheus does.
      ...[...this.firingAlerts.values()].map((a) => payload(a, now + 4 * this.resendMs * 1000)),
      ...[...t.unsentResolved.values()].map((a) => payload(a, a.endsMicros ?? now)),
    ];
  }

  private async send(t: Target): Promise<void> {
    t.timer = undefined;
    if (this.stopped || t.inFlight) return;
    const alerts = this.body(t);
    const resolvedInBatch = [...t.unsentResolved.keys()];
    t.dirty = false;
    if (alerts.length === 0) {
      this.schedule(t, this.resendMs);
      return;
    }
    t.inFlight = true;
    try {
      const res = await fetch(`${t.url}/api/v2/alerts`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(alerts),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
      await res.body?.cancel();
      for (const k of resolvedInBatch) t.unsentResolved.delete(k);
      if (t.failures > 0)
        this.log.info(
          { url: t.url, alerts: alerts.length },
          "Alertmanager reachable again; alerts delivered",
        );
      t.failures = 0;
      this.metrics.alertmanagerSends.inc({ url: t.url, outcome: "ok" });
      this.schedule(t, t.dirty ? 0 : this.resendMs);
    } catch (e) {
      t.failures++;
      t.dirty = true;
      this.metrics.alertmanagerSends.inc({ url: t.url, outcome: "error" });
      const backoff = Math.min(
        this.opts.maxBackoffMs ?? 30_000,
        (this.opts.minBackoffMs ?? 500) * 2 ** (t.failures - 1),
      );
      const level = t.failures === 1 || t.failures % 10 === 0 ? "warn" : "debug";
      this.log[level](
        { url: t.url, err: (e as Error).message, retryInMs: backoff, alerts: alerts.length },
        "Alertmanager unreachable; will retry",
      );
      this.schedule(t, backoff);
    } finally {
      t.inFlight = false;
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.targets) if (t.timer) clearTimeout(t.timer);
  }
}
