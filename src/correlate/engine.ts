/**
 * The correlator: joins the RIB with the Kubernetes view, runs the rules, and hands the conditions
 * to the alert lifecycle. It evaluates shortly after anything changes (changes within `settleMs`
 * are evaluated together) and at the times a flap penalty or a convergence deadline comes due.
 * Every time comes from the injected clock, so a replay gives the same verdicts as the live run.
 */
import type { Clock, Timer } from "../core/clock.js";
import type { Config } from "../core/config.js";
import type { Logger } from "../core/log.js";
import type { RouteEvent, RouteSource } from "../core/types.js";
import type { InventoryEvent, ServiceView } from "../inventory/types.js";
import type { Rib } from "../rib/rib.js";
import type { AlertLifecycle } from "../alerts/lifecycle.js";
import { type Condition } from "./condition.js";
import { ConvergenceTracker, type Convergence } from "./convergence.js";
import { RouteFacts } from "./facts.js";
import { DEFAULT_FLAP, FlapDamper, type FlapSettings } from "./flap.js";
import { buggyServiceIp } from "./rules/buggy-service-ip.js";
import { hostPrefix, list, loadBalancers, type RuleContext } from "./rules/context.js";
import { endpointWithoutRoute } from "./rules/endpoint-without-route.js";
import { orphanRoute } from "./rules/orphan-route.js";
import { poolNotAdvertised } from "./rules/pool-not-advertised.js";
import { reachability } from "./rules/reachability.js";
import { routeWithoutEndpoint } from "./rules/route-without-endpoint.js";

/** Rules that look only at the current state. */
const STATE_RULES = [
  routeWithoutEndpoint,
  endpointWithoutRoute,
  reachability,
  orphanRoute,
  poolNotAdvertised,
  buggyServiceIp,
];

export interface CorrelatorSettings {
  /** Changes within this many ms are evaluated together. */
  settleMs: number;
  routeFlap: FlapSettings;
  peerFlap: FlapSettings;
  /** A pending convergence older than this fires SlowConvergence. */
  slowConvergenceSeconds: number;
}

export const DEFAULT_CORRELATOR: CorrelatorSettings = {
  settleMs: 100,
  routeFlap: DEFAULT_FLAP,
  peerFlap: DEFAULT_FLAP,
  slowConvergenceSeconds: 30,
};

/** The settings `alerts` configures (flap damping for routes and sessions, slow convergence). */
export function correlatorSettings(alerts: Config["alerts"]): CorrelatorSettings {
  const f = alerts.flap;
  const flap: FlapSettings = {
    penalty: f.penalty,
    changePenalty: f.changePenalty,
    halfLifeSeconds: f.halfLife,
    suppress: f.suppress,
    reuse: f.reuse,
    maxPenalty: f.maxPenalty,
  };
  return {
    ...DEFAULT_CORRELATOR,
    routeFlap: flap,
    peerFlap: flap,
    slowConvergenceSeconds: alerts.slowConvergence,
  };
}

/** Where the Kubernetes view comes from (the inventory store, live or from a file). */
export interface ViewSource {
  view(): ServiceView;
  onChange(listener: (events: readonly InventoryEvent[]) => void): void;
}

interface RouteFlapInfo {
  prefix: string;
  node: string;
  source: RouteSource;
}

interface PeerFlapInfo {
  peer: string;
  node: string;
  source: string;
}

export interface ServiceStatus {
  namespace: string;
  name: string;
  ips: string[];
  policy: string;
  endpointNodes: string[];
  /** Nodes advertising the service's host route, per view. */
  advertisers: Partial<Record<RouteSource, string[]>>;
  /** Paths the ToR can spread the traffic over, and what that count is based on. */
  ecmp: { width: number; basis: RouteSource | "none" };
  /** "ok", or the alert names (firing or pending) about this service. */
  verdict: string[];
}

export class Correlator {
  private view: ServiceView;
  /** Host routes (/32, /128) present in any view, with how many paths carry them. */
  private readonly hostRoutes = new Map<string, number>();
  private readonly routeFlaps: FlapDamper<RouteFlapInfo>;
  private readonly peerFlaps: FlapDamper<PeerFlapInfo>;
  private readonly convergence = new ConvergenceTracker();
  /** Views in which each node once had a complete table (see RuleContext.knownViews). */
  private readonly knownViews = new Map<string, Set<string>>();
  /** Some time, every peer had its initial table in. */
  private everComplete = false;
  private readonly convergenceListeners: ((c: Convergence) => void)[] = [];
  private evaluation: Timer | undefined;
  private wakeup: Timer | undefined;
  private wakeupAt = Infinity;
  private stopped = false;

  constructor(
    private readonly rib: Rib,
    private readonly inventory: ViewSource,
    private readonly lifecycle: AlertLifecycle,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly settings: CorrelatorSettings = DEFAULT_CORRELATOR,
  ) {
    this.view = inventory.view();
    this.routeFlaps = new FlapDamper(settings.routeFlap);
    this.peerFlaps = new FlapDamper(settings.peerFlap);
    rib.onRoute((e) => this.routeEvent(e));
    rib.onPeers(() => this.changed());
    inventory.onChange(() => this.viewEvent());
  }

  onConvergence(listener: (c: Convergence) => void): void {
    this.convergenceListeners.push(listener);
  }

  private emitConvergence = (c: Convergence): void => {
    this.log.info({ namespace: c.namespace, service: c.service, seconds: c.seconds }, "service converged");
    for (const l of this.convergenceListeners) l(c);
  };

  private announcedBy = (prefix: string, node: string): boolean =>
    new RouteFacts(this.rib, this.view).announcingNodes(prefix).has(node);

  private routeEvent(e: RouteEvent): void {
    const isHost = e.prefix.endsWith("/32") || e.prefix.endsWith("/128");
    if (isHost) {
      const n =
        (this.hostRoutes.get(e.prefix) ?? 0) +
        (e.action === "announce" ? 1 : e.action === "withdraw" ? -1 : 0);
      if (n > 0) this.hostRoutes.set(e.prefix, n);
      else this.hostRoutes.delete(e.prefix);
    }
    // Withdrawals of a lost session are one session event (a peer flap), not route flaps.
    if (e.action !== "announce" && e.cause !== "session") {
      const path = e.previous ?? e.path;
      const address = e.peer.source === "bmp-locrib" && path ? path.attrs.nextHop : e.peer.address;
      const node = this.view.nodeForAddress(address) ?? address;
      const penalty =
        e.action === "withdraw" ? this.settings.routeFlap.penalty : this.settings.routeFlap.changePenalty;
      this.routeFlaps.record(
        `${e.prefix}|${node}|${e.peer.source}`,
        { prefix: e.prefix, node, source: e.peer.source },
        penalty,
        e.tsMicros,
      );
    }
    if (isHost && this.view.synced)
      this.convergence.routeChanged(e.prefix, e.tsMicros, this.announcedBy, this.emitConvergence);
    this.changed();
  }

  private viewEvent(): void {
    const before = this.view;
    this.view = this.inventory.view();
    if (before.synced && this.view.synced) {
      this.convergence.viewChanged(
        before,
        this.view,
        this.clock.now(),
        this.announcedBy,
        this.emitConvergence,
      );
    }
    this.convergence.prune(this.view);
    this.changed();
  }

  /** A BGP session or BMP-monitored peer went down (or flapped) at `now`. */
  peerDown(peerKey: string, address: string, source: string): void {
    const node = this.view.nodeForAddress(address) ?? address;
    this.peerFlaps.record(
      peerKey,
      { peer: address, node, source },
      this.settings.peerFlap.penalty,
      this.clock.now(),
    );
    this.changed();
  }

  /** Something changed: evaluate soon (changes within settleMs go together). */
  private changed(): void {
    if (this.evaluation || this.stopped) return;
    this.evaluation = this.clock.after(this.settings.settleMs, () => {
      this.evaluation = undefined;
      this.evaluate();
    });
  }

  /** Runs every rule now and hands the result to the alert lifecycle. */
  evaluate(): void {
    if (this.stopped) return;
    const now = this.clock.now();
    const conditions: Condition[] = [];
    if (this.view.synced) {
      const facts = new RouteFacts(this.rib, this.view);
      for (const node of this.view.nodes.keys()) {
        const synced = facts.nodeVisibility(node).synced;
        if (synced.size === 0) continue;
        let known = this.knownViews.get(node);
        if (!known) this.knownViews.set(node, (known = new Set()));
        for (const s of synced) known.add(s);
      }
      if (facts.synced) this.everComplete = true;
      const ctx: RuleContext = {
        view: this.view,
        facts,
        hostRoutes: this.hostRoutes.keys(),
        knownViews: this.knownViews,
        complete: facts.peers > 0 ? facts.synced : this.everComplete,
      };
      for (const rule of STATE_RULES) conditions.push(...rule(ctx));
      conditions.push(...this.slowConvergence(now));
    }
    conditions.push(...this.flapping(now));
    this.lifecycle.update(conditions);
    this.scheduleWakeup(now);
  }

  private flapping(now: number): Condition[] {
    const out: Condition[] = [];
    const s = this.settings.routeFlap;
    const seen = new Set<string>();
    for (const f of this.routeFlaps.flapping(now)) {
      const { prefix, node } = f.info;
      if (seen.has(`${prefix}|${node}`)) continue;
      seen.add(`${prefix}|${node}`);
      const svc = loadBalancers(this.view).find((x) => x.ips.some((ip) => hostPrefix(ip) === prefix));
      out.push({
        alertname: "RouteFlapping",
        severity: "warning",
        labels: { node, prefix, ...(svc ? { namespace: svc.namespace, service: svc.name } : {}) },
        annotations: {
          summary: `${prefix} from ${node} is flapping (penalty ${f.penalty}, ${f.flaps} changes)`,
          description:
            `The route ${prefix} announced by ${node} changed ${f.flaps} times recently (seen in ${f.info.source}); its ` +
            `flap penalty is ${f.penalty}, above the suppress threshold ${s.suppress} (half-life ${s.halfLifeSeconds} s, ` +
            `it clears below ${s.reuse}). Each withdrawal makes the ToR re-hash ECMP flows, resetting connections.`,
          fix:
            `Look for pods of the service restarting or failing readiness on ${node} (\`kubectl get pods -o wide\`, ` +
            `readiness probe flapping), or calico-node restarting there. Stabilise the endpoints; a readiness probe with ` +
            `a failureThreshold avoids flapping routes.`,
        },
      });
    }
    const p = this.settings.peerFlap;
    for (const f of this.peerFlaps.flapping(now)) {
      out.push({
        alertname: "PeerFlapping",
        severity: "warning",
        labels: { node: f.info.node, peer: f.info.peer },
        annotations: {
          summary: `The session with ${f.info.node} (${f.info.peer}, ${f.info.source}) is flapping: ${f.flaps} losses recently`,
          description:
            `The ${f.info.source} session with ${f.info.peer} went down ${f.flaps} times recently (penalty ${f.penalty}, ` +
            `suppress ${p.suppress}, half-life ${p.halfLifeSeconds} s). Every loss withdraws the node's routes until ` +
            `the session is back (or marks them stale with graceful restart).`,
          fix:
            `Check calico-node on ${f.info.node} (restarts, OOM kills), the hold timer against network latency, and the ` +
            `interface to the ToR. \`birdc show protocols all\` on the node shows the last error.`,
        },
      });
    }
    return out;
  }

  private slowConvergence(now: number): Condition[] {
    const limit = this.settings.slowConvergenceSeconds * 1e6;
    const out: Condition[] = [];
    for (const change of this.convergence.waiting()) {
      if (now - change.sinceMicros < limit) continue;
      for (const e of change.expectations) {
        if (e.met) continue;
        const waited = Math.round((now - change.sinceMicros) / 1e6);
        out.push({
          alertname: "SlowConvergence",
          severity: "warning",
          labels: { namespace: change.namespace, service: change.service, node: e.node, prefix: e.prefix },
          annotations: {
            summary: `${change.namespace}/${change.service}: ${e.node} has not ${e.announce ? "announced" : "withdrawn"} ${e.prefix} ${waited} s after its endpoints moved`,
            description:
              `The ready endpoints of ${change.namespace}/${change.service} changed ${waited} s ago; ${e.node} should ` +
              `${e.announce ? "now announce" : "no longer announce"} ${e.prefix}, and has not (threshold ` +
              `${this.settings.slowConvergenceSeconds} s). Until it does, failover is incomplete.`,
            fix:
              `Check how fast calico-node on ${e.node} reacts to EndpointSlice changes (its log, API server load) and ` +
              `the BGP path to the ToR (MRAI / advertisement intervals in the BIRD and ToR configs).`,
          },
        });
      }
    }
    return out;
  }

  /** Re-evaluates when a flap penalty decays below reuse or a convergence deadline passes. */
  private scheduleWakeup(now: number): void {
    const candidates = [this.routeFlaps.nextReuse(), this.peerFlaps.nextReuse()];
    for (const c of this.convergence.waiting()) {
      const due = c.sinceMicros + this.settings.slowConvergenceSeconds * 1e6;
      if (due > now) candidates.push(due);
    }
    const next = Math.min(...candidates.filter((x): x is number => x !== undefined && x > now));
    if (next === this.wakeupAt) return;
    this.wakeup?.cancel();
    this.wakeup = undefined;
    this.wakeupAt = next;
    if (next === Infinity) return;
    this.wakeup = this.clock.after((next - now) / 1000, () => {
      this.wakeup = undefined;
      this.wakeupAt = Infinity;
      this.evaluate();
    });
  }

  /** Per-service status for the API and `routewatch check`. */
  services(): ServiceStatus[] {
    const facts = new RouteFacts(this.rib, this.view);
    const alerts: Record<string, string>[] = [
      ...this.lifecycle.firing().map((a) => a.labels),
      ...this.lifecycle.pending().map((p) => ({ alertname: p.condition.alertname, ...p.condition.labels })),
    ];
    return loadBalancers(this.view).map((svc) => {
      const advertisers: Partial<Record<RouteSource, Set<string>>> = {};
      let ecmp: ServiceStatus["ecmp"] = { width: 0, basis: "none" };
      for (const ip of svc.ips) {
        const ads = facts.advertisements(hostPrefix(ip));
        for (const a of ads) (advertisers[a.source] ??= new Set()).add(a.node ?? a.address);
        for (const basis of ["bmp-locrib", "bmp-post", "bgp"] as const) {
          const hops = new Set(
            ads
              .filter((a) => a.source === basis)
              .map((a) => (basis === "bmp-locrib" ? a.nextHop : a.address)),
          );
          if (hops.size > 0) {
            if (hops.size > ecmp.width || ecmp.basis === "none") ecmp = { width: hops.size, basis };
            break;
          }
        }
      }
      const verdict = [
        ...new Set(
          alerts
            .filter((l) => l.namespace === svc.namespace && l.service === svc.name)
            .map((l) => l.alertname!),
        ),
      ].sort();
      return {
        namespace: svc.namespace,
        name: svc.name,
        ips: svc.ips,
        policy: svc.policy,
        endpointNodes: [...svc.readyNodes].sort(),
        advertisers: Object.fromEntries(Object.entries(advertisers).map(([k, v]) => [k, [...v].sort()])),
        ecmp,
        verdict: verdict.length ? verdict : ["ok"],
      };
    });
  }

  /** For log lines and tests: a one-line picture. */
  describe(): string {
    return `services ${loadBalancers(this.view).length}, host routes ${list(this.hostRoutes.keys())}`;
  }

  stop(): void {
    this.stopped = true;
    this.evaluation?.cancel();
    this.wakeup?.cancel();
    this.lifecycle.stop();
  }
}
