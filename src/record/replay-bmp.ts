/**
 * BMP streams seen from outside (a capture or a recording), replayed into the RIB through the live
 * collector's router class, one per router address. What replay adds to the live collector:
 * - a stream whose first message in the input is no INITIATION began before the input: what its
 *   peers announced earlier is unknown, so a table-less, never-synced stand-in peer holds back "no
 *   route covers it" verdicts until the router connects anew;
 * - a connection routewatch (the collector) closed keeps the router's routes as last seen: the
 *   observation ended, not the router's session;
 * - a rotated recording's snapshot of a router the replay already follows is skipped
 *   (bmp-snapshot.ts).
 */
import { BmpSessionTracker, MSG_INITIATION } from "../../codec/bmp/index.js";
import type { ClosedItem, BmpItem } from "../input/items.js";
import type { Rib } from "../rib/rib.js";
import { BmpRouter, type RouterDeps } from "../session/bmp/router.js";
import { snapshotMessages } from "./bmp-snapshot.js";

export class ReplayBmp {
  private readonly routers = new Map<string, BmpRouter>();
  private readonly deps: RouterDeps;
  /** Routers streaming since before the input (see the module comment). */
  private readonly unknownTables = new Set<string>();
  /** Routers whose connection the collector closed: their routes stay until they connect again. */
  private readonly collectorLeft = new Set<string>();
  /** Per router: messages of a snapshot still to skip. */
  private readonly skipping = new Map<string, number>();

  constructor(
    deps: Omit<RouterDeps, "tracker">,
    private readonly warn: (message: string) => void,
  ) {
    this.deps = { ...deps, tracker: new BmpSessionTracker() };
  }

  private get rib(): Rib {
    return this.deps.rib;
  }

  /** The router at `router` had been streaming before the input began. */
  preexisting(router: string): void {
    this.unknownTables.add(router);
    this.rib.addPeer({ id: standIn(router), source: "bmp-locrib", address: router, asn: 0, bgpId: router });
    this.warn(
      `BMP from ${router} began before the input (no INITIATION first), so what its peers announced earlier ` +
        `is unknown: no missing-route verdict rests on the tables it reports until it connects anew`,
    );
  }

  message(item: BmpItem): void {
    const skip = this.skipping.get(item.src) ?? 0;
    if (skip > 0) {
      this.skipping.set(item.src, skip - 1);
      return;
    }
    const known = this.routers.has(item.src) && !this.collectorLeft.has(item.src);
    if (known && item.bytes[5] === MSG_INITIATION) {
      const n = snapshotMessages(item.bytes);
      if (n !== undefined) {
        this.skipping.set(item.src, n); // a snapshot of what this replay already follows
        return;
      }
    }
    if (this.collectorLeft.delete(item.src)) this.gone(item.src); // a new connection starts afresh
    let router = this.routers.get(item.src);
    if (!router) {
      router = new BmpRouter(item.src, 0, { address: item.dst, port: 0 }, this.deps);
      router.midStream = this.unknownTables.has(item.src);
      this.routers.set(item.src, router);
    }
    if (router.handle(item.bytes) === "terminated") this.gone(item.src);
  }

  /** A BMP connection ended. Either end may be the router (a capture does not say which). */
  closed(item: ClosedItem): void {
    for (const address of [item.a, item.b]) {
      if (!this.routers.has(address)) continue;
      if (item.by !== undefined && item.by !== address) this.collectorLeft.add(address);
      else this.gone(address);
    }
  }

  stop(): void {
    for (const r of this.routers.values()) r.clear();
  }

  /** The router's connection is over: what it reported is withdrawn. */
  private gone(address: string): void {
    this.routers.get(address)?.clear();
    this.routers.delete(address);
    // Its next connection starts with an INITIATION: its tables will be whole again.
    if (this.unknownTables.delete(address)) this.rib.removePeer(standIn(address), this.deps.clock.now());
  }
}

function standIn(router: string): string {
  return `bmp-before-input|${router}`;
}
