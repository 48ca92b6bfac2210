import { connect } from "node:net";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { attr, encodeEndOfRib, encodeKeepalive, encodeUpdate } from "../../../../codec/bgp/index.js";
import { VirtualClock } from "../../../../src/core/clock.js";
import type { BgpMessageRecord } from "../../../../src/session/bgp/index.js";
import { expectPassive, peerOpen, startSpeaker, TestPeer, waitFor, type Bench } from "./harness.js";

let bench: Bench | undefined;
const peers: TestPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.destroy();
  await bench?.stop();
  bench = undefined;
});
afterAll(() => expectPassive());

const S = 1_000_000;
const update = (prefix: string): Buffer =>
  encodeUpdate({
    attributes: [attr.origin("IGP"), attr.asPath([]), attr.nextHop("10.10.0.1")],
    nlri: [{ prefix }],
  });

async function established(b: Bench, address: string, open = peerOpen()): Promise<TestPeer> {
  const p = await TestPeer.connect(b.port, address);
  peers.push(p);
  await p.establish(open);
  await waitFor(() => b.session(address)?.state === "Established");
  return p;
}

describe("initial table sync", () => {
  it("is complete after End-of-RIB for every negotiated family", async () => {
    bench = await startSpeaker();
    const p = await established(bench, "127.0.15.1");
    p.send(update("10.208.1.1/32"), encodeEndOfRib(1, 1));
    await waitFor(() => bench!.rib.counts("bgp|127.0.15.1").ipv4 === 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(bench.rib.isSynced("bgp|127.0.15.1")).toBe(false);
    p.send(encodeEndOfRib(2, 1));
    await waitFor(() => bench!.rib.isSynced("bgp|127.0.15.1"));
    expect(bench.session("127.0.15.1")!.synced).toBe(true);
  });

  it("is complete after a quiet period for peers that send no End-of-RIB", async () => {
    const clock = new VirtualClock(0);
    bench = await startSpeaker({ clock, bgp: { syncQuiet: 5 } });
    const p = await established(bench, "127.0.15.2", peerOpen({ holdTime: 0 }));
    clock.advanceTo(3 * S);
    p.send(update("10.208.1.2/32"));
    await waitFor(() => bench!.rib.counts("bgp|127.0.15.2").ipv4 === 1);
    clock.advanceTo(7 * S); // 5 s after Established, but only 4 s after the UPDATE
    expect(bench.rib.isSynced("bgp|127.0.15.2")).toBe(false);
    clock.advanceTo(8 * S);
    expect(bench.rib.isSynced("bgp|127.0.15.2")).toBe(true);
  });
});

describe("hooks for the recorder", () => {
  it("reports every received message and every state change", async () => {
    const clock = new VirtualClock(77 * S);
    bench = await startSpeaker({ clock, asn: 64999 });
    const records: BgpMessageRecord[] = [];
    const states: string[] = [];
    bench.speaker.onMessage = (m) => records.push({ ...m, bytes: Buffer.from(m.bytes) });
    bench.speaker.onState = (peer, from, to, ts) => states.push(`${peer} ${from}->${to} @${ts}`);
    const p = await established(bench, "127.0.15.3", peerOpen({ asn: 65003 }));
    p.send(update("10.208.1.3/32"));
    await waitFor(() => records.length === 3);
    expect(records.map((r) => r.bytes[18])).toEqual([1, 4, 2]);
    expect(records[2]).toMatchObject({
      tsMicros: 77 * S,
      peer: "127.0.15.3",
      local: "127.0.0.1",
      peerAs: 65003,
      localAs: 64999,
      options: { as4: true, extendedMessage: false },
    });
    expect(records[0]!.peerAs).toBe(65003);
    expect(states).toEqual([
      `127.0.15.3 Idle->OpenSent @${77 * S}`,
      `127.0.15.3 OpenSent->OpenConfirm @${77 * S}`,
      `127.0.15.3 OpenConfirm->Established @${77 * S}`,
    ]);
  });
});

describe("stop()", () => {
  it("sends Cease / Administrative Shutdown with a shutdown communication and closes everything", async () => {
    bench = await startSpeaker();
    const a = await established(bench, "127.0.15.4");
    const b = await established(bench, "127.0.15.5");
    a.send(update("10.208.1.4/32"));
    await waitFor(() => bench!.rib.counts("bgp|127.0.15.4").ipv4 === 1);
    const pending = await TestPeer.connect(bench.port, "127.0.15.6");
    peers.push(pending);
    await pending.next("OPEN");
    const port = bench.port;
    await bench.stop();
    for (const p of [a, b, pending]) {
      const n = await p.notification();
      expect(n).toMatchObject({ code: 6, subcode: 2, shutdownMessage: "test over" });
      await p.waitClosed();
    }
    expect(bench.speaker.sessions().every((s) => s.state === "Idle" || s.state === "Active")).toBe(true);
    expect(bench.rib.counts("bgp|127.0.15.4").ipv4).toBe(0);
    const refused = await new Promise<string>((resolve) => {
      const s = connect({ host: "127.0.0.1", port });
      s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? ""));
      s.on("connect", () => resolve("connected"));
    });
    expect(refused).toBe("ECONNREFUSED");
    a.send(encodeKeepalive());
    bench = undefined;
  });

  it("reports the bound port and sessions by state", async () => {
    bench = await startSpeaker({ bgp: { peers: [{ address: "127.0.15.9", asn: 65009 }] } });
    expect(bench.speaker.listening()).toEqual([{ host: "127.0.0.1", port: bench.port }]);
    expect(bench.port).toBeGreaterThan(0);
    await established(bench, "127.0.15.7");
    const text = await bench.metrics.text();
    expect(text).toMatch(/routewatch_bgp_sessions\{state="Established"\} 1/);
    expect(text).toMatch(/routewatch_bgp_sessions\{state="Active"\} 1/);
    expect(text).toMatch(/routewatch_bgp_sessions\{state="Idle"\} 0/);
  });
});
