/** A BMP collector on an ephemeral loopback port, with its own Rib, metrics and clock. */
import { realClock, type Clock } from "../../../../src/core/clock.js";
import { buildConfig } from "../../../../src/core/config.js";
import { createLogger } from "../../../../src/core/log.js";
import { Metrics } from "../../../../src/core/metrics.js";
import { Rib } from "../../../../src/rib/rib.js";
import { BmpCollector } from "../../../../src/session/bmp/index.js";
import type { BmpMessageRecord } from "../../../../src/session/bmp/index.js";

export interface TestCollector {
  collector: BmpCollector;
  rib: Rib;
  metrics: Metrics;
  port: number;
  host: string;
  records: BmpMessageRecord[];
  routerEvents: [string, "up" | "down"][];
  /** The Rib's non-empty views of `router`, as [id, [prefix, next hop][]] sorted. */
  snapshot(router: string): [string, [string, string][]][];
  /** A counter's value from the metrics registry. */
  counter(name: string, labels: Record<string, string>): Promise<number>;
}

export async function startCollector(
  opts: { host?: string; clock?: Clock; quiet?: number; allowRouters?: string[] } = {},
): Promise<TestCollector> {
  const host = opts.host ?? "127.0.0.1";
  const config = buildConfig({
    routerId: "127.0.0.1",
    bmp: { allowRouters: opts.allowRouters ?? [], initialDumpQuiet: opts.quiet ?? 5 },
  });
  // Port 0 is not a valid configured port, but it is what a test needs: an ephemeral one.
  config.bmp.listen = [{ host, port: 0 }];
  const rib = new Rib();
  const metrics = new Metrics();
  const records: BmpMessageRecord[] = [];
  const routerEvents: [string, "up" | "down"][] = [];
  const collector = new BmpCollector({
    config,
    rib,
    clock: opts.clock ?? realClock,
    log: createLogger("silent"),
    metrics,
    onMessage: (m) => records.push({ ...m, bytes: Buffer.from(m.bytes) }),
    onRouter: (router, event) => routerEvents.push([router, event]),
  });
  await collector.start();
  const port = collector.listening()[0]!.port;
  return {
    collector,
    rib,
    metrics,
    port,
    host,
    records,
    routerEvents,
    snapshot(router) {
      return rib
        .peers()
        .filter((p) => p.router === router)
        .map((p): [string, [string, string][]] => [
          p.id,
          [...rib.paths(p.id)].map((path): [string, string] => [path.prefix, path.attrs.nextHop]).sort(),
        ])
        .filter(([, paths]) => paths.length > 0)
        .sort((a, b) => a[0].localeCompare(b[0]));
    },
    async counter(name, labels) {
      const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
      const v = metric?.values.find((x) =>
        Object.entries(labels).every(([k, val]) => String(x.labels[k]) === val),
      );
      return v?.value ?? 0;
    },
  };
}
