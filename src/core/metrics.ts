/**
 * The daemon's Prometheus metrics (prom-client), one registry per daemon instance. Gauges that
 * mirror state (prefix counts, sessions) are computed when scraped, from the objects that own the
 * state, so there is nothing to keep in sync.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export class Metrics {
  readonly registry = new Registry();

  readonly messages = new Counter({
    name: "routewatch_messages_total",
    help: "BGP and BMP messages by transport, direction (in/out) and type",
    labelNames: ["transport", "direction", "type"] as const,
    registers: [this.registry],
  });

  readonly decodeErrors = new Counter({
    name: "routewatch_decode_errors_total",
    help: "Malformed input by transport and kind (the codec's error kind, e.g. bgp.attr.length)",
    labelNames: ["transport", "kind"] as const,
    registers: [this.registry],
  });

  readonly errorActions = new Counter({
    name: "routewatch_rfc7606_actions_total",
    help: "Malformed UPDATEs by the RFC 7606 action taken (treat-as-withdraw, attribute-discard, session-reset, afi-safi-disable)",
    labelNames: ["transport", "action"] as const,
    registers: [this.registry],
  });

  readonly rejectedConnections = new Counter({
    name: "routewatch_connections_rejected_total",
    help: "Incoming connections refused, by transport and reason",
    labelNames: ["transport", "reason"] as const,
    registers: [this.registry],
  });

  readonly sessionTransitions = new Counter({
    name: "routewatch_bgp_session_transitions_total",
    help: "BGP session state changes by peer and new state",
    labelNames: ["peer", "state"] as const,
    registers: [this.registry],
  });

  readonly maxPrefixEvents = new Counter({
    name: "routewatch_max_prefix_events_total",
    help: "Per-peer maximum-prefix warnings and session closures",
    labelNames: ["peer", "event"] as const,
    registers: [this.registry],
  });

  readonly alertmanagerSends = new Counter({
    name: "routewatch_alertmanager_sends_total",
    help: "POSTs to Alertmanager by URL and outcome (ok, error)",
    labelNames: ["url", "outcome"] as const,
    registers: [this.registry],
  });

  readonly convergenceSeconds = new Histogram({
    name: "routewatch_convergence_seconds",
    help: "Time from a Local service's endpoint change to the route change that matches it",
    labelNames: ["namespace", "service"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });

  readonly updateApplySeconds = new Histogram({
    name: "routewatch_update_apply_seconds",
    help: "Time to decode and apply one UPDATE to the RIB",
    labelNames: ["transport"] as const,
    buckets: [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "routewatch_" });
  }

  /** A gauge whose values are read from `collect` at scrape time. */
  gauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect: (set: (labels: Record<L, string>, value: number) => void) => void,
  ): Gauge<L> {
    const g: Gauge<L> = new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        g.reset();
        collect((labels, value) => g.set(labels as never, value));
      },
    });
    return g;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
