/**
 * The BMP state at the start of a rotated recording (src/record/bmp-snapshot.ts), on real routers'
 * streams: the BMP of the fixture captures (FRR with IPv4 and IPv6 pre/post-policy, GoBGP with
 * Loc-RIB) goes through the live collector's router class into a Rib while the Recorder writes it,
 * rotating half way. The second file replayed alone ends with the routes the whole recording ends with.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BmpSessionTracker } from "../../../codec/bmp/index.js";
import { VirtualClock } from "../../../src/core/clock.js";
import { buildConfig } from "../../../src/core/config.js";
import { memoryWriter } from "../../../src/core/line-writer.js";
import { createLogger } from "../../../src/core/log.js";
import { Metrics } from "../../../src/core/metrics.js";
import type { BmpItem } from "../../../src/input/items.js";
import { openInput } from "../../../src/input/open.js";
import { readItems } from "../../../src/input/read-items.js";
import { snapshotMessages } from "../../../src/record/bmp-snapshot.js";
import { Recorder } from "../../../src/record/recorder.js";
import { replay } from "../../../src/record/replay.js";
import { jsonReplayOutput } from "../../../src/record/replay-output.js";
import { Rib } from "../../../src/rib/rib.js";
import { BmpRouter } from "../../../src/session/bmp/router.js";
import { labInventory } from "../../helpers/kube-objects.js";
import { REPO } from "../../helpers/routewatch.js";

const dir = mkdtempSync(join(tmpdir(), "routewatch-bmp-snapshot-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const BMP_PORTS = [11019, 1790, 5000];
const config = buildConfig({ routerId: "127.0.0.10", alerts: { grace: 3 } });

async function bmpItems(capture: string): Promise<BmpItem[]> {
  const input = await openInput(join(REPO, "fixtures", "captures", capture));
  const out: BmpItem[] = [];
  try {
    await readItems(input, { bmpPorts: BMP_PORTS, bgpPorts: [179, 1179] }, (i) => {
      if (i.kind === "bmp") out.push({ ...i, bytes: Buffer.from(i.bytes) });
    });
  } finally {
    input.close();
  }
  return out;
}

/** The BMP messages of a recording file. */
async function fileItems(path: string): Promise<BmpItem[]> {
  const input = await openInput(path);
  const got: BmpItem[] = [];
  try {
    await readItems(input, { bmpPorts: [] }, (i) => {
      if (i.kind === "bmp") got.push({ ...i, bytes: Buffer.from(i.bytes) });
    });
  } finally {
    input.close();
  }
  return got;
}

/** Records `items` as the live daemon does, rotating once at `rotateAt` (an index into items). */
function record(items: BmpItem[], rotateAt: number): string[] {
  const rec = mkdtempSync(join(dir, "rec-"));
  const first = items[0]!.tsMicros;
  const clock = new VirtualClock(first);
  const rib = new Rib();
  const log = createLogger("silent");
  const deps = { rib, tracker: new BmpSessionTracker(), clock, log, metrics: new Metrics(), quietMs: 2000 };
  const routers = new Map<string, BmpRouter>();
  const rotateSeconds = Math.max(1, Math.ceil((items[rotateAt]!.tsMicros - first) / 1e6));
  const recorder = new Recorder(
    { ...config.record, dir: rec, rotateSeconds },
    clock,
    log,
    undefined,
    undefined,
    {
      views: () => new Map([...routers].map(([a, r]) => [a, r.views()])),
      paths: (v) => rib.paths(v.ref.id),
    },
  );
  for (const item of items) {
    clock.advanceTo(Math.max(clock.now(), item.tsMicros));
    recorder.bmpMessage({
      tsMicros: item.tsMicros,
      router: item.src,
      collector: item.dst,
      bytes: item.bytes,
    });
    let router = routers.get(item.src);
    if (!router)
      routers.set(item.src, (router = new BmpRouter(item.src, 0, { address: item.dst, port: 0 }, deps)));
    if (router.handle(item.bytes) === "terminated") {
      router.clear();
      routers.delete(item.src);
    }
  }
  recorder.stop();
  return readdirSync(rec)
    .filter((f) => f.endsWith(".bmp.bmprec"))
    .sort()
    .map((f) => join(rec, f));
}

/** The routes known at `toMicros` (or at the end) when `inputs` are replayed, and the warnings. */
async function summary(inputs: string[], toMicros?: number): Promise<{ routes: number; warnings: string[] }> {
  const inventory = join(dir, "inventory.json");
  writeFileSync(inventory, labInventory(0));
  const out = jsonReplayOutput(memoryWriter().writer);
  const result = await replay(
    {
      inputs,
      inventory,
      config,
      speed: "max",
      ports: { bmpPorts: BMP_PORTS },
      log: createLogger("silent"),
      ...(toMicros !== undefined ? { toMicros } : {}),
    },
    out,
  );
  return { routes: result.routes, warnings: result.warnings };
}

describe("a rotated BMP recording", () => {
  it.each([
    ["calico-bmp.pcapng", "FRR, three IPv4 peers pre- and post-policy"],
    ["frr-bmp-ipv6-peer.pcapng", "FRR over IPv6, IPv4 and IPv6 routes pre- and post-policy"],
    ["gobgp-bmp-locrib.pcap", "GoBGP with Loc-RIB"],
  ])("%s (%s): the second file alone ends with the whole recording's routes", async (capture) => {
    const items = await bmpItems(capture);
    // Rotate where the most routes are known: after the last ROUTE-MONITORING of the first half.
    let rotateAt = Math.floor(items.length / 2);
    while (rotateAt < items.length - 1 && items[rotateAt]!.bytes[5] === 0) rotateAt++;
    const files = record(items, rotateAt);
    expect(files.length).toBeGreaterThanOrEqual(2);
    // Just after the rotation (the captures end with the routers leaving, which empties everything).
    const at = (await fileItems(files[1]!))[0]!.tsMicros + 1;
    const whole = await summary(files, at);
    const second = await summary(files.slice(1), at);
    expect(whole.routes).toBeGreaterThan(0);
    expect(second.routes).toBe(whole.routes);
    expect(second.warnings.filter((w) => w.includes("began before the input"))).toEqual([]);
  });

  it("marks the snapshot's INITIATION with the number of messages that follow", async () => {
    const items = await bmpItems("calico-bmp.pcapng");
    const files = record(items, Math.floor(items.length / 2));
    const got = await fileItems(files[1]!);
    const n = snapshotMessages(got[0]!.bytes);
    expect(n).toBeGreaterThan(3);
    // PEER-UPs (type 3), then ROUTE-MONITORING (type 0), all at the snapshot's time.
    const snapshot = got.slice(1, 1 + n!);
    expect(new Set(snapshot.map((i) => i.bytes[5]))).toEqual(new Set([3, 0]));
    expect(new Set(snapshot.map((i) => i.tsMicros)).size).toBe(1);
    // A router's own INITIATION carries no mark.
    expect(snapshotMessages((await bmpItems("calico-bmp.pcapng"))[0]!.bytes)).toBeUndefined();
  });
});
