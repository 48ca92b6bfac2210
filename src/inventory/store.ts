/**
 * The inventory store: the current objects of each kind (keyed by API group, namespace and name),
 * fed with watch-style events by a source (the Kubernetes watches, or an inventory file), and the
 * ServiceView built from them. The view is rebuilt lazily, at most once per change, and a view once
 * returned never changes (a later change builds a new one).
 */
import { INVENTORY_KINDS, kindOf, objectKey } from "./kinds.js";
import { ObjectError, readObject, type InventoryRecord } from "./objects.js";
import type { InventoryEvent, InventoryKind, KubeObject, ServiceView } from "./types.js";
import { buildView } from "./view.js";

/** Called after each change with the events that changed something; with [] when `synced` flips. */
export type InventoryListener = (events: readonly InventoryEvent[]) => void;

export interface RejectedEvent {
  event: InventoryEvent;
  error: ObjectError;
}

export interface ApplyResult {
  /** Events that changed the store (deleting an unknown object changes nothing). */
  applied: InventoryEvent[];
  /** Objects of kinds the view does not use. */
  ignored: number;
  /** Objects of a known kind with a field of the wrong type (a previous version is removed). */
  rejected: RejectedEvent[];
}

type RecordOf<K extends InventoryKind> = Extract<InventoryRecord, { kind: K }>["record"];

interface Entry {
  object: KubeObject;
  record: InventoryRecord;
}

export class InventoryStore {
  private readonly objects = new Map<InventoryKind, Map<string, Entry>>(
    INVENTORY_KINDS.map((k) => [k, new Map()]),
  );
  private readonly syncedKinds = new Set<InventoryKind>();
  private readonly ignoredKinds = new Map<string, number>();
  private rejectedCount = 0;
  private readonly listeners = new Set<InventoryListener>();
  private cached: ServiceView | undefined;

  /** `expected`: the kinds that must be synced before the view is. */
  constructor(private readonly expected: readonly InventoryKind[] = INVENTORY_KINDS) {}

  apply(events: InventoryEvent | readonly InventoryEvent[]): ApplyResult {
    const result: ApplyResult = { applied: [], ignored: 0, rejected: [] };
    for (const event of Array.isArray(events)
      ? (events as readonly InventoryEvent[])
      : [events as InventoryEvent]) {
      const kind = kindOf(event.object);
      if (!kind) {
        result.ignored++;
        const name = typeof event.object.kind === "string" ? event.object.kind : "(no kind)";
        this.ignoredKinds.set(name, (this.ignoredKinds.get(name) ?? 0) + 1);
        continue;
      }
      const objects = this.objects.get(kind)!;
      const key = objectKey(event.object);
      if (event.type === "DELETED") {
        if (objects.delete(key)) result.applied.push(event);
        continue;
      }
      let record: InventoryRecord;
      try {
        record = readObject(kind, event.object);
      } catch (e) {
        if (!(e instanceof ObjectError)) throw e;
        result.rejected.push({ event, error: e });
        this.rejectedCount++;
        // The object exists but cannot be read: what we knew of it is no longer true.
        if (objects.delete(key)) result.applied.push({ ...event, type: "DELETED" });
        continue;
      }
      objects.set(key, { object: event.object, record });
      result.applied.push(event);
    }
    if (result.applied.length > 0) this.changed(result.applied);
    return result;
  }

  /** A kind has been listed completely (informer synced, file read). */
  markSynced(kind: InventoryKind): void {
    if (this.syncedKinds.has(kind)) return;
    const before = this.synced;
    this.syncedKinds.add(kind);
    if (this.synced !== before) this.changed([]);
  }

  markAllSynced(): void {
    for (const kind of INVENTORY_KINDS) this.markSynced(kind);
  }

  isSynced(kind: InventoryKind): boolean {
    return this.syncedKinds.has(kind);
  }

  /** Every expected kind has been listed. */
  get synced(): boolean {
    return this.expected.every((k) => this.syncedKinds.has(k));
  }

  /** The raw objects of a kind, as last received. */
  list(kind: InventoryKind): KubeObject[] {
    return [...this.objects.get(kind)!.values()].map((e) => e.object);
  }

  /** Every object of every kind, in kind order. */
  all(): KubeObject[] {
    return [...this.objects.keys()].flatMap((kind) => this.list(kind));
  }

  /** Objects ignored so far, by their kind ("Pod": 12). */
  ignored(): ReadonlyMap<string, number> {
    return this.ignoredKinds;
  }

  /** Objects rejected so far (a used field of the wrong type). */
  get rejected(): number {
    return this.rejectedCount;
  }

  /** Registers a listener; returns a function that removes it. */
  onChange(listener: InventoryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  view(): ServiceView {
    if (!this.cached) {
      const records = <K extends InventoryKind>(kind: K): RecordOf<K>[] =>
        [...this.objects.get(kind)!.values()].map((e) => e.record.record as RecordOf<K>);
      this.cached = buildView({
        services: records("Service"),
        slices: records("EndpointSlice"),
        nodes: records("Node"),
        pools: records("IPAddressPool"),
        bgpConfigs: records("BGPConfiguration"),
        synced: this.synced,
      });
    }
    return this.cached;
  }

  private changed(events: readonly InventoryEvent[]): void {
    this.cached = undefined;
    for (const l of [...this.listeners]) l(events);
  }
}
