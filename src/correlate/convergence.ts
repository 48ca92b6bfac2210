/**
 * Convergence of Local services: when a service's ready nodes change (a pod moved), how long until
 * the routes match again (new nodes announce its /32, nodes that lost their endpoints withdraw it).
 * Measured from the endpoint change to the route change that completes the match.
 */
import type { ServiceView } from "../inventory/types.js";
import { hostPrefix, loadBalancers } from "./rules/context.js";

export interface Expectation {
  node: string;
  prefix: string;
  /** true: the node must announce the prefix; false: it must stop. */
  announce: boolean;
  met: boolean;
}

export interface PendingChange {
  namespace: string;
  service: string;
  sinceMicros: number;
  expectations: Expectation[];
  /** When the last expectation was met (µs). */
  lastMetMicros: number;
}

export interface Convergence {
  tsMicros: number;
  namespace: string;
  service: string;
  seconds: number;
}

/** Answers whether `node` currently announces `prefix` (in any view). */
export type AnnouncedBy = (prefix: string, node: string) => boolean;

export class ConvergenceTracker {
  /** Pending changes by "namespace/name". */
  private readonly pending = new Map<string, PendingChange>();

  /**
   * Compares the ready nodes of each Local service between two views and records what the routes
   * must do. Changes already true (e.g. the route moved first) are met at once.
   */
  viewChanged(
    before: ServiceView,
    after: ServiceView,
    now: number,
    announced: AnnouncedBy,
    emit: (c: Convergence) => void,
  ): void {
    const old = new Map(loadBalancers(before).map((s) => [`${s.namespace}/${s.name}`, s]));
    for (const svc of loadBalancers(after)) {
      if (svc.policy !== "Local") continue;
      const key = `${svc.namespace}/${svc.name}`;
      const prev = old.get(key);
      if (!prev) continue; // a new service: nothing moved
      const added = [...svc.readyNodes].filter((n) => !prev.readyNodes.has(n));
      const removed = [...prev.readyNodes].filter((n) => !svc.readyNodes.has(n));
      if (added.length === 0 && removed.length === 0) continue;
      const expectations: Expectation[] = [];
      for (const ip of svc.ips) {
        const prefix = hostPrefix(ip);
        for (const node of added) expectations.push({ node, prefix, announce: true, met: false });
        for (const node of removed) expectations.push({ node, prefix, announce: false, met: false });
      }
      // A newer change supersedes one still pending: the clock restarts from this one.
      const change: PendingChange = {
        namespace: svc.namespace,
        service: svc.name,
        sinceMicros: now,
        expectations,
        lastMetMicros: now,
      };
      this.pending.set(key, change);
      this.check(key, change, now, announced, emit);
    }
  }

  /** Re-checks the changes that involve `prefix` after its routes changed at `now`. */
  routeChanged(prefix: string, now: number, announced: AnnouncedBy, emit: (c: Convergence) => void): void {
    for (const [key, change] of this.pending) {
      if (change.expectations.some((e) => e.prefix === prefix)) this.check(key, change, now, announced, emit);
    }
  }

  private check(
    key: string,
    change: PendingChange,
    now: number,
    announced: AnnouncedBy,
    emit: (c: Convergence) => void,
  ): void {
    for (const e of change.expectations) {
      if (e.met) continue;
      if (announced(e.prefix, e.node) === e.announce) {
        e.met = true;
        change.lastMetMicros = now;
      }
    }
    if (change.expectations.every((e) => e.met)) {
      this.pending.delete(key);
      emit({
        tsMicros: change.lastMetMicros,
        namespace: change.namespace,
        service: change.service,
        seconds: (change.lastMetMicros - change.sinceMicros) / 1e6,
      });
    }
  }

  /** Changes still waiting for their routes. */
  waiting(): PendingChange[] {
    return [...this.pending.values()];
  }

  /** Forgets changes of services that no longer exist. */
  prune(view: ServiceView): void {
    const live = new Set(view.services.map((s) => `${s.namespace}/${s.name}`));
    for (const key of this.pending.keys()) if (!live.has(key)) this.pending.delete(key);
  }
}
