/**
 * The passive speaker against BIRD 2 nodes without graceful restart, with `add paths on` and a
 * 6 s hold time: path identifiers arrive, a killed node's routes go at once, and a frozen BIRD is
 * caught by the hold timer. Address block 127.32.x.y (test/harness/lab.ts).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCalicoLab, waitFor, type CalicoLab } from "../harness/lab.js";
import { counter, startSpeaker, type Bench } from "../unit/session/bgp/harness.js";

const BASE = 32;
const COLLECTOR = `127.${BASE}.0.10`;
const NODES = [1, 2].map((i) => `127.${BASE}.1.${i}`);
const id = (node: number): string => `bgp|${NODES[node - 1]}`;

let bench: Bench;
let lab: CalicoLab;
let frozen: number | undefined;

const prefixes = (node: number): string[] => [...bench.rib.paths(id(node))].map((p) => p.prefix).sort();

beforeAll(async () => {
  bench = await startSpeaker({
    asn: 64512,
    routerId: COLLECTOR,
    listen: { host: COLLECTOR, port: 0 },
    bgp: { allowPeers: [`127.${BASE}.1.0/24`] },
  });
  lab = await startCalicoLab({
    base: BASE,
    nodes: 2,
    collector: COLLECTOR,
    bgpPort: bench.port,
    tor: false,
    gracefulRestart: false,
    addPaths: true,
    holdTime: 6,
  });
  await waitFor(
    "2 established sessions",
    () => bench.speaker.sessions().filter((s) => s.state === "Established").length === 2,
    20_000,
  );
});

afterAll(async () => {
  if (frozen) process.kill(frozen, "SIGCONT");
  await bench?.stop();
  await lab?.down();
});

describe("BIRD 2 with add paths, without graceful restart", () => {
  it("negotiates ADD-PATH receive and gets BIRD's path identifiers", async () => {
    const s = bench.session(NODES[0]!)!;
    expect(s).toMatchObject({
      addPathFamilies: ["ipv4-unicast"],
      holdTime: 6,
      keepalive: 2,
      // BIRD without `graceful restart` is still "aware": the capability without families.
      gracefulRestart: { peerCapable: true, families: [] },
    });
    await waitFor("node 1 routes", () => prefixes(1).length === 2, 5000);
    const ids = [...bench.rib.paths(id(1))].map((p) => p.pathId);
    console.log(`[bgp-bird-addpath] BIRD path ids: ${ids.join(", ")}`);
    expect(ids.every((i) => i > 0)).toBe(true);
    const all = await lab.birdc(1, "show protocols all monitor");
    expect(all).toMatch(/Neighbor capabilities[\s\S]*ADD-PATH\s+RX: ipv4 ipv6\s+TX:\s*\n/); // ours: receive only
    expect(/Routes:\s+(\d+) imported/.exec(all)![1]).toBe("0");
  });

  it("withdraws a killed node's routes at once", async () => {
    await waitFor("node 2 routes", () => prefixes(2).length === 2, 5000);
    const pid = Number(readFileSync(join(lab.dir, "node2", "bird.pid"), "utf8"));
    const started = performance.now();
    process.kill(pid, "SIGKILL");
    await waitFor("node 2 routes gone", () => prefixes(2).length === 0, 5000, 1);
    console.log(
      `[bgp-bird-addpath] SIGKILL -> node's routes gone from the RIB: ${(performance.now() - started).toFixed(1)} ms`,
    );
    await lab.killNode(2); // tidies the pid file
    expect(bench.session(NODES[1]!)!.lastError).toBe("connection closed by the peer");
    expect(prefixes(1)).toHaveLength(2);
  });

  it("ends the session of a frozen BIRD when the hold timer expires (4/0)", async () => {
    const pid = Number(readFileSync(join(lab.dir, "node1", "bird.pid"), "utf8"));
    process.kill(pid, "SIGSTOP");
    frozen = pid;
    const started = performance.now();
    await waitFor("hold timer expiry", () => bench.session(NODES[0]!)?.state !== "Established", 10_000, 20);
    const after = performance.now() - started;
    console.log(`[bgp-bird-addpath] frozen BIRD dropped after ${after.toFixed(0)} ms (hold time 6 s)`);
    expect(after).toBeGreaterThan(3000);
    expect(bench.session(NODES[0]!)!.lastError).toMatch(/hold timer expired.*4\/0/);
    expect(prefixes(1)).toEqual([]);
    expect(await counter(bench.metrics, "messages", { direction: "out", type: "NOTIFICATION" })).toBe(1);
    process.kill(pid, "SIGCONT");
    frozen = undefined;
    // BIRD got our NOTIFICATION (it then waits its error wait time, 60 s, before reconnecting).
    await waitFor(
      "BIRD to report the NOTIFICATION",
      async () => /Received: Hold timer expired/.test(await lab.birdc(1, "show protocols monitor")),
      5000,
    );
  });
});
