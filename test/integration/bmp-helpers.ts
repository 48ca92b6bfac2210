/** Shared pieces of the BMP integration tests: a collector on a lab address, views read from the Rib. */
import { createServer } from "node:net";
import { decodeMessage, type UpdateMessage } from "../../codec/bgp/index.js";
import { decodeBmp } from "../../codec/bmp/index.js";
import { realClock } from "../../src/core/clock.js";
import { buildConfig } from "../../src/core/config.js";
import { createLogger } from "../../src/core/log.js";
import { Metrics } from "../../src/core/metrics.js";
import type { RouteEvent, RouteSource } from "../../src/core/types.js";
import { Rib } from "../../src/rib/rib.js";
import { BmpCollector, type BmpMessageRecord } from "../../src/session/bmp/index.js";

/** A port free on `host` right now (the lab daemons need it before the collector listens). */
export async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

export interface LabCollector {
  collector: BmpCollector;
  rib: Rib;
  metrics: Metrics;
  /** Every BMP message received, with its arrival time (performance.now()). */
  records: (BmpMessageRecord & { at: number })[];
  /** Every Rib change, with its time (performance.now()). */
  events: { at: number; e: RouteEvent }[];
}

export async function startLabCollector(
  host: string,
  port: number,
  quietSeconds: number,
): Promise<LabCollector> {
  const config = buildConfig({
    routerId: host,
    bmp: { listen: [`${host}:${port}`], initialDumpQuiet: quietSeconds },
  });
  const rib = new Rib();
  const metrics = new Metrics();
  const records: LabCollector["records"] = [];
  const events: LabCollector["events"] = [];
  rib.onRoute((e) => events.push({ at: performance.now(), e }));
  const level = process.env.ROUTEWATCH_TEST_LOG === "1" ? "debug" : "silent";
  const collector = new BmpCollector({
    config,
    rib,
    clock: realClock,
    log: createLogger(level),
    metrics,
    onMessage: (m) => records.push({ ...m, bytes: Buffer.from(m.bytes), at: performance.now() }),
  });
  await collector.start();
  return { collector, rib, metrics, records, events };
}

/** prefix -> sorted next hops, over every view of `source` the router streams (or only `peer`'s). */
export function ribTable(
  rib: Rib,
  router: string,
  source: RouteSource,
  peer?: string,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of rib.peers()) {
    if (p.router !== router || p.source !== source || (peer !== undefined && p.address !== peer)) continue;
    for (const path of rib.paths(p.id)) {
      const hops = out.get(path.prefix) ?? [];
      hops.push(path.attrs.nextHop);
      out.set(path.prefix, hops);
    }
  }
  for (const hops of out.values()) hops.sort();
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

export function sorted(m: Map<string, string[]>): Map<string, string[]> {
  return new Map(
    [...m].map(([k, v]): [string, string[]] => [k, [...v].sort()]).sort(([a], [b]) => a.localeCompare(b)),
  );
}

interface FrrPath {
  bestpath?: boolean;
  multipath?: boolean;
  stale?: boolean;
  peerId?: string;
  nexthops?: { ip: string }[];
}

/**
 * An FRR router's IPv4 unicast table (`show bgp ipv4 unicast json`): prefix -> next hops of its
 * best and multipath paths, leaving out stale ones. A graceful-restart helper keeps a lost peer's
 * paths as stale for the restart time, but BMP reported the peer down (RFC 7854 4.9): the
 * monitored Adj-RIB-In of that peer is gone.
 */
export async function frrTable(vtysh: (command: string) => Promise<string>): Promise<Map<string, string[]>> {
  const json = JSON.parse(await vtysh("show bgp ipv4 unicast json")) as {
    routes?: Record<string, FrrPath[]>;
  };
  const out = new Map<string, string[]>();
  for (const [prefix, paths] of Object.entries(json.routes ?? {})) {
    const used = paths.filter((p) => (p.bestpath || p.multipath) && !p.stale);
    if (used.length > 0)
      out.set(
        prefix,
        used.flatMap((p) => (p.nexthops ?? []).map((h) => h.ip)),
      );
  }
  return sorted(out);
}

/** End-of-RIB markers among the recorded messages: "type/flags/peer afi" strings. */
export function endOfRibs(records: readonly BmpMessageRecord[]): string[] {
  const out: string[] = [];
  for (const r of records) {
    const m = decodeBmp(r.bytes);
    if (m.type !== "ROUTE-MONITORING") continue;
    const u = decodeMessage(m.bgp, 0, { as4: true }) as UpdateMessage;
    const eor = u.endOfRib();
    if (eor)
      out.push(
        `${m.peer.peerTypeName}/${m.peer.postPolicy ? "post" : "pre"}/${m.peer.address} afi ${eor.afi}`,
      );
  }
  return out;
}

/** The first Rib event after `since` matching `test`, or undefined. */
export function firstEvent(
  c: LabCollector,
  since: number,
  test: (e: RouteEvent) => boolean,
): { at: number; e: RouteEvent } | undefined {
  return c.events.find((x) => x.at >= since && test(x.e));
}
