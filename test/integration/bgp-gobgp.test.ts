/**
 * The passive speaker against GoBGP 3, a second BGP implementation: routewatch connects out to a
 * passive GoBGP neighbor (eBGP, configured ASN), IPv4 and IPv6 routes arrive with their
 * attributes, announce/withdraw latency, GoBGP receives nothing from us. Address block 127.33.x.y.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGobgp, waitFor, type Gobgp } from "../harness/lab.js";
import { startSpeaker, type Bench } from "../unit/session/bgp/harness.js";

const BASE = 33;
const COLLECTOR = `127.${BASE}.0.10`;
const GOBGP = `127.${BASE}.1.1`;
const GOBGP_PORT = 17933;
const API_PORT = 50233;
const ID = `bgp|${GOBGP}`;

let bench: Bench;
let gobgp: Gobgp;

beforeAll(async () => {
  bench = await startSpeaker({
    asn: 64512,
    routerId: COLLECTOR,
    listen: { host: COLLECTOR, port: 0 },
    bgp: {
      allowPeers: [],
      connectRetry: 1,
      peers: [{ address: GOBGP, asn: 65033, connect: true, port: GOBGP_PORT, name: "gobgp" }],
    },
  });
  gobgp = startGobgp({
    base: BASE,
    asn: 65033,
    routerId: GOBGP,
    apiPort: API_PORT,
    listenPort: GOBGP_PORT,
    neighbors: [{ address: COLLECTOR, asn: 64512, passive: true, families: ["ipv4", "ipv6"] }],
  });
});

afterAll(async () => {
  await bench?.stop();
  await gobgp?.stop();
});

const has = (prefix: string): boolean => [...bench.rib.paths(ID)].some((p) => p.prefix === prefix);

async function latency(prefix: string, action: "announce" | "withdraw", args: string[]): Promise<number> {
  let seen = 0;
  bench.rib.onRoute((e) => {
    if (!seen && e.peer.id === ID && e.prefix === prefix && e.action === action) seen = performance.now();
  });
  const start = performance.now();
  await gobgp.cli(args);
  await waitFor(`${action} ${prefix}`, () => seen > 0, 5000, 2);
  return seen - start;
}

describe("GoBGP (eBGP, routewatch connects out)", () => {
  it("establishes the session we open", async () => {
    await waitFor("session established", () => bench.session(GOBGP)?.state === "Established", 30_000).catch(
      (e: Error) => {
        throw new Error(`${e.message}\n${gobgp.output().slice(-2000)}`);
      },
    );
    expect(bench.session(GOBGP)).toMatchObject({
      name: "gobgp",
      asn: 65033,
      bgpId: GOBGP,
      configured: true,
      families: ["ipv4-unicast", "ipv6-unicast"],
      localAddress: COLLECTOR,
      port: GOBGP_PORT,
    });
    const neighbor = await gobgp.cli(["neighbor", COLLECTOR]);
    expect(neighbor).toMatch(/BGP state = established/i);
  });

  it("receives IPv4 and IPv6 routes with their attributes, within 1 s", async () => {
    const v4 = await latency("10.208.1.11/32", "announce", [
      "global",
      "rib",
      "add",
      "10.208.1.11/32",
      "nexthop",
      "10.10.0.31",
      "community",
      "64512:100",
      "med",
      "7",
    ]);
    const v6 = await latency("2001:db8:33::/48", "announce", [
      "global",
      "rib",
      "-a",
      "ipv6",
      "add",
      "2001:db8:33::/48",
      "nexthop",
      "2001:db8::33",
    ]);
    const gone = await latency("10.208.1.11/32", "withdraw", ["global", "rib", "del", "10.208.1.11/32"]);
    console.log(
      `[bgp-gobgp] gobgp CLI -> RIB: IPv4 announce ${v4.toFixed(1)} ms, IPv6 announce ${v6.toFixed(1)} ms, withdraw ${gone.toFixed(1)} ms`,
    );
    for (const ms of [v4, v6, gone]) expect(ms).toBeLessThan(1000);
    expect(has("10.208.1.11/32")).toBe(false);
    const p6 = bench.rib.lookup("2001:db8:33::/48")[0]!;
    expect(p6.peer.asn).toBe(65033);
    expect(p6.path.attrs.attrs.asPath).toEqual([{ type: 2, asns: [65033] }]);
  });

  it("keeps the route's attributes", async () => {
    await latency("10.208.1.12/32", "announce", [
      "global",
      "rib",
      "add",
      "10.208.1.12/32",
      "nexthop",
      "10.10.0.31",
      "community",
      "64512:100",
      "med",
      "7",
    ]);
    const a = bench.rib.lookup("10.208.1.12/32")[0]!.path.attrs;
    expect(a.attrs).toMatchObject({ med: 7, communities: [64512 * 65536 + 100] });
  });

  it("GoBGP has received nothing from routewatch", async () => {
    for (const family of ["ipv4", "ipv6"]) {
      const adjIn = await gobgp.cli(["neighbor", COLLECTOR, "adj-in", "-a", family]);
      expect(adjIn).not.toMatch(/\d+\.\d+\.\d+\.\d+\/\d+|[0-9a-f]+:[0-9a-f:]*\/\d+/);
    }
    const summary = await gobgp.cli(["neighbor"]);
    console.log(`[bgp-gobgp] ${summary.trim().split("\n").join(" | ")}`);
    expect(summary).toMatch(/Establ\s+\|\s+0\s+0\b/);
  });
});
