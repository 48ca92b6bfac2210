/**
 * Live inventory: one @kubernetes/client-node ListWatch (the informer behind makeInformer) per
 * watched resource, feeding the store with events stamped by the injected clock.
 *
 * What the client does by itself: list, then watch from the list's resourceVersion; re-watch from
 * the last seen resourceVersion when a stream ends; re-list when the server answers 410 Gone (the
 * re-list also deletes what vanished meanwhile). What it leaves to us: any other error stops the
 * informer, so we restart it after a backoff; a custom resource that is not installed (404) counts
 * as listed-and-empty, is reported once, and is looked for again every few minutes.
 */
import {
  ADD,
  DELETE,
  ERROR,
  ListWatch,
  UPDATE,
  type KubeConfig,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { Counter } from "prom-client";
import type { Clock, Timer } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import type { Metrics } from "../core/metrics.js";
import { apiGroup } from "./kinds.js";
import { describeError, errorReason, httpStatus } from "./kube-errors.js";
import { WATCHED_RESOURCES, type WatchedResource } from "./kube-resources.js";
import { TrackingWatch } from "./kube-watch.js";
import type { InventoryStore } from "./store.js";
import type { InventoryEvent, InventoryKind, KubeObject } from "./types.js";

export interface KubeSourceOptions {
  kubeConfig: KubeConfig;
  store: InventoryStore;
  clock: Clock;
  log?: Logger;
  metrics?: Metrics;
  resources?: readonly WatchedResource[];
  /** Delay before restarting after an error: from initialMs, doubling up to maxMs. */
  backoff?: { initialMs: number; maxMs: number };
  /** How often a resource that is not installed is looked for again. */
  missingRetryMs?: number;
  /** A list not answered in full within this is aborted and retried. */
  listTimeoutMs?: number;
  /** Watch streams ask the server to end them after this (then resume); see TrackingWatch. */
  watchTimeoutSeconds?: number;
}

export const DEFAULT_BACKOFF = { initialMs: 500, maxMs: 30_000 };
export const DEFAULT_MISSING_RETRY_MS = 5 * 60_000;
/** Generous: a list of every EndpointSlice of a large cluster takes seconds, not minutes. */
export const DEFAULT_LIST_TIMEOUT_MS = 60_000;

export type ResourceState = "starting" | "watching" | "missing" | "retrying" | "stopped";

export interface ResourceStatus {
  id: string;
  kind: InventoryKind;
  state: ResourceState;
  /** Listed at least once (or found missing, which counts as an empty list). */
  listed: boolean;
  lists: number;
  errors: number;
  lastError?: string;
}

/** Plain JSON (the typed clients give Dates and class instances) with kind and apiVersion set. */
function normalise(object: KubernetesObject, resource: WatchedResource): KubeObject {
  const plain = JSON.parse(JSON.stringify(object)) as KubeObject;
  // List items come without kind and apiVersion; watch events carry them.
  return { ...plain, apiVersion: plain.apiVersion ?? resource.apiVersion, kind: plain.kind ?? resource.kind };
}

interface SourceContext {
  kc: KubeConfig;
  store: InventoryStore;
  clock: Clock;
  log: Logger | undefined;
  backoff: { initialMs: number; maxMs: number };
  missingRetryMs: number;
  listTimeoutMs: number;
  watchTimeoutSeconds: number | undefined;
  listed(resource: WatchedResource): void;
  errors: Counter<"resource" | "reason"> | undefined;
  lists: Counter<"resource"> | undefined;
}

/** One resource's informer, restarted after errors and looked for again while not installed. */
class ResourceWatch {
  private informer: ListWatch<KubernetesObject> | undefined;
  private watch: TrackingWatch | undefined;
  private timer: Timer | undefined;
  private delayMs: number;
  private state: ResourceState = "starting";
  private listed = false;
  private lists = 0;
  private errors = 0;
  private lastError: string | undefined;
  private missingReported = false;
  private stopped = false;

  constructor(
    readonly resource: WatchedResource,
    private readonly ctx: SourceContext,
  ) {
    this.delayMs = ctx.backoff.initialMs;
  }

  get available(): boolean {
    return this.state !== "missing";
  }

  get isListed(): boolean {
    return this.listed;
  }

  start(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const informer = (this.informer ??= this.makeInformer());
    informer.start().catch((e: unknown) => this.failed(informer, e));
  }

  stop(): void {
    this.stopped = true;
    this.state = "stopped";
    this.timer?.cancel();
    this.discardInformer();
  }

  status(): ResourceStatus {
    return {
      id: this.resource.id,
      kind: this.resource.kind,
      state: this.state,
      listed: this.listed,
      lists: this.lists,
      errors: this.errors,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  private makeInformer(): ListWatch<KubernetesObject> {
    const list = this.resource.lister(this.ctx.kc, this.ctx.listTimeoutMs);
    const watch = new TrackingWatch(
      this.ctx.kc,
      {
        started: () => this.watching(informer),
        event: () => {
          if (this.current(informer)) this.healthy();
        },
      },
      this.ctx.watchTimeoutSeconds,
    );
    const informer: ListWatch<KubernetesObject> = new ListWatch(
      this.resource.path,
      watch,
      async () => {
        const result = await list();
        if (this.informer === informer && !this.stopped) this.listSucceeded();
        return result;
      },
      false,
    );
    this.watch = watch;
    informer.on(ADD, (o) => this.event(informer, "ADDED", o));
    informer.on(UPDATE, (o) => this.event(informer, "MODIFIED", o));
    informer.on(DELETE, (o) => this.event(informer, "DELETED", o));
    informer.on(ERROR, (e) => this.failed(informer, e));
    return informer;
  }

  private discardInformer(): void {
    void this.informer?.stop();
    this.watch?.close();
    this.informer = undefined;
    this.watch = undefined;
  }

  private current(informer: ListWatch<KubernetesObject> | undefined): boolean {
    return !this.stopped && informer !== undefined && informer === this.informer;
  }

  private listSucceeded(): void {
    this.lists++;
    this.ctx.lists?.inc({ resource: this.resource.id });
    if (this.state === "missing") {
      this.ctx.log?.info({ resource: this.resource.id }, "inventory resource is available now");
      this.missingReported = false;
      this.lastError = undefined;
    }
    this.healthy();
  }

  /** A list or a watch event came through: the problem, if any, is over. */
  private healthy(): void {
    this.delayMs = this.ctx.backoff.initialMs;
    if (this.lastError === undefined) return;
    this.ctx.log?.info({ resource: this.resource.id }, "inventory watch recovered");
    this.lastError = undefined;
  }

  private watching(informer: ListWatch<KubernetesObject>): void {
    if (!this.current(informer)) return;
    this.state = "watching";
    if (!this.listed) {
      this.listed = true;
      this.ctx.listed(this.resource);
    }
  }

  private event(
    informer: ListWatch<KubernetesObject>,
    type: InventoryEvent["type"],
    object: KubernetesObject,
  ): void {
    if (!this.current(informer)) return;
    this.apply([{ tsMicros: this.ctx.clock.now(), type, object: normalise(object, this.resource) }]);
  }

  private apply(events: InventoryEvent[]): void {
    try {
      const result = this.ctx.store.apply(events);
      for (const r of result.rejected) {
        this.ctx.log?.warn(
          { resource: this.resource.id, err: r.error.message },
          "inventory object ignored: a field has the wrong type",
        );
      }
    } catch (e) {
      // A listener's bug must not stop the informer.
      this.ctx.log?.error(
        { resource: this.resource.id, err: (e as Error).message },
        "inventory listener failed",
      );
    }
  }

  private failed(informer: ListWatch<KubernetesObject> | undefined, err: unknown): void {
    if (!this.current(informer) || this.timer) return;
    this.errors++;
    const reason = errorReason(err);
    this.ctx.errors?.inc({ resource: this.resource.id, reason });
    if (httpStatus(err) === 404 && this.resource.optional) {
      this.missing();
      return;
    }
    const message = describeError(err);
    const retryInMs = this.delayMs;
    // Each new problem is logged once, not every retry.
    if (message !== this.lastError) {
      this.ctx.log?.warn(
        { resource: this.resource.id, err: message, retryInMs },
        "inventory watch failed; retrying",
      );
    } else
      this.ctx.log?.debug(
        { resource: this.resource.id, err: message, retryInMs },
        "inventory watch still failing",
      );
    this.lastError = message;
    this.state = "retrying";
    this.delayMs = Math.min(this.delayMs * 2, this.ctx.backoff.maxMs);
    this.timer = this.ctx.clock.after(retryInMs, () => this.start());
  }

  /** Not installed: empty, reported once, looked for again later with a fresh informer. */
  private missing(): void {
    if (!this.missingReported) {
      this.missingReported = true;
      this.ctx.log?.warn(
        { resource: this.resource.id, retryInMs: this.ctx.missingRetryMs },
        `inventory resource ${this.resource.id} is not served (CRD not installed?): treated as empty`,
      );
    }
    this.state = "missing";
    this.lastError = "not installed (HTTP 404)";
    this.discardInformer();
    // Uninstalled while we had objects of it: they are gone.
    const group = apiGroup(this.resource.apiVersion);
    const gone = this.ctx.store
      .list(this.resource.kind)
      .filter((o) => apiGroup(o.apiVersion ?? "") === group)
      .map((object): InventoryEvent => ({ tsMicros: this.ctx.clock.now(), type: "DELETED", object }));
    if (gone.length) this.apply(gone);
    if (!this.listed) {
      this.listed = true;
      this.ctx.listed(this.resource);
    }
    this.timer = this.ctx.clock.after(this.ctx.missingRetryMs, () => this.start());
  }
}

export class KubeSource {
  private readonly watches: ResourceWatch[];
  private readonly store: InventoryStore;
  private readonly log: Logger | undefined;
  private started = false;

  constructor(options: KubeSourceOptions) {
    this.store = options.store;
    this.log = options.log;
    const metrics = options.metrics;
    const ctx: SourceContext = {
      kc: options.kubeConfig,
      store: options.store,
      clock: options.clock,
      log: options.log,
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      missingRetryMs: options.missingRetryMs ?? DEFAULT_MISSING_RETRY_MS,
      listTimeoutMs: options.listTimeoutMs ?? DEFAULT_LIST_TIMEOUT_MS,
      watchTimeoutSeconds: options.watchTimeoutSeconds,
      listed: (r) => this.listed(r),
      errors: metrics
        ? new Counter({
            name: "routewatch_inventory_errors_total",
            help: "Kubernetes list/watch failures by resource and reason (http_403, ECONNREFUSED, ...)",
            labelNames: ["resource", "reason"] as const,
            registers: [metrics.registry],
          })
        : undefined,
      lists: metrics
        ? new Counter({
            name: "routewatch_inventory_lists_total",
            help: "Complete lists of a Kubernetes resource (start-up, 410 Gone, restarts)",
            labelNames: ["resource"] as const,
            registers: [metrics.registry],
          })
        : undefined,
    };
    this.watches = (options.resources ?? WATCHED_RESOURCES).map((r) => new ResourceWatch(r, ctx));
    if (metrics) {
      metrics.gauge(
        "routewatch_inventory_resource_available",
        "1 when the Kubernetes API serves the resource, 0 when it is not installed (a missing CRD)",
        ["resource"],
        (set) => {
          for (const w of this.watches) set({ resource: w.resource.id }, w.available ? 1 : 0);
        },
      );
      metrics.gauge(
        "routewatch_inventory_synced",
        "1 once every inventory resource has been listed",
        [],
        (set) => set({}, this.synced ? 1 : 0),
      );
    }
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const w of this.watches) w.start();
  }

  /** Stops every informer and timer and aborts the open watch streams. */
  stop(): void {
    for (const w of this.watches) w.stop();
  }

  /** Every resource has been listed once (a resource that is not installed counts as listed). */
  get synced(): boolean {
    return this.watches.every((w) => w.isListed);
  }

  status(): ResourceStatus[] {
    return this.watches.map((w) => w.status());
  }

  private listed(resource: WatchedResource): void {
    const ofKind = this.watches.filter((w) => w.resource.kind === resource.kind);
    if (ofKind.every((w) => w.isListed)) this.store.markSynced(resource.kind);
    if (this.synced) this.log?.info({ resources: this.watches.length }, "inventory synced");
  }
}
