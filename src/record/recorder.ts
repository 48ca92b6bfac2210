/**
 * The flight recorder of `run --record-dir`: every BGP message received as MRT BGP4MP_ET (with peer
 * and local addresses and ASNs, plus STATE_CHANGE records for session transitions), every BMP
 * message as received in the BMP container (bmp-container.ts), and every change of the Kubernetes
 * view as the inventory's JSON Lines timeline. Files rotate by age and size, are flushed every
 * second (a crash loses at most one), and old ones are pruned by an age and size budget. A rotated
 * BGP or inventory file starts with the state so far (the sessions' tables, the Kubernetes objects).
 */
import { mkdirSync } from "node:fs";
import type { BgpDecodeOptions } from "../../codec/bgp/index.js";
import { encodeBgp4mpMessage, encodeBgp4mpStateChange } from "../../codec/mrt/index.js";
import type { Clock } from "../core/clock.js";
import type { Config } from "../core/config.js";
import type { Logger } from "../core/log.js";
import { formatTimestamp } from "../core/time.js";
import type { InventoryEvent } from "../inventory/types.js";
import { BMP_CONTAINER_MAGIC, encodeBmpRecord } from "./bmp-container.js";
import { prune, RotatingFile } from "./rotating-file.js";
import { encodeRibSnapshot, type SessionTable } from "./rib-snapshot.js";
import { encodeBmpSnapshot } from "./bmp-snapshot.js";
import {
  bmpPeerKey,
  decodePeerHeader,
  MSG_INITIATION,
  MSG_PEER_DOWN,
  MSG_PEER_UP,
  MSG_TERMINATION,
} from "../../codec/bmp/index.js";
import { CodecError } from "../../codec/errors.js";
import type { Path } from "../core/types.js";
import type { BgpMessageRecord } from "../session/bgp/peer.js";
import type { RouterView } from "../session/bmp/router.js";

/** BGP FSM states as MRT numbers them (RFC 6396 4.4.1). */
export const MRT_STATES: Record<string, number> = {
  Idle: 1,
  Connect: 2,
  Active: 3,
  OpenSent: 4,
  OpenConfirm: 5,
  Established: 6,
};

/** RFC 8050 ADDPATH subtypes say every NLRI of the message carries a path id. */
function usesAddPath(o: BgpDecodeOptions): boolean {
  return o.addPathAll === true || (o.addPath !== undefined && o.addPath.size > 0);
}

function timelineLine(tsMicros: number, type: string, object: unknown): Buffer {
  return Buffer.from(`${JSON.stringify({ ts: formatTimestamp(tsMicros), type, object })}\n`, "utf8");
}

function syncedLine(tsMicros: number): Buffer {
  return Buffer.from(`${JSON.stringify({ ts: formatTimestamp(tsMicros), type: "SYNCED" })}\n`, "utf8");
}

export class Recorder {
  private readonly bgp: RotatingFile;
  private readonly bmp: RotatingFile;
  private readonly inventory: RotatingFile;
  private readonly peers = new Map<string, { local: string; peerAs: number; localAs: number }>();
  /** The collector address each router streamed to (for the end-of-connection marker). */
  private readonly collectors = new Map<string, string>();
  /** The time of the record being appended (a snapshot written before it takes it). */
  private appendingAt = Infinity;
  /** Per BMP router: its INITIATION and its up peers' PEER-UPs, as received (for snapshots). */
  private readonly bmpSessions = new Map<string, { initiation: Buffer; peerUps: Map<string, Buffer> }>();
  private timer: NodeJS.Timeout | undefined;
  private flushes = 0;
  private stopped = false;
  private inventorySynced = false;
  private lastInventoryMicros = 0;
  private readonly log: Logger;

  constructor(
    private readonly config: Config["record"] & { dir: string },
    private readonly clock: Clock,
    log: Logger,
    /**
     * The Kubernetes objects known now, written at the start of every inventory file (then a
     * SYNCED line), so each file replays on its own.
     */
    private readonly inventorySnapshot: () => {
      objects: InventoryEvent["object"][];
      synced: boolean;
    } = () => ({ objects: [], synced: false }),
    /**
     * The BGP sessions' tables now, written (TABLE_DUMP_V2) at the start of every rotated BGP file,
     * so each file replays on its own.
     */
    private readonly bgpTables: () => { routerId: string; tables: readonly SessionTable[] } = () => ({
      routerId: "0.0.0.0",
      tables: [],
    }),
    /**
     * The BMP routers' views now, and each view's paths, written (as BMP messages) at the start of
     * every rotated BMP file, so each file replays on its own.
     */
    private readonly bmpViews: {
      views(): Map<string, RouterView[]>;
      paths(view: RouterView): Iterable<Path>;
    } = { views: () => new Map(), paths: () => [] },
  ) {
    this.log = log.child({ component: "record" });
    mkdirSync(config.dir, { recursive: true });
    const rotation = { maxAgeSeconds: config.rotateSeconds, maxBytes: config.rotateBytes };
    this.bgp = new RotatingFile(config.dir, "bgp.mrt", rotation, clock, (rotated) =>
      rotated ? this.bgpHeader() : Buffer.alloc(0),
    );
    this.bmp = new RotatingFile(config.dir, "bmp.bmprec", rotation, clock, (rotated) =>
      rotated ? Buffer.concat([BMP_CONTAINER_MAGIC, this.bmpHeader()]) : BMP_CONTAINER_MAGIC,
    );
    this.inventory = new RotatingFile(config.dir, "inventory.jsonl", rotation, clock, (rotated) =>
      // The first file starts with the events themselves; later ones need the state so far.
      rotated ? this.inventoryHeader() : Buffer.alloc(0),
    );
  }

  /** Starts the once-a-second flush (and pruning). */
  start(): void {
    this.timer = setInterval(() => this.flush(), 1000);
    this.timer.unref();
  }

  bgpMessage(m: BgpMessageRecord): void {
    if (this.stopped) return;
    this.peers.set(m.peer, { local: m.local, peerAs: m.peerAs, localAs: m.localAs });
    this.appendingAt = m.tsMicros;
    // MESSAGE_AS4 tells readers the AS_PATH inside is 4-octet, so a 2-octet session is written as MESSAGE.
    const as4 = m.options.as4;
    this.bgp.append(
      encodeBgp4mpMessage({
        tsMicros: m.tsMicros,
        extendedTimestamp: true,
        peerAs: as4 ? m.peerAs : Math.min(m.peerAs, 23456),
        localAs: as4 ? m.localAs : Math.min(m.localAs, 23456),
        peerIp: m.peer,
        localIp: m.local,
        as4,
        addPath: usesAddPath(m.options),
        bgp: m.bytes,
      }),
    );
  }

  /** A session transition; written once the peer's addresses and ASNs are known from a message. */
  bgpState(
    peer: string,
    from: string,
    to: string,
    tsMicros: number,
    local?: { local: string; peerAs: number; localAs: number },
  ): void {
    if (this.stopped) return;
    const known = local ?? this.peers.get(peer);
    if (!known) return;
    this.bgp.append(
      encodeBgp4mpStateChange({
        tsMicros,
        extendedTimestamp: true,
        peerAs: known.peerAs,
        localAs: known.localAs,
        peerIp: peer,
        localIp: known.local,
        as4: true,
        oldState: MRT_STATES[from] ?? 0,
        newState: MRT_STATES[to] ?? 0,
      }),
    );
  }

  bmpMessage(m: { tsMicros: number; router: string; collector: string; bytes: Buffer }): void {
    if (this.stopped) return;
    this.collectors.set(m.router, m.collector);
    this.appendingAt = m.tsMicros;
    this.bmp.append(encodeBmpRecord(m));
    this.trackBmpSession(m.router, m.bytes);
  }

  /** Keeps what a snapshot re-sends as the router sent it: its INITIATION and each up peer's PEER-UP. */
  private trackBmpSession(router: string, bytes: Buffer): void {
    if (bytes.length < 6) return;
    const type = bytes[5];
    if (type === MSG_INITIATION) {
      this.bmpSessions.set(router, { initiation: Buffer.from(bytes), peerUps: new Map() });
      return;
    }
    if (type === MSG_TERMINATION) this.bmpSessions.delete(router);
    if (type !== MSG_PEER_UP && type !== MSG_PEER_DOWN) return;
    const session = this.bmpSessions.get(router);
    if (!session) return;
    let peer: string;
    try {
      peer = bmpPeerKey(decodePeerHeader(bytes, 6, bytes.length));
    } catch (e) {
      if (e instanceof CodecError) return; // the router handles (and counts) a malformed header
      throw e;
    }
    if (type === MSG_PEER_UP) session.peerUps.set(peer, Buffer.from(bytes));
    else session.peerUps.delete(peer);
  }

  /**
   * A snapshot is the state before the record that opened its file (a rotation happens as a record
   * is appended), so it is stamped no later than that record: replay orders by time.
   */
  private snapshotTime(): number {
    return Math.min(this.clock.now(), this.appendingAt);
  }

  /** What a rotated BMP file starts with after the magic: each connected router's state. */
  private bmpHeader(): Buffer {
    const now = this.snapshotTime();
    const records: Buffer[] = [];
    for (const [router, views] of this.bmpViews.views()) {
      const session = this.bmpSessions.get(router);
      const collector = this.collectors.get(router);
      if (!session || collector === undefined) continue; // its INITIATION was never recorded
      try {
        const messages = encodeBmpSnapshot(
          now,
          { initiation: session.initiation, peerUps: [...session.peerUps.values()], views },
          (v) => this.bmpViews.paths(v),
        );
        for (const bytes of messages)
          records.push(encodeBmpRecord({ tsMicros: now, router, collector, bytes }));
      } catch (e) {
        // That router's file then starts mid-stream (replay says so); the others' state is written.
        this.log.error({ err: e, router }, "writing a BMP router's state at the start of a recording failed");
      }
    }
    return Buffer.concat(records);
  }

  /** A router's BMP connection ended (the collector withdrew what it reported). */
  bmpRouterDown(router: string, tsMicros: number): void {
    if (this.stopped) return;
    this.bmpSessions.delete(router);
    const collector = this.collectors.get(router);
    if (collector === undefined) return; // nothing of it was recorded
    this.bmp.append(encodeBmpRecord({ tsMicros, router, collector, bytes: Buffer.alloc(0) }));
  }

  /**
   * Changes of the Kubernetes view, as the inventory's JSON Lines timeline. `synced`: the view is
   * complete now; the first time, a SYNCED line says so (objects of a live list arrive one by one).
   */
  inventoryEvents(events: readonly InventoryEvent[], synced: boolean): void {
    if (this.stopped) return;
    for (const e of events)
      this.inventory.append(() => timelineLine(this.inventoryTime(e.tsMicros), e.type, e.object));
    if (synced && !this.inventorySynced) {
      this.inventorySynced = true;
      this.inventory.append(() => syncedLine(this.inventoryTime(this.clock.now())));
    }
  }

  /**
   * A timeline's lines must be in time order; a file's opening snapshot is stamped when it opens,
   * which can be a moment after the event that opened it was stamped: such a line takes the later time.
   */
  private inventoryTime(tsMicros: number): number {
    this.lastInventoryMicros = Math.max(this.lastInventoryMicros, tsMicros);
    return this.lastInventoryMicros;
  }

  /** What a rotated BGP file starts with: the sessions' tables (none when that fails). */
  private bgpHeader(): Buffer {
    try {
      const { routerId, tables } = this.bgpTables();
      return encodeRibSnapshot(this.snapshotTime(), routerId, tables);
    } catch (e) {
      this.log.error({ err: e }, "writing the BGP tables at the start of a recording failed");
      return Buffer.alloc(0);
    }
  }

  /** What a rotated inventory file starts with: the objects known now, then SYNCED if complete. */
  private inventoryHeader(): Buffer {
    const now = this.inventoryTime(this.clock.now());
    const snap = this.inventorySnapshot();
    const lines = snap.objects.map((o) => timelineLine(now, "ADDED", o));
    if (snap.synced) {
      lines.push(syncedLine(now));
      this.inventorySynced = true;
    }
    return Buffer.concat(lines);
  }

  flush(): void {
    for (const f of [this.bgp, this.bmp, this.inventory]) {
      try {
        f.flush();
      } catch (e) {
        this.log.error({ err: e, file: f.current }, "recording write failed");
      }
    }
    // Pruning lists the directory: once a minute is plenty.
    if (this.flushes++ % 60 !== 0) return;
    const keep = new Set(
      [this.bgp.current, this.bmp.current, this.inventory.current].filter(
        (p): p is string => p !== undefined,
      ),
    );
    try {
      const deleted = prune(
        this.config.dir,
        { maxAgeSeconds: this.config.keepSeconds, maxTotalBytes: this.config.keepBytes },
        this.clock.now(),
        keep,
      );
      if (deleted.length) this.log.info({ deleted }, "old recordings pruned");
    } catch (e) {
      this.log.error({ err: e }, "pruning recordings failed");
    }
  }

  /** Ends the recording: what is reported after this (routewatch's own shutdown) is not written. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const f of [this.bgp, this.bmp, this.inventory]) f.close();
  }
}
