/**
 * `routewatch run`: the passive BGP speaker and the BMP collector feed one RIB; the correlator joins
 * it with the Kubernetes view and drives the alert lifecycle; HTTP serves health, metrics and the API.
 */
import type { Clock } from "./core/clock.js";
import { formatEndpoint, type Config, type Endpoint } from "./core/config.js";
import type { Logger } from "./core/log.js";
import { Metrics } from "./core/metrics.js";
import { formatTimestamp } from "./core/time.js";
import { AlertmanagerSink } from "./alerts/alertmanager.js";
import { AlertLifecycle, type Alert, type AlertSink } from "./alerts/lifecycle.js";
import { logSink } from "./alerts/log-sink.js";
import { Correlator, correlatorSettings, type ViewSource } from "./correlate/engine.js";
import type { KubeObject } from "./inventory/types.js";
import { routesHandler } from "./http/routes-api.js";
import { HttpServer } from "./http/server.js";
import { statusPage } from "./http/status-page.js";
import { Recorder } from "./record/recorder.js";
import { Rib } from "./rib/rib.js";
import { BgpSpeaker } from "./session/bgp/index.js";
import { BmpCollector } from "./session/bmp/index.js";

/** Where the Kubernetes view comes from, with its own start and stop. */
export interface InventoryProvider extends ViewSource {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Every object known now (for recording snapshots). */
  objects(): KubeObject[];
}

export interface DaemonOptions {
  config: Config;
  log: Logger;
  clock: Clock;
  inventory?: InventoryProvider | undefined;
  /** The metrics registry, when parts created before the daemon (the inventory) register in it. */
  metrics?: Metrics;
  /** Extra alert sinks (tests, recorders). */
  sinks?: AlertSink[];
}

export interface Listening {
  http: Endpoint;
  bgp: Endpoint[];
  bmp: Endpoint[];
}

const ALERT_LABELS = [
  "alertname",
  "severity",
  "namespace",
  "service",
  "node",
  "prefix",
  "pool",
  "peer",
  "state",
] as const;

export class Daemon {
  readonly rib = new Rib();
  readonly metrics: Metrics;
  readonly speaker: BgpSpeaker;
  readonly collector: BmpCollector;
  readonly lifecycle: AlertLifecycle;
  readonly correlator: Correlator | undefined;
  private readonly http: HttpServer;
  private readonly alertmanager: AlertmanagerSink | undefined;
  private readonly recorder: Recorder | undefined;
  private listening: Listening | undefined;
  private externalUrl = "";

  constructor(private readonly opts: DaemonOptions) {
    const { config, log, clock } = opts;
    this.metrics = opts.metrics ?? new Metrics();
    const deps = { config, rib: this.rib, clock, log, metrics: this.metrics };
    this.speaker = new BgpSpeaker(deps);
    this.collector = new BmpCollector(deps);
    this.http = new HttpServer(log.child({ component: "http" }));

    const sinks: AlertSink[] = [logSink(log.child({ component: "alerts" })), ...(opts.sinks ?? [])];
    if (config.alerts.alertmanager.length > 0) {
      this.alertmanager = new AlertmanagerSink(
        {
          urls: config.alerts.alertmanager,
          generatorUrl: (a: Alert) =>
            `${this.externalUrl}/api/v1/alerts?alertname=${encodeURIComponent(a.labels.alertname ?? "")}`,
          resendMs: config.alerts.resend * 1000,
        },
        clock,
        log.child({ component: "alertmanager" }),
        this.metrics,
      );
      sinks.push(this.alertmanager);
    }
    this.lifecycle = new AlertLifecycle(clock, config.alerts.grace * 1e6, sinks);
    if (opts.inventory) {
      this.correlator = new Correlator(
        this.rib,
        opts.inventory,
        this.lifecycle,
        clock,
        log.child({ component: "correlate" }),
        correlatorSettings(config.alerts),
      );
      this.correlator.onConvergence((c) =>
        this.metrics.convergenceSeconds.observe({ namespace: c.namespace, service: c.service }, c.seconds),
      );
    }
    if (config.record.dir !== undefined) {
      const inventory = opts.inventory;
      const recorder = new Recorder(
        { ...config.record, dir: config.record.dir },
        clock,
        log,
        () => ({
          objects: inventory?.objects() ?? [],
          synced: inventory?.view().synced ?? false,
        }),
        () => ({
          routerId: config.routerId,
          tables: this.rib
            .peers()
            .filter((p) => p.source === "bgp")
            .map((peer) => ({ peer, paths: this.rib.paths(peer.id) })),
        }),
        { views: () => this.collector.routerViews(), paths: (v) => this.rib.paths(v.ref.id) },
      );
      this.recorder = recorder;
      this.speaker.onMessage = (m) => recorder.bgpMessage(m);
      this.collector.onMessage = (m) =>
        recorder.bmpMessage({
          tsMicros: m.tsMicros,
          router: m.router,
          collector: m.collector,
          bytes: m.bytes,
        });
      this.collector.onRouter = (router, event, tsMicros) => {
        if (event === "down") recorder.bmpRouterDown(router, tsMicros);
      };
      inventory?.onChange((events) => recorder.inventoryEvents(events, inventory.view().synced));
    }
    this.collector.onPeerDown = (router, peer, distinguisher) =>
      this.correlator?.peerDown(`bmp|${router}|${distinguisher}|${peer}`, peer, `BMP from ${router}`);
    this.speaker.onState = (peer, from, to, tsMicros) => {
      this.recorder?.bgpState(peer, from, to, tsMicros);
      // Session losses feed the peer flap damper.
      if (from === "Established" && to !== "Established")
        this.correlator?.peerDown(`bgp|${peer}`, peer, "bgp");
    };
    this.metrics.gauge(
      "routewatch_prefixes",
      "Paths per peer (and BMP router and view) and address family",
      ["source", "router", "peer", "afi"],
      (set) => {
        for (const p of this.rib.peers()) {
          const c = this.rib.counts(p.id);
          const labels = { source: p.source, router: p.router ?? "", peer: p.address };
          set({ ...labels, afi: "ipv4" }, c.ipv4);
          set({ ...labels, afi: "ipv6" }, c.ipv6);
        }
      },
    );
    this.metrics.gauge(
      "routewatch_alerts",
      "Alerts by state (firing, pending) and labels",
      ALERT_LABELS,
      (set) => {
        const blank = Object.fromEntries(ALERT_LABELS.map((l) => [l, ""])) as Record<
          (typeof ALERT_LABELS)[number],
          string
        >;
        for (const a of this.lifecycle.firing()) set({ ...blank, ...a.labels, state: "firing" }, 1);
        for (const p of this.lifecycle.pending()) {
          set(
            {
              ...blank,
              alertname: p.condition.alertname,
              severity: p.condition.severity,
              ...p.condition.labels,
              state: "pending",
            },
            1,
          );
        }
      },
    );
    this.routes();
  }

  private routes(): void {
    const h = this.http;
    h.get("/", () => ({
      contentType: "text/html; charset=utf-8",
      text: statusPage({
        sessions: this.speaker.sessions(),
        routers: this.collector.routers(),
        services: this.correlator?.services() ?? [],
        firing: this.lifecycle.firing(),
      }),
    }));
    h.get("/healthz", () => ({ text: "ok\n" }));
    h.get("/readyz", () => {
      const ready = this.ready();
      return { status: ready.ready ? 200 : 503, json: ready };
    });
    h.get("/metrics", async () => ({
      text: await this.metrics.text(),
      contentType: this.metrics.registry.contentType,
    }));
    h.get("/api/v1/peers", () => ({ json: { bgp: this.speaker.sessions(), bmp: this.collector.routers() } }));
    h.get("/api/v1/routes", routesHandler(this.rib, formatTimestamp));
    h.get("/api/v1/services", () => ({ json: { services: this.correlator?.services() ?? [] } }));
    h.get("/api/v1/alerts", ({ query }) => {
      const name = query.get("alertname");
      const keep = (labels: Record<string, string>): boolean => name === null || labels.alertname === name;
      return {
        json: {
          firing: this.lifecycle
            .firing()
            .filter((a) => keep(a.labels))
            .map((a) => ({
              labels: a.labels,
              annotations: a.annotations,
              activeSince: formatTimestamp(a.activeSinceMicros),
              firedAt: formatTimestamp(a.firedMicros),
            })),
          pending: this.lifecycle
            .pending()
            .map((p) => ({
              labels: {
                alertname: p.condition.alertname,
                severity: p.condition.severity,
                ...p.condition.labels,
              },
              annotations: p.condition.annotations,
              activeSince: formatTimestamp(p.sinceMicros),
            }))
            .filter((p) => keep(p.labels)),
        },
      };
    });
  }

  /** Ready once the listeners are up (and, with an inventory, once it has synced). */
  ready(): { ready: boolean; listeners: boolean; inventorySynced: boolean | null } {
    const inventorySynced = this.opts.inventory ? this.opts.inventory.view().synced : null;
    const listeners = this.listening !== undefined;
    return { ready: listeners && inventorySynced !== false, listeners, inventorySynced };
  }

  async start(): Promise<Listening> {
    const { config, log } = this.opts;
    const http = await this.http.listen(config.http.listen);
    this.externalUrl =
      config.http.externalUrl?.replace(/\/+$/, "") ??
      `http://${formatEndpoint(http.host === "0.0.0.0" || http.host === "::" ? { ...http, host: config.routerId } : http)}`;
    await this.speaker.start();
    await this.collector.start();
    await this.opts.inventory?.start();
    this.recorder?.start();
    this.listening = { http, bgp: this.speaker.listening(), bmp: this.collector.listening() };
    log.info(
      {
        http: formatEndpoint(http),
        bgp: this.listening.bgp.map(formatEndpoint),
        bmp: this.listening.bmp.map(formatEndpoint),
        asn: config.asn,
        routerId: config.routerId,
      },
      "routewatch running",
    );
    return this.listening;
  }

  async stop(): Promise<void> {
    // The recording ends first: routewatch closing its sessions is no event of the network, and a
    // replay must judge the routes as they were while it watched.
    this.recorder?.stop();
    this.correlator?.stop();
    this.lifecycle.stop();
    await this.speaker.stop();
    await this.collector.stop();
    await this.opts.inventory?.stop();
    this.alertmanager?.stop();
    await this.http.close();
  }
}
