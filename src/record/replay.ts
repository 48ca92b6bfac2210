/**
 * Replay: captures, MRT files and routewatch recordings through the same pipeline as `run` (codec,
 * RIB, correlation, alert lifecycle) on a virtual clock that jumps to each input's timestamp. Time
 * is the only thing that moves it, so the same input gives the same verdicts, byte for byte.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  attr,
  decodeMessage,
  encodeUpdate,
  MSG_NOTIFICATION,
  MSG_OPEN,
  type MpReachAttr,
  type PathAttribute,
  type UpdateMessage,
} from "../../codec/bgp/index.js";
import { MSG_INITIATION } from "../../codec/bmp/index.js";
import { CodecError } from "../../codec/errors.js";
import { VirtualClock } from "../core/clock.js";
import type { Config } from "../core/config.js";
import { OperatorError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { Metrics } from "../core/metrics.js";
import type { PeerRef } from "../core/types.js";
import { AlertLifecycle, type Alert, type AlertSink } from "../alerts/lifecycle.js";
import type { Condition } from "../correlate/condition.js";
import type { Convergence } from "../correlate/convergence.js";
import { Correlator, correlatorSettings, type ServiceStatus } from "../correlate/engine.js";
import type { InputItem, ProblemItem, RibItem } from "../input/items.js";
import { openInput } from "../input/open.js";
import { readItems, type ReadOptions } from "../input/read-items.js";
import { InventoryReplay } from "../inventory/file-replay.js";
import { loadInventoryFile, type InventoryFile } from "../inventory/file-source.js";
import { InventoryStore } from "../inventory/store.js";
import { Rib } from "../rib/rib.js";
import { SNAPSHOT_VIEW } from "./rib-snapshot.js";
import { buildOurOpen } from "../session/bgp/open-policy.js";
import { ReplayBgp } from "./replay-bgp.js";
import { ReplayBmp } from "./replay-bmp.js";

export interface ReplayOptions {
  /** Files (pcap, pcapng, MRT, BMP recordings) and recording directories. */
  inputs: string[];
  /** Inventory file; default: the inventory timelines of the recording directories. */
  inventory?: string;
  /** Settings: alert grace, flap damping, sync quiet times, our ASN and router id. */
  config: Config;
  /** "max", or a factor of real time (1 = as recorded). */
  speed: number | "max";
  fromMicros?: number;
  toMicros?: number;
  ports: ReadOptions;
  log: Logger;
}

/** What a replay tells as it goes (output formats implement it). */
export interface ReplayListener {
  alert(tsMicros: number, event: "firing" | "resolved", alert: Alert): void;
  convergence(c: Convergence): void;
}

export interface ReplayResult {
  /** Alerts still firing when the input ended. */
  firing: Alert[];
  /** Conditions holding at the end that had not yet lasted the grace period. */
  pending: { condition: Condition; sinceMicros: number }[];
  /** Paths in the RIB at the end. */
  routes: number;
  warnings: string[];
  services: ServiceStatus[];
  startMicros: number;
  endMicros: number;
}

const RECORDING_SUFFIXES = [".bgp.mrt", ".bmp.bmprec"];

/** Input files of a recording directory (BGP and BMP), or the file itself. */
function expand(input: string): { files: string[]; inventories: string[] } {
  let isDir: boolean;
  try {
    isDir = statSync(input).isDirectory();
  } catch (e) {
    throw new OperatorError(`${input}: cannot read: ${(e as Error).message}`);
  }
  if (!isDir) return { files: [input], inventories: [] };
  const names = readdirSync(input).sort();
  return {
    files: names.filter((n) => RECORDING_SUFFIXES.some((s) => n.endsWith(s))).map((n) => join(input, n)),
    inventories: names.filter((n) => n.endsWith(".inventory.jsonl")).map((n) => join(input, n)),
  };
}

/** Items keep views into reused read buffers: copy what is kept past the callback. */
function keep(item: Exclude<InputItem, ProblemItem>): Exclude<InputItem, ProblemItem> {
  switch (item.kind) {
    case "bgp":
      return {
        ...item,
        bytes: Buffer.from(
          item.bytes.subarray(item.offset, item.offset + item.bytes.readUInt16BE(item.offset + 16)),
        ),
        offset: 0,
      };
    case "bmp":
      return { ...item, bytes: Buffer.from(item.bytes) };
    case "rib": {
      const decoded = item.attributes();
      return { ...item, attributes: () => decoded };
    }
    default:
      return item;
  }
}

/** Several inventory timelines (rotated files) as one. */
function mergeInventories(files: InventoryFile[]): InventoryFile {
  const events = files.flatMap((f) => f.events).sort((a, b) => a.tsMicros - b.tsMicros);
  return {
    path: files.map((f) => f.path).join(", "),
    format: "timeline",
    events,
    syncedAtMicros: Math.min(...files.map((f) => f.syncedAtMicros)),
  };
}

/** A table dump entry as the UPDATE that would have announced it. */
function ribEntryUpdate(item: RibItem): UpdateMessage {
  const decoded = item.attributes();
  const entry = { prefix: item.prefix, ...(item.pathId !== undefined ? { pathId: item.pathId } : {}) };
  const options = item.pathId !== undefined ? { ...item.options, addPathAll: true } : item.options;
  const reach = decoded.attributes.find((a): a is MpReachAttr => a.name === "MP_REACH_NLRI");
  const rest: PathAttribute[] = decoded.attributes.filter((a) => a.name !== "MP_REACH_NLRI");
  const bytes =
    item.afi === 1 && !reach?.nextHops.some((h) => h.includes(":"))
      ? encodeUpdate({ attributes: rest, nlri: [entry] }, options)
      : encodeUpdate(
          { attributes: [...rest, attr.mpReach(item.afi, item.safi, reach?.nextHops ?? [], [entry])] },
          { ...options, extendedMessage: true },
        );
  return decodeMessage(bytes, 0, { ...options, extendedMessage: true }) as UpdateMessage;
}

/**
 * What was going on when the input began: BGP sessions and BMP connections whose first message in it
 * is no OPEN / INITIATION existed already, with tables the input never shows.
 */
function beganBeforeInput(items: readonly InputItem[], bgp: ReplayBgp, bmp: ReplayBmp): void {
  const firstSeen = new Set<string>();
  for (const item of items) {
    if (item.kind === "rib" && item.view === SNAPSHOT_VIEW) {
      firstSeen.add(`snapshot ${item.peer}`); // a recording's snapshot tells that table
    } else if (item.kind === "bgp") {
      const key = `${item.src}>${item.dst}`;
      if (firstSeen.has(key)) continue;
      firstSeen.add(key);
      // KEEPALIVE, UPDATE or ROUTE-REFRESH first: Established before the input. (An OPEN starts a
      // session in it; a NOTIFICATION first ends an attempt that never got that far.)
      const type = item.bytes[item.offset + 18];
      const established = type !== MSG_OPEN && type !== MSG_NOTIFICATION;
      if (established && !firstSeen.has(`snapshot ${item.src}`))
        bgp.preexisting(item.src, item.dst, item.srcAs);
    } else if (item.kind === "bmp" && !firstSeen.has(`bmp ${item.src}`)) {
      firstSeen.add(`bmp ${item.src}`);
      if (item.bytes[5] !== MSG_INITIATION) bmp.preexisting(item.src);
    }
  }
}

export async function replay(opts: ReplayOptions, listener: ReplayListener): Promise<ReplayResult> {
  const { config, log } = opts;
  const warnings: string[] = [];
  const warn = (m: string): void => {
    if (warnings.length < 1000) warnings.push(m);
  };

  // Inputs, read whole and merged by time (stable: input order breaks ties).
  const items: Exclude<InputItem, ProblemItem>[] = [];
  const inventoryFiles: string[] = opts.inventory ? [opts.inventory] : [];
  for (const input of opts.inputs) {
    const { files, inventories } = expand(input);
    if (!opts.inventory) inventoryFiles.push(...inventories);
    if (files.length === 0) warn(`${input}: no recordings (*.bgp.mrt, *.bmp.bmprec) in this directory`);
    for (const file of files) {
      const opened = await openInput(file);
      try {
        await readItems(opened, opts.ports, (item) => {
          if (item.kind === "problem") warn(`${file}: ${item.message}`);
          else items.push(keep(item));
        });
      } finally {
        opened.close();
      }
    }
  }
  const order = items.map((item, i) => ({ item, i }));
  order.sort((a, b) => a.item.tsMicros - b.item.tsMicros || a.i - b.i);

  const store = new InventoryStore();
  let inventory: InventoryReplay | undefined;
  let inventoryStart = Infinity;
  if (inventoryFiles.length) {
    const loaded = inventoryFiles.map((f) => {
      try {
        return loadInventoryFile(f);
      } catch (e) {
        throw new OperatorError((e as Error).message);
      }
    });
    const merged = loaded.length === 1 ? loaded[0]! : mergeInventories(loaded);
    inventoryStart = merged.events[0]?.tsMicros ?? merged.syncedAtMicros;
    // A snapshot (kubectl get -o json) has no time of its own: it holds from the start of the input.
    if (merged.format === "snapshot") {
      const at = order[0]?.item.tsMicros ?? 0;
      merged.events = merged.events.map((e) => ({ ...e, tsMicros: at }));
      merged.syncedAtMicros = at;
      inventoryStart = at;
    }
    inventory = new InventoryReplay(merged, store);
  } else
    warn(
      "no inventory (--inventory FILE, or a recording with its inventory timeline): only flap verdicts are possible",
    );

  const earliest = Math.min(order[0]?.item.tsMicros ?? Infinity, inventoryStart);
  const startMicros = Number.isFinite(earliest) ? earliest : 0;
  const clock = new VirtualClock(startMicros);
  const rib = new Rib();
  const metrics = new Metrics();
  const from = opts.fromMicros ?? -Infinity;
  const sink: AlertSink = {
    firing: (a) => {
      if (clock.now() >= from) listener.alert(clock.now(), "firing", a);
    },
    resolved: (a) => {
      if (clock.now() >= from) listener.alert(clock.now(), "resolved", a);
    },
  };
  const lifecycle = new AlertLifecycle(clock, config.alerts.grace * 1e6, [sink]);
  const correlator = new Correlator(
    rib,
    { view: () => store.view(), onChange: (l) => void store.onChange(l) },
    lifecycle,
    clock,
    log.child({ component: "correlate" }),
    correlatorSettings(config.alerts),
  );
  correlator.onConvergence((c) => {
    if (c.tsMicros >= from) listener.convergence(c);
  });

  const routeEnv = {
    rib,
    clock,
    log: log.child({ component: "bgp" }),
    metrics,
    syncQuiet: config.bgp.syncQuiet,
    stalePathTime: config.bgp.stalePathTime,
  };
  const bgp = new ReplayBgp(
    routeEnv,
    buildOurOpen(config).message,
    (key, address) => correlator.peerDown(key, address, "bgp"),
    warn,
  );
  const bmp = new ReplayBmp(
    {
      rib,
      clock,
      log: log.child({ component: "bmp" }),
      metrics,
      quietMs: config.bmp.initialDumpQuiet * 1000,
      onPeerDown: (router, peer) =>
        correlator.peerDown(
          `bmp|${router}|${peer.distinguisher}|${peer.address}`,
          peer.address,
          `BMP from ${router}`,
        ),
    },
    warn,
  );
  const ribPeers = new Map<string, PeerRef>();

  const apply = (item: InputItem): void => {
    switch (item.kind) {
      case "bgp":
        return bgp.message(item);
      case "state":
        return bgp.state(item);
      case "closed":
        return item.transport === "bgp" ? bgp.closed(item) : bmp.closed(item);
      case "bmp":
        return bmp.message(item);
      case "rib": {
        if (item.view === SNAPSHOT_VIEW) {
          // A rotated recording's start: the state of sessions the replay may not have seen begin.
          try {
            bgp.snapshot(item, ribEntryUpdate(item));
          } catch (e) {
            if (!(e instanceof CodecError)) throw e;
            warn(`snapshot entry ${item.prefix} of ${item.peer}: ${e.message}`);
          }
          return;
        }
        // A table dump is a complete snapshot of each peer's table.
        const id = `mrt|${item.peer}`;
        let peer = ribPeers.get(id);
        if (!peer) {
          peer = {
            id,
            source: "bgp",
            address: item.peer,
            asn: item.peerAs,
            bgpId: item.peerBgpId ?? item.peer,
          };
          ribPeers.set(id, peer);
          rib.addPeer(peer);
          rib.setSynced(id);
        }
        try {
          rib.apply(peer, ribEntryUpdate(item), item.tsMicros);
        } catch (e) {
          if (!(e instanceof CodecError)) throw e;
          warn(`table dump entry ${item.prefix} of ${item.peer}: ${e.message}`);
        }
        return;
      }
      case "problem":
        return;
    }
  };

  beganBeforeInput(
    order.map((o) => o.item),
    bgp,
    bmp,
  );

  let endMicros = startMicros;
  let wallPrev: number | undefined;
  let i = 0;
  const to = opts.toMicros ?? Infinity;
  for (;;) {
    const tItem = order[i]?.item.tsMicros ?? Infinity;
    const tInventory = inventory?.nextDue() ?? Infinity;
    const t = Math.min(tItem, tInventory);
    if (t === Infinity || t > to) break;
    if (opts.speed !== "max" && wallPrev !== undefined && t > wallPrev) {
      await sleep(Math.min(60_000, (t - wallPrev) / 1000 / opts.speed));
    }
    wallPrev = t;
    clock.advanceTo(t);
    endMicros = t;
    if (tInventory <= tItem) inventory!.advanceTo(t);
    else apply(order[i++]!.item);
  }
  // The end of the input is held for the grace period (and the correlator's settle time), so a
  // condition present at the end is judged as if that state had lasted.
  clock.advanceTo(Math.min(to, endMicros + config.alerts.grace * 1e6 + 1e6));
  const services = correlator.services();
  const firing = lifecycle.firing().sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  let routes = 0;
  for (const p of rib.peers()) {
    const c = rib.counts(p.id);
    routes += c.ipv4 + c.ipv6;
  }
  correlator.stop();
  bgp.stop();
  bmp.stop();
  const pending = lifecycle.pending().map((p) => ({ condition: p.condition, sinceMicros: p.sinceMicros }));
  return { firing, pending, routes, warnings, services, startMicros, endMicros };
}
