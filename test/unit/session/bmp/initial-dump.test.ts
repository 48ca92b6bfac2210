/**
 * When a monitored peer's initial dump counts as complete: at End-of-RIB for every negotiated family
 * (RFC 7854 5), or after bmp.initialDumpQuiet seconds without ROUTE-MONITORING for the peer (the
 * routers in fixtures/captures sent no End-of-RIB). The real streams are cut where needed and the
 * End-of-RIB markers built with the codec's encoders on the captured per-peer headers.
 */
import { afterEach, describe, expect, it } from "vitest";
import { encodeEndOfRib } from "../../../../codec/bgp/index.js";
import { decodeBmp, encodeBmp, type BmpPeerHeader } from "../../../../codec/bmp/index.js";
import { VirtualClock } from "../../../../src/core/clock.js";
import { startCollector, type TestCollector } from "./setup.js";
import { bmpMessages, RouterClient, waitFor } from "./streams.js";

const CALICO = bmpMessages("calico-bmp.pcapng");
const FRR6 = bmpMessages("frr-bmp-ipv6-peer.pcapng");
const T0 = 1_800_000_000_000_000;

let c: TestCollector | undefined;
let clients: RouterClient[] = [];
afterEach(async () => {
  for (const client of clients) client.socket.destroy();
  await c?.collector.stop();
  c = undefined;
  clients = [];
});

async function setup(
  host = "127.0.0.1",
): Promise<{ c: TestCollector; clock: VirtualClock; client: RouterClient }> {
  const clock = new VirtualClock(T0);
  c = await startCollector({ host, clock, quiet: 5 });
  const client = await RouterClient.connect(c.port, host, { seed: 7 });
  clients.push(client);
  return { c, clock, client };
}

async function feed(t: TestCollector, client: RouterClient, messages: Buffer[]): Promise<void> {
  const count = (): number => t.collector.routers()[0]?.messages ?? 0;
  const before = count();
  await client.send(messages);
  await waitFor(() => count() === before + messages.length);
}

type Decoded = ReturnType<typeof decodeBmp>;

/** Index just after the first run of consecutive messages matching `test`, from `from` on. */
function after(messages: Buffer[], test: (m: Decoded) => boolean, from = 0): number {
  let i = messages.findIndex((m, j) => j >= from && test(decodeBmp(m)));
  if (i < 0) throw new Error("no such message");
  while (i < messages.length && test(decodeBmp(messages[i]!))) i++;
  return i;
}

function header(messages: Buffer[], address: string, postPolicy: boolean): BmpPeerHeader {
  for (const m of messages) {
    const d = decodeBmp(m);
    if (d.type === "ROUTE-MONITORING" && d.peer.address === address && d.peer.postPolicy === postPolicy)
      return d.peer;
  }
  throw new Error(`no ROUTE-MONITORING for ${address}`);
}

function endOfRib(peer: BmpPeerHeader, afi: number): Buffer {
  return encodeBmp({ type: "ROUTE-MONITORING", peer: { ...peer, tsMicros: 0 }, bgp: encodeEndOfRib(afi, 1) });
}

const pre = (router: string, peer: string): string => `bmp-pre|${router}|0:0|${peer}`;
const post = (router: string, peer: string): string => `bmp-post|${router}|0:0|${peer}`;

describe("initial dump", () => {
  it("a view is synced at its End-of-RIB, each view on its own", async () => {
    const { c, client } = await setup();
    // Up to node1's first routes (INITIATION, PEER-DOWN x3, PEER-UP x3, 4 ROUTE-MONITORING).
    const upTo = after(CALICO, (m) => m.type === "ROUTE-MONITORING" && m.peer.address === "127.0.1.1");
    expect(upTo).toBe(11);
    await feed(c, client, CALICO.slice(0, upTo));
    const peer = (): unknown => c.collector.routers()[0]!.peers.find((p) => p.address === "127.0.1.1");
    expect(c.rib.isSynced(post("127.0.0.1", "127.0.1.1"))).toBe(false);
    expect(peer()).toMatchObject({ synced: false, session: { negotiated: { families: ["ipv4-unicast"] } } });

    await feed(c, client, [endOfRib(header(CALICO, "127.0.1.1", true), 1)]);
    expect(c.rib.isSynced(post("127.0.0.1", "127.0.1.1"))).toBe(true);
    expect(c.rib.isSynced(pre("127.0.0.1", "127.0.1.1"))).toBe(false);
    expect(c.rib.isSynced(post("127.0.0.1", "127.0.1.2"))).toBe(false);

    await feed(c, client, [endOfRib(header(CALICO, "127.0.1.1", false), 1)]);
    expect(c.rib.isSynced(pre("127.0.0.1", "127.0.1.1"))).toBe(true);
    expect(peer()).toMatchObject({ synced: true });
    // End-of-RIB changes no route.
    expect(c.rib.counts(post("127.0.0.1", "127.0.1.1"))).toEqual({ ipv4: 2, ipv6: 0 });
  });

  it("with IPv4 and IPv6 negotiated, a view needs an End-of-RIB for both", async () => {
    const { c, client } = await setup("::1");
    const upTo = after(FRR6, (m) => m.type === "ROUTE-MONITORING" && m.peer.address === "::1");
    await feed(c, client, FRR6.slice(0, upTo));
    const info = c.collector.routers()[0]!.peers.find((p) => p.address === "::1")!;
    expect(info.session?.negotiated.families).toEqual(["ipv4-unicast", "ipv6-unicast"]);
    const h = header(FRR6, "::1", true);
    await feed(c, client, [endOfRib(h, 1)]);
    expect(c.rib.isSynced(post("::1", "::1"))).toBe(false);
    await feed(c, client, [endOfRib(h, 2)]);
    expect(c.rib.isSynced(post("::1", "::1"))).toBe(true);
    expect(c.rib.isSynced(pre("::1", "::1"))).toBe(false);
  });

  it("without End-of-RIB, a peer's views are synced after bmp.initialDumpQuiet seconds of quiet", async () => {
    const { c, clock, client } = await setup();
    const upTo = after(CALICO, (m) => m.type === "ROUTE-MONITORING" && m.peer.address === "127.0.1.1");
    await feed(c, client, CALICO.slice(0, upTo)); // PEER-UP and the first routes at T0
    const synced = (peer: string): boolean[] =>
      [pre, post].map((view) => c.rib.isSynced(view("127.0.0.1", peer)));

    clock.advanceTo(T0 + 4_000_000);
    expect(synced("127.0.1.1")).toEqual([false, false]);
    // Node1 announces 10.208.1.5/32 at T0 + 4 s: the quiet period starts again.
    const next = CALICO.findIndex((m, i) => {
      const d = decodeBmp(m);
      return i >= upTo && d.type === "ROUTE-MONITORING" && d.peer.address === "127.0.1.1";
    });
    // node2 and node3 have routes before that: they stay unsynced until their own quiet period ends.
    await feed(c, client, CALICO.slice(upTo, next + 2));
    clock.advanceTo(T0 + 8_000_000);
    expect(synced("127.0.1.1")).toEqual([false, false]);
    expect(synced("127.0.1.2")).toEqual([false, false]); // its routes came at T0 + 4 s as well
    clock.advanceTo(T0 + 9_000_001);
    expect(synced("127.0.1.1")).toEqual([true, true]);
    expect(synced("127.0.1.2")).toEqual([true, true]);
    expect(c.collector.routers()[0]!.peers.every((p) => p.synced)).toBe(true);

    // Node3's session restarts: PEER-DOWN forgets the sync, the new dump must go quiet again.
    const down = after(CALICO, (m) => m.type === "PEER-DOWN" && m.peer.address === "127.0.1.3", 4);
    const reup = after(CALICO, (m) => m.type === "PEER-UP" && m.peer.address === "127.0.1.3", down);
    const firstAfter = CALICO.findIndex((m, i) => i >= reup && decodeBmp(m).type === "ROUTE-MONITORING");
    await feed(c, client, CALICO.slice(next + 2, firstAfter + 2));
    expect(synced("127.0.1.3")).toEqual([false, false]);
    clock.advanceTo(T0 + 14_000_002);
    expect(synced("127.0.1.3")).toEqual([true, true]);
  });

  it("a view that first appears after the dump went quiet is synced at once (Adj-RIB-Out, RFC 8671)", async () => {
    const { c, clock, client } = await setup();
    const upTo = after(CALICO, (m) => m.type === "ROUTE-MONITORING" && m.peer.address === "127.0.1.1");
    await feed(c, client, CALICO.slice(0, upTo));
    clock.advanceTo(T0 + 5_000_000);
    const route = decodeBmp(CALICO[upTo - 1]!);
    if (route.type !== "ROUTE-MONITORING") throw new Error("not reached");
    const out = (postPolicy: boolean): Buffer =>
      encodeBmp({ ...route, peer: { ...route.peer, adjRibOut: true, postPolicy } });
    await feed(c, client, [out(false), out(true)]);
    for (const policy of ["pre", "post"]) {
      const id = `bmp-out|127.0.0.1|0:0|127.0.1.1|${policy}`;
      expect([...c.rib.paths(id)].map((p) => p.prefix)).toEqual(["192.168.1.0/26"]);
      expect(c.rib.isSynced(id)).toBe(true);
    }
    expect(c.rib.peer("bmp-out|127.0.0.1|0:0|127.0.1.1|pre")?.source).toBe("bmp-out");
  });

  it("stop() cancels the quiet timers", async () => {
    const { c, clock, client } = await setup();
    await feed(c, client, CALICO.slice(0, 12));
    expect(clock.nextDue()).toBeDefined();
    await c.collector.stop();
    expect(clock.nextDue()).toBeUndefined();
  });
});
