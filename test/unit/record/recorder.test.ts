import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { attr, encodeKeepalive, encodeUpdate } from "../../../codec/bgp/index.js";
import { VirtualClock } from "../../../src/core/clock.js";
import { buildConfig } from "../../../src/core/config.js";
import { createLogger } from "../../../src/core/log.js";
import { openInput } from "../../../src/input/open.js";
import { readItems } from "../../../src/input/read-items.js";
import type { InputItem } from "../../../src/input/items.js";
import { loadInventoryFile } from "../../../src/inventory/file-source.js";
import { InventoryStore } from "../../../src/inventory/store.js";
import { encodeBmpRecord, decodeBmpRecord, bmpRecordLength } from "../../../src/record/bmp-container.js";
import { Recorder } from "../../../src/record/recorder.js";
import { prune, RotatingFile } from "../../../src/record/rotating-file.js";
import { plainView } from "../../helpers/kube-objects.js";

const T0 = Date.parse("2026-11-25T14:00:00Z") * 1000;
let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "routewatch-rec-"));
  dirs.push(d);
  return d;
}

async function items(path: string): Promise<InputItem[]> {
  const input = await openInput(path);
  const out: InputItem[] = [];
  try {
    await readItems(input, { bmpPorts: [] }, (i) =>
      out.push(i.kind === "bgp" || i.kind === "bmp" ? { ...i, bytes: Buffer.from(i.bytes) } : i),
    );
  } finally {
    input.close();
  }
  return out;
}

describe("RotatingFile", () => {
  it("names files by start time and rotates by age and by size", () => {
    const dir = tempDir();
    const clock = new VirtualClock(T0);
    const f = new RotatingFile(dir, "bgp.mrt", { maxAgeSeconds: 60, maxBytes: 100 }, clock);
    f.append(Buffer.alloc(40));
    f.append(Buffer.alloc(40));
    clock.advanceTo(T0 + 61e6); // too old: a new file
    f.append(Buffer.alloc(40));
    f.append(Buffer.alloc(70)); // 110 >= 100 after this one
    f.append(Buffer.alloc(10)); // ... so this one starts a new file
    f.close();
    expect(readdirSync(dir).sort()).toEqual([
      "routewatch-20261125T140000Z.bgp.mrt",
      "routewatch-20261125T140101Z-1.bgp.mrt",
      "routewatch-20261125T140101Z.bgp.mrt",
    ]);
    expect(statSync(join(dir, "routewatch-20261125T140000Z.bgp.mrt")).size).toBe(80);
    expect(statSync(join(dir, "routewatch-20261125T140101Z.bgp.mrt")).size).toBe(110);
    expect(statSync(join(dir, "routewatch-20261125T140101Z-1.bgp.mrt")).size).toBe(10);
  });

  it("writes a header at the start of every file, and keeps nothing unflushed after flush()", () => {
    const dir = tempDir();
    const clock = new VirtualClock(T0);
    const f = new RotatingFile(dir, "x", { maxAgeSeconds: 1, maxBytes: 1e9 }, clock, (rotated) =>
      Buffer.from(rotated ? "R" : "F"),
    );
    f.append(Buffer.from("a"));
    f.flush();
    expect(readFileSync(f.current!, "latin1")).toBe("Fa");
    clock.advanceTo(T0 + 2e6);
    f.append(Buffer.from("b"));
    f.flush();
    expect(readFileSync(f.current!, "latin1")).toBe("Rb");
    f.close();
  });
});

describe("prune", () => {
  it("deletes what is older than the age budget and the oldest while over the size budget, never a file in use", () => {
    const dir = tempDir();
    const name = (h: number): string =>
      join(dir, `routewatch-20261125T${String(h).padStart(2, "0")}0000Z.bgp.mrt`);
    for (const h of [1, 2, 3, 4, 5]) writeFileSync(name(h), Buffer.alloc(100));
    writeFileSync(join(dir, "unrelated.txt"), "keep me");
    const now = Date.parse("2026-11-25T05:30:00Z") * 1000;
    // Age: older than 3.5 h goes (01:00). Size: 4 files = 400 > 250: the oldest go until <= 250,
    // but 02:00 is in use.
    const deleted = prune(dir, { maxAgeSeconds: 3.5 * 3600, maxTotalBytes: 250 }, now, new Set([name(2)]));
    expect(deleted).toEqual([name(1), name(3), name(4)]);
    expect(readdirSync(dir).sort()).toEqual([
      "routewatch-20261125T020000Z.bgp.mrt",
      "routewatch-20261125T050000Z.bgp.mrt",
      "unrelated.txt",
    ]);
  });
});

describe("BMP container", () => {
  it("round-trips records, IPv4 and IPv6, and frames them from their lengths", () => {
    const r1 = {
      tsMicros: T0 + 1,
      router: "127.0.0.1",
      collector: "127.0.0.10",
      bytes: Buffer.from([3, 0, 0, 0, 6, 4]),
    };
    const r2 = { tsMicros: T0 + 2, router: "::1", collector: "2001:db8::10", bytes: Buffer.alloc(0) };
    const buf = Buffer.concat([encodeBmpRecord(r1), encodeBmpRecord(r2)]);
    const len1 = bmpRecordLength(buf, 0);
    expect(decodeBmpRecord(buf, 0)).toEqual(r1);
    expect(decodeBmpRecord(buf, len1)).toEqual(r2);
    expect(len1 + bmpRecordLength(buf, len1)).toBe(buf.length);
    expect(bmpRecordLength(buf.subarray(0, 12), 0)).toBe(-1);
  });
});

describe("Recorder", () => {
  const config = buildConfig({ routerId: "127.0.0.10" });
  const update = encodeUpdate({
    attributes: [attr.origin(0), attr.asPath([]), attr.nextHop("127.0.1.1")],
    nlri: [{ prefix: "10.208.1.5/32" }],
  });

  it("records BGP as MRT that bgpdump and routewatch read, BMP as received, and session transitions", async () => {
    const dir = tempDir();
    const clock = new VirtualClock(T0);
    const rec = new Recorder({ ...config.record, dir }, clock, createLogger("silent"));
    const peering = {
      peer: "127.0.1.1",
      local: "127.0.0.10",
      peerAs: 64512,
      localAs: 64512,
      options: { as4: true },
    };
    rec.bgpMessage({ ...peering, tsMicros: T0 + 1000, bytes: encodeKeepalive() });
    rec.bgpState("127.0.1.1", "OpenConfirm", "Established", T0 + 2000);
    rec.bgpMessage({ ...peering, tsMicros: T0 + 3000, bytes: update });
    rec.bmpMessage({
      tsMicros: T0 + 4000,
      router: "127.0.0.1",
      collector: "127.0.0.10",
      bytes: Buffer.from([3, 0, 0, 0, 6, 4]),
    });
    rec.bmpRouterDown("127.0.0.1", T0 + 5000);
    rec.stop();
    // What routewatch's own shutdown reports after the recording stopped is no part of it.
    clock.advanceTo(T0 + 3600e6);
    rec.bgpState("127.0.1.1", "Established", "Idle", T0 + 3600e6);
    rec.bgpMessage({ ...peering, tsMicros: T0 + 3600e6, bytes: encodeKeepalive() });
    rec.bmpRouterDown("127.0.0.1", T0 + 3600e6);
    rec.inventoryEvents([], true);
    rec.flush();
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    const mrt = join(
      dir,
      files.find((f) => f.endsWith(".bgp.mrt"))!,
    );
    const bmp = join(
      dir,
      files.find((f) => f.endsWith(".bmp.bmprec"))!,
    );
    expect(execFileSync("bgpdump", ["-m", mrt], { encoding: "utf8" }).trim().split("\n")).toEqual([
      "BGP4MP_ET|1795615200.002000|STATE|127.0.1.1|64512|5|6",
      "BGP4MP_ET|1795615200.003000|A|127.0.1.1|64512|10.208.1.5/32||IGP|127.0.1.1|0|0||NAG||",
    ]);
    const got = await items(mrt);
    expect(got.map((i) => [i.kind, i.tsMicros])).toEqual([
      ["bgp", T0 + 1000],
      ["state", T0 + 2000],
      ["bgp", T0 + 3000],
    ]);
    expect((await items(bmp)).map((i) => [i.kind, i.tsMicros])).toEqual([
      ["bmp", T0 + 4000],
      ["closed", T0 + 5000],
    ]);
  });

  it("writes the inventory as a time-ordered timeline with a SYNCED line; a rotated file starts with the state so far", () => {
    const dir = tempDir();
    const clock = new VirtualClock(T0);
    const store = new InventoryStore();
    const source = loadInventoryFile("fixtures/inventory/example-list.json", { atMicros: T0 });
    const rec = new Recorder(
      { ...config.record, dir, rotateSeconds: 60 },
      clock,
      createLogger("silent"),
      () => ({ objects: store.all(), synced: store.synced }),
    );
    store.onChange((events) => rec.inventoryEvents(events, store.synced));
    store.apply(source.events);
    store.markAllSynced();
    clock.advanceTo(T0 + 120e6); // the next change opens a new file
    const [first] = source.events;
    store.apply({ ...first!, tsMicros: T0 + 120e6, type: "MODIFIED" });
    rec.stop();
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    for (const f of files) {
      const lines = readFileSync(join(dir, f), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { ts: string; type: string });
      const times = lines.map((l) => Date.parse(l.ts));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(lines.filter((l) => l.type === "SYNCED")).toHaveLength(1);
    }
    // The rotated file alone gives the same view as the whole inventory.
    const second = loadInventoryFile(join(dir, files[1]!));
    const replayed = new InventoryStore();
    replayed.apply(second.events);
    replayed.markAllSynced();
    expect(plainView(replayed.view())).toEqual(plainView(store.view()));
  });
});
