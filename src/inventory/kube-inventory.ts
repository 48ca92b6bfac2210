/** The live inventory: the Kubernetes API watched (see kube-source.ts). */
import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import type { Metrics } from "../core/metrics.js";
import { loadKubeConfig } from "./kube-config.js";
import { KubeSource } from "./kube-source.js";
import type { Inventory } from "./provider.js";
import { InventoryStore, type InventoryListener } from "./store.js";
import type { KubeObject, ServiceView } from "./types.js";

export class KubeInventory implements Inventory {
  readonly store = new InventoryStore();
  private source: KubeSource | undefined;

  constructor(
    private readonly kubeconfig: string | undefined,
    private readonly clock: Clock,
    private readonly log?: Logger,
    private readonly metrics?: Metrics,
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
    const kubeConfig = loadKubeConfig(this.kubeconfig ? { file: this.kubeconfig } : {});
    this.source = new KubeSource({
      kubeConfig,
      store: this.store,
      clock: this.clock,
      ...(this.log ? { log: this.log } : {}),
      ...(this.metrics ? { metrics: this.metrics } : {}),
    });
    this.source.start();
  }

  async stop(): Promise<void> {
    this.source?.stop();
  }
}
