import { afterAll, afterEach, describe, expect, it } from "vitest";
import { attr, encodeUpdate } from "../../../../codec/bgp/index.js";
import { VirtualClock } from "../../../../src/core/clock.js";
import { counter, expectPassive, peerOpen, startSpeaker, TestPeer, waitFor, type Bench } from "./harness.js";

let bench: Bench | undefined;
const peers: TestPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.destroy();
  await bench?.stop();
  bench = undefined;
});
afterAll(() => expectPassive());

const S = 1_000_000;
const GOOD = "127.0.12.1";
const update = (prefix: string): Buffer =>
  encodeUpdate({
    attributes: [attr.origin("IGP"), attr.asPath([]), attr.nextHop("10.10.0.1")],
    nlri: [{ prefix }],
  });

/** An established session (hold time 0 so virtual time can jump) with one route. */
async function goodSession(b: Bench): Promise<TestPeer> {
  const p = await TestPeer.connect(b.port, GOOD);
  peers.push(p);
  await p.establish(peerOpen({ holdTime: 0 }));
  p.send(update("10.208.1.1/32"));
  await waitFor(() => b.rib.counts(`bgp|${GOOD}`).ipv4 === 1);
  return p;
}

async function idleConnections(b: Bench, addresses: (i: number) => string): Promise<TestPeer[]> {
  const idle = await Promise.all(
    Array.from({ length: 200 }, (_, i) => TestPeer.connect(b.port, addresses(i))),
  );
  peers.push(...idle);
  return idle;
}

async function stillGood(b: Bench, p: TestPeer, prefix: string, count: number): Promise<void> {
  expect(b.session(GOOD)!.state).toBe("Established");
  p.send(update(prefix));
  await waitFor(() => b.rib.counts(`bgp|${GOOD}`).ipv4 === count);
  expect(p.closed).toBe(false);
}

describe("200 concurrent connections that never send OPEN", () => {
  it("are held in OpenSent, closed by the 4-minute OPEN timer and counted; the session is unaffected", async () => {
    const clock = new VirtualClock(0);
    bench = await startSpeaker({ clock });
    const good = await goodSession(bench);
    // 20 addresses x 10 connections: within the per-address limit of 16.
    const idle = await idleConnections(bench, (i) => `127.0.13.${1 + (i % 20)}`);
    await Promise.all(idle.map((p) => p.next("OPEN")));
    expect(bench.speaker.sessions().filter((s) => s.state === "OpenSent")).toHaveLength(20);
    await stillGood(bench, good, "10.208.1.2/32", 2);

    clock.advanceTo(240 * S);
    const notes = await Promise.all(idle.map((p) => p.notification()));
    expect(notes.every((n) => n.code === 4 && n.subcode === 0)).toBe(true);
    await Promise.all(idle.map((p) => p.waitClosed()));
    expect(
      await counter(bench.metrics, "rejectedConnections", { transport: "bgp", reason: "open-timeout" }),
    ).toBe(200);
    expect(bench.speaker.sessions().map((s) => s.address)).toEqual([GOOD]);
    expect(await bench.metrics.text()).toMatch(/routewatch_bgp_sessions\{state="Established"\} 1/);
    await stillGood(bench, good, "10.208.1.3/32", 3);
  });

  it("from one address: 16 are held, the rest refused with 6/5 and counted", async () => {
    bench = await startSpeaker();
    const good = await goodSession(bench);
    const idle = await idleConnections(bench, () => "127.0.14.1");
    const first = await Promise.all(idle.map((p) => p.next()));
    const refused = first.filter((m) => m.type === "NOTIFICATION");
    expect(refused).toHaveLength(184);
    expect(refused.every((m) => m.type === "NOTIFICATION" && m.code === 6 && m.subcode === 5)).toBe(true);
    expect(first.filter((m) => m.type === "OPEN")).toHaveLength(16);
    expect(await counter(bench.metrics, "rejectedConnections", { reason: "pending-limit" })).toBe(184);
    await stillGood(bench, good, "10.208.1.2/32", 2);
  });
});
