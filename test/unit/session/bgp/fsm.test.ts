import { createServer, type AddressInfo } from "node:net";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { attr, encodeKeepalive, encodeUpdate } from "../../../../codec/bgp/index.js";
import { VirtualClock } from "../../../../src/core/clock.js";
import {
  counter,
  expectPassive,
  grCap,
  peerOpen,
  standardCaps,
  startSpeaker,
  testServer,
  TestPeer,
  waitFor,
  type Bench,
} from "./harness.js";

let bench: Bench | undefined;
const cleanup: (() => void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) f();
  await bench?.stop();
  bench = undefined;
});
afterAll(() => expectPassive());

async function peer(b: Bench, address: string): Promise<TestPeer> {
  const p = await TestPeer.connect(b.port, address);
  cleanup.push(() => p.destroy());
  return p;
}

const S = 1_000_000;
const route = encodeUpdate({
  attributes: [attr.origin("IGP"), attr.asPath([]), attr.nextHop("10.10.0.1")],
  nlri: [{ prefix: "10.208.1.1/32" }],
});

describe("session timers (virtual clock)", () => {
  it("sends KEEPALIVE every hold/3 and ends the session with 4/0 when the hold timer expires", async () => {
    const clock = new VirtualClock(1000 * S);
    bench = await startSpeaker({ clock });
    const p = await peer(bench, "127.0.6.1");
    await p.establish(peerOpen({ holdTime: 9 }));
    await waitFor(() => bench!.session("127.0.6.1")?.state === "Established");
    p.send(route);
    await waitFor(() => bench!.rib.counts("bgp|127.0.6.1").ipv4 === 1);
    const keepalives = (): number => p.messages.filter((m) => m.type === "KEEPALIVE").length;
    expect(keepalives()).toBe(1); // the one that answered our OPEN
    clock.advanceTo(1003 * S);
    await waitFor(() => keepalives() === 2, 1000, "keepalive at 3 s");
    // A message from the peer at 6 s restarts the hold timer: 9 s after it is 15 s.
    clock.advanceTo(1006 * S);
    await waitFor(() => keepalives() === 3);
    p.send(encodeKeepalive());
    await waitFor(() => bench!.session("127.0.6.1")!.messages.in === 4);
    clock.advanceTo(1014 * S);
    expect(bench.session("127.0.6.1")!.state).toBe("Established");
    clock.advanceTo(1015 * S);
    const n = await p.notification();
    expect([n.code, n.subcode]).toEqual([4, 0]);
    await p.waitClosed();
    expect(bench.session("127.0.6.1")).toMatchObject({ state: "Active", since: 1015 * S });
    expect(bench.session("127.0.6.1")!.lastError).toContain("hold timer expired");
    // No graceful restart: the routes go with the session.
    expect(bench.rib.counts("bgp|127.0.6.1").ipv4).toBe(0);
  });

  it("waits 4 minutes for an OPEN (RFC 4271 8.2.2), then sends 4/0", async () => {
    const clock = new VirtualClock(0);
    bench = await startSpeaker({ clock });
    const p = await peer(bench, "127.0.6.2");
    await p.next("OPEN");
    await waitFor(() => bench!.session("127.0.6.2")?.state === "OpenSent");
    clock.advanceTo(239 * S);
    await new Promise((r) => setTimeout(r, 20));
    expect(p.closed).toBe(false);
    clock.advanceTo(240 * S);
    const n = await p.notification();
    expect([n.code, n.subcode]).toEqual([4, 0]);
    await p.waitClosed();
    // A peer that never got past OpenSent is not kept in the list.
    expect(bench.session("127.0.6.2")).toBeUndefined();
  });

  it("runs no hold or keepalive timer when the hold time is 0", async () => {
    const clock = new VirtualClock(0);
    bench = await startSpeaker({ clock });
    const p = await peer(bench, "127.0.6.3");
    await p.establish(peerOpen({ holdTime: 0 }));
    await waitFor(() => bench!.session("127.0.6.3")?.state === "Established");
    clock.advanceTo(3600 * S);
    await new Promise((r) => setTimeout(r, 20));
    expect(bench.session("127.0.6.3")!.state).toBe("Established");
    expect(p.messages.filter((m) => m.type === "KEEPALIVE")).toHaveLength(1);
    expect(bench.session("127.0.6.3")).toMatchObject({ holdTime: 0, keepalive: 0 });
  });
});

describe("unexpected messages: Finite State Machine Error (RFC 6608)", () => {
  it("5/1 for an UPDATE in OpenSent", async () => {
    bench = await startSpeaker();
    const p = await peer(bench, "127.0.6.4");
    p.send(route);
    const n = await p.notification();
    expect([n.code, n.subcode]).toEqual([5, 1]);
    await p.waitClosed();
  });

  it("5/2 for an UPDATE in OpenConfirm", async () => {
    bench = await startSpeaker();
    const p = await peer(bench, "127.0.6.5");
    p.send(peerOpen());
    await p.next("KEEPALIVE");
    p.send(route);
    const n = await p.notification();
    expect([n.code, n.subcode]).toEqual([5, 2]);
  });

  it("5/3 for an OPEN in Established", async () => {
    bench = await startSpeaker();
    const p = await peer(bench, "127.0.6.6");
    await p.establish();
    p.send(peerOpen());
    const n = await p.notification();
    expect([n.code, n.subcode]).toEqual([5, 3]);
    await waitFor(() => bench!.session("127.0.6.6")?.state === "Active");
  });
});

describe("connection collision (RFC 4271 6.8)", () => {
  async function collide(theirId: string): Promise<{ inbound: TestPeer; outbound: TestPeer }> {
    const srv = await testServer("127.0.7.1");
    cleanup.push(() => srv.server.close());
    bench = await startSpeaker({
      bgp: { peers: [{ address: "127.0.7.1", asn: 64512, connect: true, port: srv.port }] },
    });
    await waitFor(() => srv.accepted.length === 1, 2000, "the speaker's outbound connection");
    const outbound = srv.accepted[0]!;
    cleanup.push(() => outbound.destroy());
    await outbound.next("OPEN");
    outbound.send(peerOpen({ bgpId: theirId }));
    await outbound.next("KEEPALIVE");
    await waitFor(() => bench!.session("127.0.7.1")?.state === "OpenConfirm");
    const inbound = await peer(bench, "127.0.7.1");
    inbound.send(peerOpen({ bgpId: theirId }));
    return { inbound, outbound };
  }

  it("keeps the connection the peer opened when its BGP Identifier is higher", async () => {
    const { inbound, outbound } = await collide("10.255.0.1"); // ours is 10.0.0.1
    const n = await outbound.notification();
    expect([n.code, n.subcode]).toEqual([6, 7]);
    await inbound.next("KEEPALIVE");
    inbound.send(encodeKeepalive());
    await waitFor(() => bench!.session("127.0.7.1")?.state === "Established");
    expect(inbound.closed).toBe(false);
  });

  it("keeps the connection we opened when our BGP Identifier is higher", async () => {
    const { inbound, outbound } = await collide("9.0.0.1");
    const n = await inbound.notification();
    expect([n.code, n.subcode]).toEqual([6, 7]);
    outbound.send(encodeKeepalive());
    await waitFor(() => bench!.session("127.0.7.1")?.state === "Established");
    expect(outbound.closed).toBe(false);
  });

  it("keeps an established session against a second connection without graceful restart", async () => {
    bench = await startSpeaker();
    const first = await peer(bench, "127.0.7.2");
    await first.establish();
    await waitFor(() => bench!.session("127.0.7.2")?.state === "Established");
    const second = await peer(bench, "127.0.7.2");
    second.send(peerOpen());
    const n = await second.notification();
    expect([n.code, n.subcode]).toEqual([6, 7]);
    first.send(encodeKeepalive());
    await waitFor(() => bench!.session("127.0.7.2")!.messages.in >= 4);
    expect(bench.session("127.0.7.2")!.state).toBe("Established");
    expect(first.closed).toBe(false);
  });

  it("treats a new OPEN from a graceful-restart peer as a restart: the old session goes", async () => {
    bench = await startSpeaker();
    const open = peerOpen({ caps: standardCaps(64512, [grCap(120)]) });
    const first = await peer(bench, "127.0.7.3");
    await first.establish(open);
    await waitFor(() => bench!.session("127.0.7.3")?.state === "Established");
    const second = await peer(bench, "127.0.7.3");
    await second.establish(open);
    await first.waitClosed();
    expect(first.messages.some((m) => m.type === "NOTIFICATION")).toBe(false);
    await waitFor(() => bench!.session("127.0.7.3")?.state === "Established");
    expect(second.closed).toBe(false);
  });
});

describe("connecting out", () => {
  it("retries after ConnectRetry, backing off to a bound", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.8.1", () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const clock = new VirtualClock(0);
    bench = await startSpeaker({
      clock,
      bgp: { connectRetry: 10, peers: [{ address: "127.0.8.1", connect: true, port }] },
    });
    const attempts = (): Promise<number> =>
      counter(bench!.metrics, "sessionTransitions", { peer: "127.0.8.1", state: "Connect" });
    const settle = async (n: number): Promise<void> => {
      await waitFor(() => bench!.session("127.0.8.1")?.state === "Active");
      expect(await attempts()).toBe(n);
    };
    await settle(1);
    const at: number[] = [];
    for (let n = 2; n <= 6; n++) {
      const due = clock.nextDue()!;
      at.push(due / S);
      clock.advanceTo(due);
      await settle(n);
    }
    // 10, 20, 40, 80 s between attempts, then capped at 8 x ConnectRetry.
    expect(at).toEqual([10, 30, 70, 150, 230]);
    expect(bench.session("127.0.8.1")!.lastError).toBeUndefined();
  });
});
