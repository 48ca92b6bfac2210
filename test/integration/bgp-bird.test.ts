/**
 * The passive speaker against three real BIRD 2 nodes configured like Calico (iBGP, graceful
 * restart on): sessions come up, BIRD's routes land in the RIB, announce/withdraw latency, a BIRD
 * killed and restarted within its restart time keeps its routes stale and then refreshes them,
 * and BIRD imports nothing from us. Address block 127.31.x.y (test/harness/lab.ts).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCalicoLab, waitFor, type CalicoLab } from "../harness/lab.js";
import { startSpeaker, type Bench } from "../unit/session/bgp/harness.js";

const BASE = 31;
const COLLECTOR = `127.${BASE}.0.10`;
const NODES = [1, 2, 3].map((i) => `127.${BASE}.1.${i}`);
const id = (node: number): string => `bgp|${NODES[node - 1]}`;

const run = promisify(execFile);
let bench: Bench;
let lab: CalicoLab;

const prefixes = (node: number): string[] => [...bench.rib.paths(id(node))].map((p) => p.prefix).sort();

/** Milliseconds from calling `act` until the RIB reports `action` for `prefix` from `node`. */
async function latency(
  node: number,
  prefix: string,
  action: "announce" | "withdraw",
  act: () => Promise<void>,
): Promise<number> {
  let seen = 0;
  const start = performance.now();
  bench.rib.onRoute((e) => {
    if (!seen && e.peer.id === id(node) && e.prefix === prefix && e.action === action)
      seen = performance.now();
  });
  await act();
  await waitFor(`${action} ${prefix} from node ${node}`, () => seen > 0, 5000, 2);
  return seen - start;
}

/** Route events for one node from now on. */
function nodeEvents(node: number): string[] {
  const events: string[] = [];
  bench.rib.onRoute((e) => {
    if (e.peer.id === id(node)) events.push(`${e.action} ${e.prefix}`);
  });
  return events;
}

/**
 * Starts a lab node's BIRD in graceful restart recovery mode (`bird -R`, as calico-node runs it):
 * its OPEN then has the Restart and Forwarding State bits.
 */
async function startRecovering(node: number): Promise<void> {
  const dir = join(lab.dir, `node${node}`);
  await run(
    "bird",
    ["-R", "-c", join(dir, "bird.conf"), "-s", join(dir, "bird.ctl"), "-P", join(dir, "bird.pid")],
    {
      timeout: 10_000,
    },
  );
  await waitFor(
    `BIRD node ${node} up`,
    async () => (await lab.birdc(node, "show status")).includes("Daemon is up"),
    10_000,
  );
}

beforeAll(async () => {
  bench = await startSpeaker({
    asn: 64512,
    routerId: COLLECTOR,
    listen: { host: COLLECTOR, port: 0 },
    bgp: { allowPeers: [`127.${BASE}.1.0/24`] },
  });
  lab = await startCalicoLab({ base: BASE, collector: COLLECTOR, bgpPort: bench.port, tor: false });
});

afterAll(async () => {
  await bench?.stop();
  await lab?.down();
});

describe("BIRD 2 nodes (Calico-like, graceful restart)", () => {
  it("establishes every session and receives each node's routes", async () => {
    const started = performance.now();
    await waitFor(
      "3 established sessions",
      () => bench.speaker.sessions().filter((s) => s.state === "Established").length === 3,
      20_000,
    );
    console.log(`[bgp-bird] 3 sessions established after ${(performance.now() - started).toFixed(0)} ms`);
    for (let i = 1; i <= 3; i++) expect(await lab.protocolState(i, "monitor")).toBe("Established");
    for (let i = 1; i <= 3; i++) await waitFor(`node ${i} routes`, () => prefixes(i).length === 2, 5000);
    for (let i = 1; i <= 3; i++) expect(prefixes(i)).toEqual(["10.208.1.0/24", `192.168.${i}.0/26`]);
    const s = bench.session(NODES[0]!)!;
    expect(s).toMatchObject({
      asn: 64512,
      bgpId: NODES[0],
      families: ["ipv4-unicast"],
      gracefulRestart: { peerCapable: true, restartTime: 120 },
    });
    expect(bench.rib.lookup("192.168.1.0/26")[0]!.path.attrs.nextHop).toBe(NODES[0]);
    // BIRD sends End-of-RIB (graceful restart): the initial table is complete.
    await waitFor("node 1 synced", () => bench.rib.isSynced(id(1)), 5000);
  });

  it("sees an announce and a withdraw on a node within 1 s", async () => {
    const up = await latency(2, "10.208.1.77/32", "announce", () => lab.announce(2, "10.208.1.77/32"));
    const down = await latency(2, "10.208.1.77/32", "withdraw", () => lab.withdraw(2, "10.208.1.77/32"));
    console.log(
      `[bgp-bird] BIRD reconfigure -> RIB: announce ${up.toFixed(1)} ms, withdraw ${down.toFixed(1)} ms`,
    );
    expect(up).toBeLessThan(1000);
    expect(down).toBeLessThan(1000);
  });

  it("leaves BIRD's RIB empty of anything from routewatch", async () => {
    for (let i = 1; i <= 3; i++) {
      const all = await lab.birdc(i, "show protocols all monitor");
      const m = /Routes:\s+(\d+) imported, (\d+) exported/.exec(all);
      expect(m, all).not.toBeNull();
      expect(Number(m![1])).toBe(0);
      expect(Number(m![2])).toBeGreaterThanOrEqual(2);
      const routes = await lab.birdc(i, "show route protocol monitor");
      expect(routes).not.toMatch(/\d+\.\d+\.\d+\.\d+\/\d+/);
    }
  });

  it("keeps a killed node's routes stale, then refreshes them when it restarts (bird -R, as Calico)", async () => {
    await waitFor("node 3 routes", () => prefixes(3).length === 2, 5000);
    await lab.killNode(3);
    await waitFor("node 3 session down", () => bench.session(NODES[2]!)?.state !== "Established", 5000);
    expect(bench.session(NODES[2]!)!.gracefulRestart.state).toBe("restarting");
    expect([...bench.rib.paths(id(3))].map((p) => [p.prefix, p.stale])).toEqual([
      ["10.208.1.0/24", true],
      ["192.168.3.0/26", true],
    ]);
    // While it is down, its configuration loses the pod block: after the restart only the
    // aggregate comes back, and End-of-RIB must sweep the stale pod block.
    await lab.withdraw(3, "192.168.3.0/26").catch(() => undefined); // birdc fails: BIRD is down
    const events = nodeEvents(3);
    const restarted = performance.now();
    await startRecovering(3);
    await waitFor("node 3 back", () => bench.session(NODES[2]!)?.state === "Established", 20_000);
    // BIRD in recovery sends End-of-RIB once its own restart is done (about 6 s here).
    await waitFor("stale pod block swept", () => prefixes(3).join() === "10.208.1.0/24", 20_000);
    console.log(
      `[bgp-bird] killed node back and refreshed ${(performance.now() - restarted).toFixed(0)} ms after start`,
    );
    expect([...bench.rib.paths(id(3))].every((p) => !p.stale)).toBe(true);
    // The aggregate was refreshed in place (never withdrawn); only the pod block went, on End-of-RIB.
    expect(events).toEqual(["replace 10.208.1.0/24", "withdraw 192.168.3.0/26"]);
    expect(
      bench.logs.some((l) => /stale IPv4 routes withdrawn \(End-of-RIB received\)/.test(String(l.msg))),
    ).toBe(true);
    expect(bench.session(NODES[2]!)!.gracefulRestart.state).toBe("none");
    // The other nodes did not notice.
    expect(prefixes(1)).toEqual(["10.208.1.0/24", "192.168.1.0/26"]);
  });

  it("sweeps the stale routes at once when the node restarts without preserving forwarding (no -R: no F bit)", async () => {
    await lab.killNode(2);
    await waitFor("node 2 session down", () => bench.session(NODES[1]!)?.state !== "Established", 5000);
    expect(prefixes(2)).toHaveLength(2);
    const events = nodeEvents(2);
    await lab.startNode(2);
    await waitFor(
      "node 2 back with its routes",
      () => bench.session(NODES[1]!)?.state === "Established" && prefixes(2).length === 2,
      20_000,
    );
    expect(events.slice(0, 2).sort()).toEqual(["withdraw 10.208.1.0/24", "withdraw 192.168.2.0/26"]);
    expect(events.slice(2).sort()).toEqual(["announce 10.208.1.0/24", "announce 192.168.2.0/26"]);
  });

  it("withdraws a node's routes at once when it stops with a NOTIFICATION", async () => {
    await lab.stopNode(1);
    await waitFor("node 1 routes gone", () => prefixes(1).length === 0, 5000);
    expect(bench.session(NODES[0]!)!.lastError).toMatch(/NOTIFICATION received: 6\//);
  });
});
