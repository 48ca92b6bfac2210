/**
 * The BMP collector with a real GoBGP 3.10 streaming BMP with Loc-RIB (RFC 9069) and pre/post
 * policy, fed by ExaBGP (address block 127.42.x.y): the views match GoBGP's own tables, a route added
 * on GoBGP shows in the Loc-RIB view within 1 s, `gobgp bmp del` (TERMINATION) clears the router and
 * `gobgp bmp add` rebuilds it without duplicates.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startExabgp, startGobgp, waitFor, type Daemon, type Gobgp } from "../harness/lab.js";
import {
  endOfRibs,
  firstEvent,
  freePort,
  ribTable,
  startLabCollector,
  type LabCollector,
} from "./bmp-helpers.js";

const BASE = 42;
const COLLECTOR = `127.${BASE}.0.10`;
const GOBGP_ID = `127.${BASE}.3.1`;
const EXABGP_ID = `127.${BASE}.4.1`;
const QUIET = 2;
const EXA_ROUTES = [`10.208.${BASE}.0/24`, `10.208.${BASE + 1}.0/24`, `10.208.${BASE + 2}.0/24`];

let gobgp: Gobgp | undefined;
let exabgp: Daemon | undefined;
let c: LabCollector | undefined;
let bmpTarget = "";
let router = "";

interface GobgpPath {
  nlri: { prefix: string };
  attrs: { type: number; nexthop?: string }[];
  best?: boolean;
}

/** prefix -> next hops, from `gobgp ... -j` output (global rib: best paths; adj-in: all). */
async function gobgpTable(args: string[], bestOnly: boolean): Promise<Map<string, string[]>> {
  const json = JSON.parse(await gobgp!.cli([...args, "-j"])) as Record<string, GobgpPath[]>;
  const out = new Map<string, string[]>();
  for (const [prefix, paths] of Object.entries(json)) {
    const hops = paths
      .filter((p) => !bestOnly || p.best)
      .map((p) => p.attrs.find((a) => a.type === 3)?.nexthop ?? "")
      .sort();
    if (hops.length > 0) out.set(prefix, hops);
  }
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

const same = (a: Map<string, string[]>, b: Map<string, string[]>): boolean =>
  JSON.stringify([...a]) === JSON.stringify([...b]);

async function established(): Promise<boolean> {
  const out = await gobgp!.cli(["neighbor", EXABGP_ID]);
  return /BGP state = established/i.test(out);
}

beforeAll(async () => {
  const apiPort = await freePort("127.0.0.1");
  gobgp = startGobgp({
    base: BASE,
    asn: 65030,
    routerId: GOBGP_ID,
    apiPort,
    listenPort: 179,
    neighbors: [{ address: EXABGP_ID, asn: 65040, passive: true }],
  });
  exabgp = startExabgp({
    base: BASE,
    routerId: EXABGP_ID,
    localAsn: 65040,
    neighbor: { address: GOBGP_ID, asn: 65030 },
    commands: EXA_ROUTES.map((p) => `announce route ${p} next-hop 10.10.0.${BASE}`),
    stepMs: 50,
  });
  await waitFor("GoBGP API", () => gobgp!.cli(["global"]).then(() => true), 15_000);
  await waitFor("ExaBGP session", established, 30_000);
  await waitFor("ExaBGP routes", async () => (await gobgpTable(["global", "rib"], true)).size === 3, 10_000);
  await gobgp.cli(["global", "rib", "add", "-a", "ipv4", `10.208.${BASE}.100/32`, "nexthop", "10.10.0.31"]);
  const port = await freePort(COLLECTOR);
  c = await startLabCollector(COLLECTOR, port, QUIET);
  bmpTarget = `${COLLECTOR}:${port}`;
});

afterAll(async () => {
  await c?.collector.stop();
  await exabgp?.stop();
  await gobgp?.stop();
});

describe("GoBGP streaming BMP with Loc-RIB", () => {
  it("pre-policy, post-policy and Loc-RIB views match GoBGP's tables", async () => {
    const col = c!;
    const t0 = performance.now();
    await gobgp!.cli(["bmp", "add", bmpTarget, "all"]);
    await waitFor("router", () => col.collector.routers().length === 1, 10_000);
    router = col.collector.routers()[0]!.address;
    const locRib = await gobgpTable(["global", "rib"], true);
    const adjIn = await gobgpTable(["neighbor", EXABGP_ID, "adj-in"], false);
    expect(locRib.size).toBe(4); // ExaBGP's three and the local one
    await waitFor("Loc-RIB view = gobgp global rib", () =>
      same(ribTable(col.rib, router, "bmp-locrib"), locRib),
    );
    await waitFor("pre-policy view = adj-in", () => same(ribTable(col.rib, router, "bmp-pre"), adjIn));
    await waitFor("post-policy view = adj-in (no import policy)", () =>
      same(ribTable(col.rib, router, "bmp-post", EXABGP_ID), adjIn),
    );
    // GoBGP's post-policy initial dump also reports its locally originated route, as the post-policy
    // Adj-RIB-In of a pseudo-peer "::" (AS 0, BGP ID 0.0.0.0) that never had a PEER-UP.
    const local = `10.208.${BASE}.100/32`;
    expect([...ribTable(col.rib, router, "bmp-post", "::")]).toEqual([[local, ["10.10.0.31"]]]);
    const info = col.collector.routers()[0]!;
    const locPeer = info.peers.find((p) => p.type === "loc-rib-instance")!;
    // RFC 9069: peer address 0.0.0.0, the router's BGP ID names the view.
    expect(locPeer).toMatchObject({ address: "0.0.0.0", bgpId: GOBGP_ID, asn: 65030, state: "up" });
    expect(locPeer.views.map((v) => v.id)).toEqual([`bmp-locrib|${router}|0:0|${GOBGP_ID}`]);
    expect(info.bgpIds).toContain(GOBGP_ID);
    expect(info.peers.find((p) => p.address === EXABGP_ID)?.session?.received.asn).toBe(65040);

    await waitFor(
      "all views synced",
      () => col.collector.routers()[0]!.peers.every((p) => p.state !== "up" || p.synced),
      (QUIET + 3) * 1000,
    );
    const eors = endOfRibs(col.records);
    const syncMs = performance.now() - t0;
    console.log(
      `[bmp-gobgp] views synced after ${syncMs.toFixed(0)} ms; GoBGP sent ${eors.length} End-of-RIB: ${eors.join(", ")}`,
    );
    // GoBGP 3.10 ends its pre- and post-policy initial dumps with End-of-RIB, not its Loc-RIB one:
    // that view is synced by the quiet timer.
    expect(eors).toContain(`global-instance/pre/${EXABGP_ID} afi 1`);
    expect(eors).toContain(`global-instance/post/${EXABGP_ID} afi 1`);
    expect(eors.filter((e) => e.startsWith("loc-rib"))).toEqual([]);
    expect(syncMs).toBeGreaterThanOrEqual(QUIET * 1000);
  });

  it("a route added and deleted on GoBGP shows in the Loc-RIB view within 1 s", async () => {
    const col = c!;
    const prefix = `10.208.${BASE}.101/32`;
    const locRibId = `bmp-locrib|${router}|0:0|${GOBGP_ID}`;
    const latencies: string[] = [];
    for (const action of ["add", "del"] as const) {
      const t0 = performance.now();
      await gobgp!.cli([
        "global",
        "rib",
        action,
        "-a",
        "ipv4",
        prefix,
        ...(action === "add" ? ["nexthop", "10.10.0.32"] : []),
      ]);
      const wanted = action === "add" ? "announce" : "withdraw";
      const hit = await waitFor(
        `${action} ${prefix}`,
        () =>
          firstEvent(col, t0, (e) => e.prefix === prefix && e.action === wanted && e.peer.id === locRibId),
        2000,
        2,
      );
      latencies.push(`${action} ${(hit.at - t0).toFixed(1)} ms`);
      expect(hit.at - t0).toBeLessThan(1000);
    }
    console.log(
      `[bmp-gobgp] gobgp CLI -> Rib via BMP Loc-RIB (CLI process included): ${latencies.join(", ")}`,
    );
  });

  it("TERMINATION (gobgp bmp del) clears the router; bmp add rebuilds it without duplicates", async () => {
    const col = c!;
    const views = (): [string, string[]][] =>
      col.rib
        .peers()
        .filter((p) => p.router === router)
        .map((p): [string, string[]] => [p.id, [...col.rib.paths(p.id)].map((x) => x.prefix).sort()])
        .filter(([, paths]) => paths.length > 0)
        .sort(([a], [b]) => a.localeCompare(b));
    const before = views();
    expect(before.map(([id]) => id.split("|")[0])).toEqual(["bmp-locrib", "bmp-post", "bmp-post", "bmp-pre"]);
    await gobgp!.cli(["bmp", "del", bmpTarget]);
    await waitFor("router gone", () => col.collector.routers().length === 0, 10_000);
    expect(col.rib.peers().filter((p) => p.router === router)).toEqual([]);
    expect(col.records.at(-1)!.bytes[5]).toBe(5); // the stream ended with TERMINATION

    await gobgp!.cli(["bmp", "add", bmpTarget, "all"]);
    await waitFor("views rebuilt", () => JSON.stringify(views()) === JSON.stringify(before), 10_000);
    const paths = before.reduce((n, [, p]) => n + p.length, 0);
    expect(
      col.rib
        .peers()
        .filter((p) => p.router === router)
        .reduce((n, p) => n + [...col.rib.paths(p.id)].length, 0),
    ).toBe(paths);
    console.log(`[bmp-gobgp] rebuilt after TERMINATION: ${paths} paths in ${before.length} views, once each`);
  });
});
