/**
 * The inventory a `routewatch run` uses, from its configuration: an inventory file, the Kubernetes
 * API, or none. Loading happens in start(), so a bad file or kubeconfig is reported as a start-up
 * error.
 */
import type { Clock, Timer } from "../core/clock.js";
import type { Config } from "../core/config.js";
import type { Logger } from "../core/log.js";
import type { Metrics } from "../core/metrics.js";
import { InventoryReplay } from "./file-replay.js";
import { loadInventoryFile, type InventoryFile } from "./file-source.js";
import { InventoryStore, type InventoryListener } from "./store.js";
import type { KubeObject, ServiceView } from "./types.js";

/** What the daemon needs of an inventory (matches its InventoryProvider). */
export interface Inventory {
  view(): ServiceView;
  onChange(listener: InventoryListener): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Every object known now, of every watched kind (recording snapshots). */
  objects(): KubeObject[];
}

/**
 * A file played on the given clock. A snapshot is applied at start. A timeline is played relative to
 * the start (its first timestamp happens at start, later lines as much later), so a recorded pod
 * move happens during the run; a replay on a virtual clock uses InventoryReplay with the file's own
 * times instead.
 */
export class FileInventory implements Inventory {
  readonly store = new InventoryStore();
  private timer: Timer | undefined;

  constructor(
    private readonly path: string,
    private readonly clock: Clock,
    private readonly log?: Logger,
  ) {}

  view(): ServiceView {
    return this.store.view();
  }

  objects(): KubeObject[] {
    return this.store.all();
  }

  onChange(listener: InventoryListener): void {
    this.store.onChange(listener);
  }

  async start(): Promise<void> {
    const now = this.clock.now();
    const file = loadInventoryFile(this.path, { atMicros: now });
    const shift = file.format === "timeline" ? now - file.events[0]!.tsMicros : 0;
    const shifted: InventoryFile = {
      ...file,
      events: file.events.map((e) => ({ ...e, tsMicros: e.tsMicros + shift })),
      syncedAtMicros: file.syncedAtMicros + shift,
    };
    this.log?.info(
      { file: this.path, format: file.format, events: file.events.length },
      "inventory file loaded",
    );
    this.timer = new InventoryReplay(shifted, this.store).play(this.clock);
    const ignored = [...this.store.ignored()].map(([kind, n]) => `${kind} ${n}`);
    if (ignored.length)
      this.log?.info({ ignored: ignored.join(", ") }, "inventory objects of other kinds ignored");
  }

  async stop(): Promise<void> {
    this.timer?.cancel();
  }
}

export async function createInventory(
  config: Config,
  clock: Clock,
  log?: Logger,
  metrics?: Metrics,
): Promise<Inventory | undefined> {
  const child = log?.child({ component: "inventory" });
  if (config.inventory.file !== undefined) return new FileInventory(config.inventory.file, clock, child);
  if (config.inventory.kubernetes) {
    // The Kubernetes client takes about a second to load: only when it is used.
    const { KubeInventory } = await import("./kube-inventory.js");
    return new KubeInventory(config.inventory.kubeconfig, clock, child, metrics);
  }
  return undefined;
}
