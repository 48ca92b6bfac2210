import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  attr,
  encodeEndOfRib,
  encodeShutdownNotification,
  encodeUpdate,
} from "../../../../codec/bgp/index.js";
import { VirtualClock } from "../../../../src/core/clock.js";
import {
  expectPassive,
  grCap,
  peerOpen,
  standardCaps,
  startSpeaker,
  TestPeer,
  waitFor,
  type Bench,
} from "./harness.js";

let bench: Bench | undefined;
const peers: TestPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.destroy();
  await bench?.stop();
  bench = undefined;
});
afterAll(() => expectPassive());

const S = 1_000_000;
const ADDR = "127.0.11.1";
const ID = `bgp|${ADDR}`;
const base = [attr.origin("IGP"), attr.asPath([]), attr.nextHop("10.10.0.1")];
const v4 = (...prefixes: string[]): Buffer =>
  encodeUpdate({ attributes: base, nlri: prefixes.map((prefix) => ({ prefix })) });
const v6 = (...prefixes: string[]): Buffer =>
  encodeUpdate({
    attributes: [
      attr.origin("IGP"),
      attr.asPath([]),
      attr.mpReach(
        2,
        1,
        ["2001:db8::1"],
        prefixes.map((prefix) => ({ prefix })),
      ),
    ],
  });
const grOpen = (restartTime = 120, forwarding = true, restarting = false): Buffer =>
  peerOpen({ caps: standardCaps(64512, [grCap(restartTime, forwarding, restarting)]) });

async function connectPeer(open: Buffer): Promise<TestPeer> {
  const p = await TestPeer.connect(bench!.port, ADDR);
  peers.push(p);
  await p.establish(open);
  await waitFor(() => bench!.session(ADDR)?.state === "Established", 2000, "Established");
  return p;
}

/** A session with 10.208.1.1, 10.208.1.2 and 2001:db8:1::/48, then dropped without NOTIFICATION. */
async function dropWithRoutes(open: Buffer): Promise<void> {
  const p = await connectPeer(open);
  p.send(v4("10.208.1.1/32", "10.208.1.2/32"), v6("2001:db8:1::/48"));
  await waitFor(() => bench!.rib.counts(ID).ipv4 === 2 && bench!.rib.counts(ID).ipv6 === 1);
  p.destroy();
  await waitFor(() => bench!.session(ADDR)?.state === "Active");
}

const stale = (): string[] =>
  [...bench!.rib.paths(ID)]
    .filter((p) => p.stale)
    .map((p) => p.prefix)
    .sort();
const prefixes = (): string[] => [...bench!.rib.paths(ID)].map((p) => p.prefix).sort();

describe("graceful restart receiver (RFC 4724 4.2)", () => {
  it("keeps routes stale, refreshes what comes back and sweeps the rest on End-of-RIB per family", async () => {
    bench = await startSpeaker();
    await dropWithRoutes(grOpen());
    expect(stale()).toEqual(["10.208.1.1/32", "10.208.1.2/32", "2001:db8:1::/48"]);
    expect(bench.session(ADDR)!.gracefulRestart).toMatchObject({ state: "restarting", restartTime: 120 });

    const p = await connectPeer(grOpen(120, true, true));
    expect(bench.session(ADDR)!.gracefulRestart.state).toBe("refreshing");
    p.send(v4("10.208.1.1/32"));
    await waitFor(() => stale().length === 2);
    expect(stale()).toEqual(["10.208.1.2/32", "2001:db8:1::/48"]);
    p.send(encodeEndOfRib(1, 1));
    await waitFor(() => prefixes().length === 2);
    expect(prefixes()).toEqual(["10.208.1.1/32", "2001:db8:1::/48"]);
    expect(stale()).toEqual(["2001:db8:1::/48"]);
    expect(bench.rib.isSynced(ID)).toBe(false); // IPv6 End-of-RIB still owed
    p.send(encodeEndOfRib(2, 1));
    await waitFor(() => prefixes().length === 1);
    expect(prefixes()).toEqual(["10.208.1.1/32"]);
    expect(bench.session(ADDR)!.gracefulRestart.state).toBe("none");
    expect(bench.rib.isSynced(ID)).toBe(true);
  });

  it("withdraws the stale routes when the restart time passes", async () => {
    const clock = new VirtualClock(0);
    bench = await startSpeaker({ clock });
    await dropWithRoutes(grOpen(30));
    clock.advanceTo(29 * S);
    expect(prefixes()).toHaveLength(3);
    clock.advanceTo(30 * S);
    expect(prefixes()).toEqual([]);
    expect(bench.session(ADDR)!.gracefulRestart.state).toBe("none");
  });

  it("withdraws stale routes of families the new OPEN does not preserve (no F bit)", async () => {
    bench = await startSpeaker();
    await dropWithRoutes(grOpen());
    await connectPeer(grOpen(120, false, true));
    expect(prefixes()).toEqual([]);
  });

  it("withdraws all stale routes when the new OPEN has no graceful restart", async () => {
    bench = await startSpeaker();
    await dropWithRoutes(grOpen());
    await connectPeer(peerOpen());
    expect(prefixes()).toEqual([]);
  });

  it("sweeps what is still stale after the stale path time without End-of-RIB", async () => {
    const clock = new VirtualClock(0);
    bench = await startSpeaker({ clock, bgp: { stalePathTime: 100 } });
    await dropWithRoutes(grOpen());
    // Hold time 0 so that only the stale path timer runs while the clock jumps.
    const p = await connectPeer(
      peerOpen({ holdTime: 0, caps: standardCaps(64512, [grCap(120, true, true)]) }),
    );
    p.send(v4("10.208.1.2/32"));
    await waitFor(() => stale().length === 2);
    clock.advanceTo(99 * S);
    expect(prefixes()).toHaveLength(3);
    clock.advanceTo(100 * S);
    expect(prefixes()).toEqual(["10.208.1.2/32"]);
    expect(bench.session(ADDR)!.state).toBe("Established");
  });

  it("withdraws everything at once when a NOTIFICATION ends the session", async () => {
    bench = await startSpeaker();
    const p = await connectPeer(grOpen());
    p.send(v4("10.208.1.1/32"));
    await waitFor(() => bench!.rib.counts(ID).ipv4 === 1);
    p.send(encodeShutdownNotification(2, "bye"));
    await waitFor(() => bench!.session(ADDR)?.state === "Active");
    expect(prefixes()).toEqual([]);
  });

  it("withdraws everything at once for a peer without graceful restart", async () => {
    bench = await startSpeaker();
    await dropWithRoutes(peerOpen());
    expect(prefixes()).toEqual([]);
    expect(bench.session(ADDR)!.gracefulRestart).toEqual({ peerCapable: false, families: [], state: "none" });
  });

  it("withdraws everything at once for a peer that is only restart aware (capability without families)", async () => {
    bench = await startSpeaker();
    const aware = { ...grCap(120), families: [] };
    await dropWithRoutes(peerOpen({ caps: standardCaps(64512, [aware]) }));
    expect(prefixes()).toEqual([]);
    expect(bench.session(ADDR)!.gracefulRestart).toEqual({
      peerCapable: true,
      restartTime: 120,
      families: [],
      state: "none",
    });
  });
});
