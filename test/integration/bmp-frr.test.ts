/**
 * The BMP collector with a real FRR 8.4 ToR streaming BMP (pre- and post-policy) about three
 * Calico-like BIRD nodes (test/harness/lab.ts, address block 127.41.x.y): router and peers appear,
 * views match the ToR's table, announce/withdraw latency, a killed node, an FRR restart.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCalicoLab, waitFor, type CalicoLab } from "../harness/lab.js";
import {
  endOfRibs,
  firstEvent,
  frrTable,
  freePort,
  ribTable,
  startLabCollector,
  type LabCollector,
} from "./bmp-helpers.js";

const BASE = 41;
const COLLECTOR = `127.${BASE}.0.10`;
const QUIET = 3;

let lab: CalicoLab | undefined;
let c: LabCollector | undefined;
let router = "";

async function establishedPeers(l: CalicoLab): Promise<number> {
  const json = JSON.parse(await l.vtysh("show bgp ipv4 unicast summary json")) as {
    peers?: Record<string, { state?: string }>;
  };
  return Object.values(json.peers ?? {}).filter((p) => p.state === "Established").length;
}

/** The Rib's post- and pre-policy tables equal the ToR's best/multipath table. */
async function matchesTor(l: CalicoLab, col: LabCollector): Promise<boolean> {
  const tor = await frrTable((cmd) => l.vtysh(cmd));
  const post = ribTable(col.rib, router, "bmp-post");
  const pre = ribTable(col.rib, router, "bmp-pre");
  return (
    JSON.stringify([...post]) === JSON.stringify([...tor]) &&
    JSON.stringify([...pre]) === JSON.stringify([...tor])
  );
}

beforeAll(async () => {
  const port = await freePort(COLLECTOR);
  lab = await startCalicoLab({ base: BASE, collector: COLLECTOR, bmpPort: port });
  // The ToR's sessions come up first; the collector starts listening afterwards, so FRR's BMP
  // session begins with a table sync (the End-of-RIB case).
  await waitFor("3 established ToR sessions", async () => (await establishedPeers(lab!)) === 3, 30_000);
  await waitFor("ToR table", async () => (await lab!.torRoutes()).size === 4, 10_000);
  c = await startLabCollector(COLLECTOR, port, QUIET);
});

afterAll(async () => {
  await c?.collector.stop();
  await lab?.down();
});

describe("FRR ToR streaming BMP", () => {
  it("the router and its three peers appear, views match the ToR, initial dump synced by End-of-RIB", async () => {
    const col = c!;
    const started = performance.now();
    await waitFor("router with 3 peers up", () => {
      const r = col.collector.routers()[0];
      return r && r.peers.filter((p) => p.state === "up").length === 3;
    });
    const info = col.collector.routers()[0]!;
    router = info.address;
    expect(info).toMatchObject({ sysName: "tor", sysDescr: expect.stringMatching(/^FRRouting 8\./) });
    expect(info.bgpIds).toEqual([lab!.tor]); // FRR connects from 127.0.0.1, its BGP ID is the ToR's
    expect(info.peers.map((p) => p.address).sort()).toEqual(lab!.nodes);
    await waitFor("Rib = ToR table", () => matchesTor(lab!, col), 10_000);
    console.log(
      "[bmp-frr] ToR table as seen over BMP:",
      JSON.stringify([...ribTable(col.rib, router, "bmp-post")]),
    );

    await waitFor("every view synced", () =>
      col.collector.routers()[0]!.peers.every((p) => p.synced && p.views.every((v) => v.synced)),
    );
    const syncedAfter = performance.now() - started;
    const eors = endOfRibs(col.records);
    console.log(
      `[bmp-frr] initial dump synced after ${syncedAfter.toFixed(0)} ms; FRR sent ${eors.length} End-of-RIB: ${eors.join(", ")}`,
    );
    // FRR 8.4 ends its table sync with End-of-RIB for each established peer, post- and pre-policy.
    expect(eors.length).toBe(6);
    expect(syncedAfter).toBeLessThan(QUIET * 1000); // by End-of-RIB, not by the quiet timer
  });

  it("an announce and a withdraw on a BIRD node show in the Rib within 1 s", async () => {
    const col = c!;
    const prefix = `10.208.1.${BASE}/32`;
    const viewOf = (node: string, source: string): string => `${source}|${router}|0:0|${node}`;
    const node2 = lab!.nodes[1]!;
    const latencies: string[] = [];
    for (const action of ["announce", "withdraw"] as const) {
      const t0 = performance.now();
      await (action === "announce" ? lab!.announce(2, prefix) : lab!.withdraw(2, prefix));
      const wanted = action === "announce" ? "announce" : "withdraw";
      for (const source of ["bmp-post", "bmp-pre"]) {
        const hit = await waitFor(
          `${action} of ${prefix} in ${source}`,
          () =>
            firstEvent(
              col,
              t0,
              (e) => e.prefix === prefix && e.action === wanted && e.peer.id === viewOf(node2, source),
            ),
          2000,
          2,
        );
        const ms = hit.at - t0;
        latencies.push(`${action} ${source} ${ms.toFixed(1)} ms`);
        expect(ms).toBeLessThan(1000);
      }
    }
    console.log(`[bmp-frr] BIRD reconfigure -> Rib via FRR BMP: ${latencies.join(", ")}`);
    await waitFor("Rib = ToR table", () => matchesTor(lab!, col), 5000);
  });

  it("a killed node: PEER-DOWN, its routes gone from every view", async () => {
    const col = c!;
    const node3 = lab!.nodes[2]!;
    const t0 = performance.now();
    await lab!.killNode(3);
    await waitFor(
      "node3 down",
      () => col.collector.routers()[0]!.peers.find((p) => p.address === node3)?.state === "down",
      15_000,
    );
    const ms = performance.now() - t0;
    const peer = col.collector.routers()[0]!.peers.find((p) => p.address === node3)!;
    console.log(`[bmp-frr] killed node -> PEER-DOWN (${peer.down?.name}) after ${ms.toFixed(0)} ms`);
    expect(peer.views).toEqual([]);
    // The ToR, a graceful-restart helper, keeps node3's path as stale; BMP said the peer is down.
    const kept = JSON.parse(await lab!.vtysh("show bgp ipv4 unicast 192.168.3.0/26 json")) as {
      paths?: { stale?: boolean }[];
    };
    expect(kept.paths?.map((p) => p.stale)).toEqual([true]);
    expect(col.rib.peers().filter((p) => p.router === router && p.address === node3)).toEqual([]);
    await waitFor("Rib = ToR table", () => matchesTor(lab!, col), 5000);
    expect([...ribTable(col.rib, router, "bmp-post").keys()]).not.toContain("192.168.3.0/26");
  });

  it("an FRR restart clears the router, then rebuilds it without duplicates", async () => {
    const col = c!;
    await lab!.stopTor();
    await waitFor("router gone", () => col.collector.routers().length === 0, 10_000);
    expect(col.rib.peers().filter((p) => p.router === router)).toEqual([]);
    const before = col.records.length;
    const t0 = performance.now();
    await lab!.startTor();
    await waitFor("2 established ToR sessions", async () => (await establishedPeers(lab!)) === 2, 45_000);
    await waitFor("ToR table", async () => (await frrTable((cmd) => lab!.vtysh(cmd))).size === 3, 10_000);
    await waitFor("Rib = ToR table again", () => matchesTor(lab!, col), 10_000);
    console.log(
      `[bmp-frr] FRR restart -> table rebuilt over BMP after ${(performance.now() - t0).toFixed(0)} ms`,
    );
    const info = col.collector.routers();
    expect(info).toHaveLength(1);
    expect(
      info[0]!.peers
        .filter((p) => p.state === "up")
        .map((p) => p.address)
        .sort(),
    ).toEqual(lab!.nodes.slice(0, 2));
    // Exactly one copy: every post-policy view holds its node's two prefixes, nothing else.
    for (const node of lab!.nodes.slice(0, 2)) {
      const i = node.split(".").at(-1);
      const paths = [...col.rib.paths(`bmp-post|${router}|0:0|${node}`)].map((p) => p.prefix).sort();
      expect(paths).toEqual(["10.208.1.0/24", `192.168.${i}.0/26`]);
    }
    const eors = endOfRibs(col.records.slice(before));
    console.log(`[bmp-frr] after the restart FRR sent ${eors.length} End-of-RIB: ${eors.join(", ")}`);
    await waitFor(
      "views synced",
      () =>
        col.collector
          .routers()[0]!
          .peers.filter((p) => p.state === "up")
          .every((p) => p.synced),
      10_000,
    );
  });
});
