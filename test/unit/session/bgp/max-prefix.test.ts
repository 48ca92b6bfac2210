import { afterAll, afterEach, describe, expect, it } from "vitest";
import { attr, encodeUpdate } from "../../../../codec/bgp/index.js";
import { VirtualClock } from "../../../../src/core/clock.js";
import { maxPrefixData, MaxPrefixGuard } from "../../../../src/session/bgp/max-prefix.js";
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
const base = [attr.origin("IGP"), attr.asPath([]), attr.nextHop("10.10.0.1")];
const v4 = (from: number, n: number): Buffer =>
  encodeUpdate({
    attributes: base,
    nlri: Array.from({ length: n }, (_, i) => ({ prefix: `10.208.${from + i}.0/24` })),
  });
const v6 = (from: number, n: number): Buffer =>
  encodeUpdate({
    attributes: [
      attr.origin("IGP"),
      attr.asPath([]),
      attr.mpReach(
        2,
        1,
        ["2001:db8::1"],
        Array.from({ length: n }, (_, i) => ({ prefix: `2001:db8:${(from + i).toString(16)}::/48` })),
      ),
    ],
  });

describe("MaxPrefixGuard", () => {
  it("warns once at the fraction and reports exceeding above the limit", () => {
    const g = new MaxPrefixGuard(10, 0.8);
    expect([7, 8, 9, 10, 11].map((n) => g.check(n))).toEqual(["ok", "warning", "ok", "ok", "exceeded"]);
    expect(new MaxPrefixGuard(0, 0.8).check(1e9)).toBe("ok");
  });

  it("encodes RFC 4486 data as AFI (2 bytes), SAFI (1 byte), limit (4 bytes)", () => {
    expect(maxPrefixData(2, 1, 70000).toString("hex")).toBe("00020100011170");
  });
});

describe("max-prefix on a session (RFC 4486)", () => {
  it("warns at 80 %, then sends Cease 6/1 with AFI/SAFI/limit and refuses the peer for the idle hold", async () => {
    const clock = new VirtualClock(0);
    bench = await startSpeaker({
      clock,
      bgp: { maxPrefixes: 100, peers: [{ address: "127.0.10.1", maxPrefixes: 10 }], maxPrefixIdleHold: 60 },
    });
    const p = await TestPeer.connect(bench.port, "127.0.10.1");
    peers.push(p);
    await p.establish();
    await waitFor(() => bench!.session("127.0.10.1")?.state === "Established");
    p.send(v4(0, 7));
    await waitFor(() => bench!.rib.counts("bgp|127.0.10.1").ipv4 === 7);
    expect(await counter(bench.metrics, "maxPrefixEvents", { event: "warning" })).toBe(0);
    p.send(v6(0, 1));
    await waitFor(() => bench!.rib.counts("bgp|127.0.10.1").ipv6 === 1);
    expect(await counter(bench.metrics, "maxPrefixEvents", { peer: "127.0.10.1", event: "warning" })).toBe(1);
    expect(bench.logs.filter((l) => String(l.msg).includes("near its limit of 10"))).toHaveLength(1);
    p.send(v4(7, 2)); // 10: at the limit, no second warning
    await waitFor(() => bench!.rib.counts("bgp|127.0.10.1").ipv4 === 9);
    expect(await counter(bench.metrics, "maxPrefixEvents", { event: "warning" })).toBe(1);
    p.send(v6(1, 1)); // 11
    const n = await p.notification();
    expect([n.code, n.subcode]).toEqual([6, 1]);
    expect(n.data.toString("hex")).toBe("0002" + "01" + "0000000a"); // IPv6 unicast crossed 10
    await p.waitClosed();
    expect(await counter(bench.metrics, "maxPrefixEvents", { event: "exceeded" })).toBe(1);
    expect(bench.rib.counts("bgp|127.0.10.1")).toEqual({ ipv4: 0, ipv6: 0 });
    expect(bench.session("127.0.10.1")!.state).toBe("Idle");

    // Refused during the idle hold ...
    const again = await TestPeer.connect(bench.port, "127.0.10.1");
    peers.push(again);
    expect(await again.next()).toMatchObject({ type: "NOTIFICATION", code: 6, subcode: 5 });
    expect(await counter(bench.metrics, "rejectedConnections", { reason: "idle-hold" })).toBe(1);
    // ... and welcome after it.
    clock.advanceTo(60 * S);
    expect(bench.session("127.0.10.1")!.state).toBe("Active");
    const later = await TestPeer.connect(bench.port, "127.0.10.1");
    peers.push(later);
    await later.establish(peerOpen());
    await waitFor(() => bench!.session("127.0.10.1")?.state === "Established");
  });

  it("uses bgp.maxPrefixes for peers without their own limit", async () => {
    bench = await startSpeaker({ bgp: { maxPrefixes: 3 } });
    const p = await TestPeer.connect(bench.port, "127.0.10.2");
    peers.push(p);
    await p.establish();
    p.send(v4(0, 4));
    const n = await p.notification();
    expect([n.code, n.subcode]).toEqual([6, 1]);
    expect(n.data.toString("hex")).toBe("00010100000003");
  });
});
