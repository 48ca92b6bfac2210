/**
 * The BMP collector fed over real TCP sockets with the BMP streams of real routers (FRR 8.4 and
 * GoBGP 3.10 captures), cut in random chunks. The Rib is compared with the tables an independent
 * model computes from the same decoded messages.
 */
import { afterEach, describe, expect, it } from "vitest";
import { decodeBmp, encodeBmp, type BmpMessage } from "../../../../codec/bmp/index.js";
import { StreamModel } from "./model.js";
import { startCollector, type TestCollector } from "./setup.js";
import { bmpMessages, RouterClient, waitFor } from "./streams.js";

const CALICO = bmpMessages("calico-bmp.pcapng"); // FRR ToR, 3 BIRD nodes, pre and post policy
const GOBGP = bmpMessages("gobgp-bmp-locrib.pcap"); // GoBGP, Loc-RIB, ends with TERMINATION
const FRR6 = bmpMessages("frr-bmp-ipv6-peer.pcapng"); // FRR over IPv6, peer ::1, mirroring

const decoded = (messages: Buffer[]): BmpMessage[] => messages.map((m) => decodeBmp(m));

let open: { c?: TestCollector; clients: RouterClient[] } = { clients: [] };
afterEach(async () => {
  for (const client of open.clients) client.socket.destroy();
  await open.c?.collector.stop();
  open = { clients: [] };
});

async function collector(opts?: Parameters<typeof startCollector>[0]): Promise<TestCollector> {
  open.c = await startCollector(opts);
  return open.c;
}

async function router(
  c: TestCollector,
  opts: { localAddress?: string; seed?: number } = {},
): Promise<RouterClient> {
  const client = await RouterClient.connect(c.port, c.host, opts);
  open.clients.push(client);
  return client;
}

/** Messages the collector has read from `address` (0 when it is not connected). */
function received(c: TestCollector, address: string): number {
  return c.collector.routers().find((r) => r.address === address)?.messages ?? 0;
}

/** Sends `messages`, waits until the collector has read them all. */
async function feed(
  c: TestCollector,
  client: RouterClient,
  address: string,
  messages: Buffer[],
): Promise<void> {
  const before = received(c, address);
  await client.send(messages);
  await waitFor(() => received(c, address) === before + messages.length, 3000, `${address} messages`);
}

/** Cut points that split the stream in `parts` pieces (the last one at the end). */
function cuts(length: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.round(((i + 1) * length) / parts));
}

describe("replaying real BMP streams", () => {
  it("FRR (calico-bmp): pre- and post-policy views match the messages at every step", async () => {
    const c = await collector();
    const client = await router(c, { seed: 11 });
    let sent = 0;
    let maxPaths = 0;
    for (const cut of cuts(CALICO.length, 12)) {
      await feed(c, client, "127.0.0.1", CALICO.slice(sent, cut));
      sent = cut;
      const model = new StreamModel("127.0.0.1").applyAll(CALICO.slice(0, cut));
      expect(c.snapshot("127.0.0.1")).toEqual(model.snapshot());
      maxPaths = Math.max(
        maxPaths,
        model.snapshot().reduce((n, [, paths]) => n + paths.length, 0),
      );
    }
    expect(maxPaths).toBeGreaterThanOrEqual(12); // the comparison saw real tables, not just empty ones
    const info = c.collector.routers()[0]!;
    expect(info).toMatchObject({ address: "127.0.0.1", sysName: "tor", sysDescr: "FRRouting 8.4.4" });
    expect(info.messages).toBe(CALICO.length);
    // The router's own BGP ID comes from the OPEN it sent (FRR's BMP source address is 127.0.0.1).
    expect(info.bgpIds).toEqual(["127.0.2.1"]);
    // The capture ends with every node's session closed by a NOTIFICATION from the node.
    expect(info.peers.map((p) => [p.address, p.state, p.down?.name, p.down?.notification?.codeName])).toEqual(
      [
        ["127.0.1.1", "down", "remote-notification", "Cease"],
        ["127.0.1.2", "down", "remote-notification", "Cease"],
        ["127.0.1.3", "down", "remote-notification", "Cease"],
      ],
    );
    // Every message reached the recorder hook, byte for byte.
    expect(c.records.map((r) => r.bytes)).toEqual(CALICO);
    expect(c.records[0]).toMatchObject({
      router: "127.0.0.1",
      collector: "127.0.0.1",
      collectorPort: c.port,
    });
  });

  it("GoBGP (gobgp-bmp-locrib): Loc-RIB, pre and post policy stay apart; TERMINATION clears the router", async () => {
    const c = await collector();
    const client = await router(c, { seed: 12 });
    const termination = GOBGP.findIndex((m) => decodeBmp(m).type === "TERMINATION");
    expect(termination).toBe(GOBGP.length - 1);
    let sent = 0;
    for (const cut of cuts(termination, 6)) {
      await feed(c, client, "127.0.0.1", GOBGP.slice(sent, cut));
      sent = cut;
      expect(c.snapshot("127.0.0.1")).toEqual(
        new StreamModel("127.0.0.1").applyAll(GOBGP.slice(0, cut)).snapshot(),
      );
    }
    // Before the end: the import policy rejects 10.208.9.0/24, so it is only in the pre-policy view.
    const at = new StreamModel("127.0.0.1").applyAll(GOBGP.slice(0, termination - 10));
    const pre = at.tables.get("bmp-pre|127.0.0.1|0:0|127.0.4.1");
    expect(pre?.has("10.208.9.0/24")).toBe(true);
    expect(at.tables.get("bmp-post|127.0.0.1|0:0|127.0.4.1")?.has("10.208.9.0/24")).toBe(false);
    // Loc-RIB is named by the router's BGP ID (its per-peer header address is 0.0.0.0, RFC 9069).
    expect(at.tables.has("bmp-locrib|127.0.0.1|0:0|127.0.3.1")).toBe(true);

    const info = c.collector.routers()[0]!;
    expect(info).toMatchObject({ sysName: "gobgp-lab", sysDescr: "GoBGP 3.10 routewatch fixture" });
    expect(info.bgpIds.sort()).toEqual(["127.0.3.1"]);
    const locrib = info.peers.find((p) => p.type === "loc-rib-instance")!;
    expect(locrib.views.map((v) => [v.source, v.policy])).toEqual([["bmp-locrib", "loc-rib"]]);

    await client.send(GOBGP.slice(termination));
    await client.closed; // the collector closes the connection after TERMINATION
    await waitFor(() => c.collector.routers().length === 0, 3000, "router gone");
    expect(c.rib.peers().filter((p) => p.router === "127.0.0.1")).toEqual([]);
    expect(c.routerEvents).toEqual([
      ["127.0.0.1", "up"],
      ["127.0.0.1", "down"],
    ]);
  });

  it("FRR over IPv6 (frr-bmp-ipv6-peer): an IPv6 router and peer, IPv4 routes without a next hop", async () => {
    const c = await collector({ host: "::1" });
    const client = await router(c, { seed: 13 });
    let sent = 0;
    for (const cut of cuts(FRR6.length, 8)) {
      await feed(c, client, "::1", FRR6.slice(sent, cut));
      sent = cut;
      expect(c.snapshot("::1")).toEqual(new StreamModel("::1").applyAll(FRR6.slice(0, cut)).snapshot());
    }
    // Before the final PEER-DOWN: 10.208.1.60/32 (next hop 2001:db8::60 on the BGP session) is
    // re-encoded by FRR without any next hop attribute; a monitor keeps it (no treat-as-withdraw).
    const beforeDown = FRR6.length - 1;
    const model = new StreamModel("::1").applyAll(FRR6.slice(0, beforeDown));
    expect(model.tables.get("bmp-post|::1|0:0|::1")?.get("10.208.1.60/32")).toBe("");
    expect(model.tables.get("bmp-pre|::1|0:0|::1")?.get("10.208.1.60/32")).toBe("");
    const info = c.collector.routers()[0]!;
    expect(info).toMatchObject({ address: "::1", sysName: "tor6" });
    expect(info.peers.find((p) => p.address === "::1")).toMatchObject({
      state: "down",
      down: { name: "remote-no-data" },
    });
  });
});

describe("router and peer lifecycle", () => {
  it("PEER-DOWN clears that peer's views only; its next PEER-UP starts afresh", async () => {
    const c = await collector();
    const client = await router(c, { seed: 21 });
    const msgs = decoded(CALICO);
    const down3 = msgs.findIndex(
      (m) => m.type === "PEER-DOWN" && m.peer.address === "127.0.1.3" && m.reason === 3,
    );
    await feed(c, client, "127.0.0.1", CALICO.slice(0, down3));
    const ids = (addr: string): string[] =>
      c
        .snapshot("127.0.0.1")
        .filter(([id]) => id.endsWith(`|${addr}`))
        .map(([id]) => id);
    expect(ids("127.0.1.3").sort()).toEqual([
      "bmp-post|127.0.0.1|0:0|127.0.1.3",
      "bmp-pre|127.0.0.1|0:0|127.0.1.3",
    ]);
    const others = c.snapshot("127.0.0.1").filter(([id]) => !id.endsWith("|127.0.1.3"));
    await feed(c, client, "127.0.0.1", CALICO.slice(down3, down3 + 1));
    expect(ids("127.0.1.3")).toEqual([]);
    expect(c.snapshot("127.0.0.1")).toEqual(others);
    const peer3 = c.collector.routers()[0]!.peers.find((p) => p.address === "127.0.1.3")!;
    expect(peer3).toMatchObject({ state: "down", views: [], down: { code: 3, name: "remote-notification" } });
    expect(peer3.down?.notification).toMatchObject({ code: 6, codeName: "Cease" });
  });

  it("closing the socket withdraws everything the router reported", async () => {
    const c = await collector();
    const client = await router(c, { seed: 22 });
    const until = CALICO.length - 3; // before the final PEER-DOWNs
    await feed(c, client, "127.0.0.1", CALICO.slice(0, until));
    expect(c.snapshot("127.0.0.1").length).toBe(6);
    const events: string[] = [];
    c.rib.onRoute((e) => events.push(e.action));
    client.end();
    await waitFor(() => c.collector.routers().length === 0, 3000, "router gone");
    expect(c.rib.peers().filter((p) => p.router === "127.0.0.1")).toEqual([]);
    const model = new StreamModel("127.0.0.1").applyAll(CALICO.slice(0, until)).snapshot();
    expect(events).toEqual(Array(model.reduce((n, [, p]) => n + p.length, 0)).fill("withdraw"));
    expect(c.routerEvents.at(-1)).toEqual(["127.0.0.1", "down"]);
  });

  it("a reconnect (old connection still open) rebuilds from the new stream: one copy, no leftovers", async () => {
    const c = await collector();
    const until = CALICO.length - 3;
    const first = await router(c, { seed: 23 });
    await feed(c, first, "127.0.0.1", CALICO.slice(0, until));
    const full = new StreamModel("127.0.0.1").applyAll(CALICO.slice(0, until)).snapshot();
    expect(c.snapshot("127.0.0.1")).toEqual(full);

    // The same stream again: exactly one copy of each route.
    const second = await router(c, { seed: 24 });
    await first.closed; // the half-open leftover is dropped when the router comes back
    await second.send(CALICO.slice(0, until));
    await waitFor(() => received(c, "127.0.0.1") === until, 3000, "replay read");
    expect(c.collector.routers()).toHaveLength(1);
    expect(c.snapshot("127.0.0.1")).toEqual(full);
    const paths = (): number => c.rib.peers().reduce((n, p) => n + [...c.rib.paths(p.id)].length, 0);
    expect(paths()).toBe(full.reduce((n, [, p]) => n + p.length, 0));
    expect(c.collector.routers()[0]!.peers.filter((p) => p.state === "up")).toHaveLength(3);

    // A shorter stream: what the old connection reported and the new one does not is gone.
    const third = await router(c, { seed: 25 });
    await second.closed;
    const short = CALICO.findIndex((m) => {
      const d = decodeBmp(m);
      return d.type === "ROUTE-MONITORING" && d.peer.address === "127.0.1.2";
    });
    await third.send(CALICO.slice(0, short));
    await waitFor(() => received(c, "127.0.0.1") === short, 3000, "short replay read");
    const partial = new StreamModel("127.0.0.1").applyAll(CALICO.slice(0, short)).snapshot();
    expect(partial).not.toEqual(full);
    expect(c.snapshot("127.0.0.1")).toEqual(partial);
  });

  it("two routers at once stay apart; garbage from one closes only that one", async () => {
    const c = await collector();
    const a = await router(c, { localAddress: "127.41.0.1", seed: 31 });
    const b = await router(c, { localAddress: "127.41.0.2", seed: 32 });
    const untilA = CALICO.length - 3;
    const untilB = GOBGP.length - 1;
    await Promise.all([a.send(CALICO.slice(0, untilA)), b.send(GOBGP.slice(0, 15))]);
    await waitFor(() => received(c, "127.41.0.1") === untilA && received(c, "127.41.0.2") === 15);
    const modelA = new StreamModel("127.41.0.1").applyAll(CALICO.slice(0, untilA)).snapshot();
    const modelB = new StreamModel("127.41.0.2").applyAll(GOBGP.slice(0, 15)).snapshot();
    expect(c.snapshot("127.41.0.1")).toEqual(modelA);
    expect(c.snapshot("127.41.0.2")).toEqual(modelB);

    // Router B sends more, then bytes that are not BMP (version 7): its connection is closed.
    await b.send([...GOBGP.slice(15, untilB), Buffer.from([7, 0, 0, 0, 6, 0, 1, 2, 3])]);
    await b.closed;
    await waitFor(() => c.collector.routers().length === 1, 3000, "router B gone");
    expect(c.snapshot("127.41.0.2")).toEqual([]);
    expect(await c.counter("routewatch_decode_errors_total", { transport: "bmp", kind: "bmp.version" })).toBe(
      1,
    );
    // Router A is untouched and keeps streaming.
    expect(c.snapshot("127.41.0.1")).toEqual(modelA);
    await a.send(CALICO.slice(untilA, untilA + 1));
    await waitFor(() => received(c, "127.41.0.1") === untilA + 1);
    expect(c.collector.routers().map((r) => r.address)).toEqual(["127.41.0.1"]);
  });

  it("a ROUTE-MONITORING whose BGP PDU does not decode is counted and skipped", async () => {
    const c = await collector();
    const client = await router(c, { seed: 41 });
    const msgs = decoded(CALICO);
    const firstRoute = msgs.findIndex((m) => m.type === "ROUTE-MONITORING");
    const rm = msgs[firstRoute]!;
    if (rm.type !== "ROUTE-MONITORING") throw new Error("not reached");
    // Withdrawn Routes Length 0xffff overruns the UPDATE (RFC 7606 4: unparseable).
    const badPdu = Buffer.from(rm.bgp);
    badPdu.writeUInt16BE(0xffff, 19);
    const bad = encodeBmp({ ...rm, bgp: badPdu });
    const stream = [...CALICO.slice(0, firstRoute), bad, ...CALICO.slice(firstRoute, CALICO.length - 3)];
    await feed(c, client, "127.0.0.1", stream);
    expect(
      await c.counter("routewatch_decode_errors_total", { transport: "bmp", kind: "bgp.update.lengths" }),
    ).toBe(1);
    expect(c.snapshot("127.0.0.1")).toEqual(
      new StreamModel("127.0.0.1").applyAll(CALICO.slice(0, CALICO.length - 3)).snapshot(),
    );
    expect(c.collector.routers()).toHaveLength(1); // still connected
  });

  it("refuses routers outside bmp.allowRouters and counts them", async () => {
    const c = await collector({ allowRouters: ["127.41.1.0/24"] });
    const outsider = await router(c, { localAddress: "127.41.2.1" });
    await outsider.closed;
    expect(
      await c.counter("routewatch_connections_rejected_total", { transport: "bmp", reason: "not-allowed" }),
    ).toBe(1);
    const insider = await router(c, { localAddress: "127.41.1.9", seed: 5 });
    await feed(c, insider, "127.41.1.9", CALICO.slice(0, 10));
    expect(c.collector.routers().map((r) => r.address)).toEqual(["127.41.1.9"]);
  });
});

describe("statistics and metrics", () => {
  it("keeps the latest statistics per peer and exports them with router, peer and message gauges", async () => {
    const c = await collector();
    const client = await router(c, { seed: 51 });
    const until = CALICO.length - 3;
    await feed(c, client, "127.0.0.1", CALICO.slice(0, until));
    const msgs = decoded(CALICO.slice(0, until));
    const lastStats = msgs
      .filter((m) => m.type === "STATISTICS-REPORT" && m.peer.address === "127.0.1.2")
      .at(-1)!;
    if (lastStats.type !== "STATISTICS-REPORT") throw new Error("not reached");
    const peer = c.collector.routers()[0]!.peers.find((p) => p.address === "127.0.1.2")!;
    const expected: Record<string, number> = {};
    for (const s of lastStats.stats) {
      if (s.format === "counter32" || s.format === "gauge64") expected[s.name] = s.value;
      else if (s.format === "bytes") expected[`type-${s.type}`] = s.data.readUInt32BE(0); // FRR's 65531, 4 bytes
    }
    expect(peer.stats).toEqual(expected);
    expect(Object.keys(expected)).toContain("type-65531");

    const text = await c.metrics.text();
    expect(text).toContain(
      'routewatch_bmp_stat{router="127.0.0.1",peer="127.0.1.2",stat="rejected-prefixes"} 0',
    );
    expect(text).toMatch(/^routewatch_bmp_routers 1$/m);
    expect(text).toContain('routewatch_bmp_peers{router="127.0.0.1",state="up"} 3');
    const model = new StreamModel("127.0.0.1").applyAll(CALICO.slice(0, until));
    for (const [type, n] of model.types) {
      expect(await c.counter("routewatch_messages_total", { transport: "bmp", direction: "in", type })).toBe(
        n,
      );
    }
  });

  it("routers() reports each peer's session from PEER-UP and its views with prefix counts", async () => {
    const c = await collector();
    const client = await router(c, { seed: 52 });
    await feed(c, client, "127.0.0.1", CALICO.slice(0, CALICO.length - 3));
    const peer = c.collector.routers()[0]!.peers.find((p) => p.address === "127.0.1.1")!;
    expect(peer).toMatchObject({
      type: "global-instance",
      distinguisher: "0:0",
      asn: 64512,
      bgpId: "127.0.1.1",
    });
    expect(peer.session).toMatchObject({
      localAddress: "127.0.2.1",
      remotePort: 179,
      sent: { bgpId: "127.0.2.1", asn: 64512 },
      received: { bgpId: "127.0.1.1", asn: 64512 },
      negotiated: { as4: true, families: ["ipv4-unicast"] },
    });
    expect(peer.session!.sent.capabilities).toContain("fqdn");
    const counts = Object.fromEntries(peer.views.map((v) => [v.policy, v.ipv4]));
    const model = new StreamModel("127.0.0.1").applyAll(CALICO.slice(0, CALICO.length - 3));
    expect(counts).toEqual({
      pre: model.tables.get("bmp-pre|127.0.0.1|0:0|127.0.1.1")!.size,
      post: model.tables.get("bmp-post|127.0.0.1|0:0|127.0.1.1")!.size,
    });
  });
});

describe("stop()", () => {
  it("closes the listener and the connections and withdraws the routes", async () => {
    const c = await collector();
    const client = await router(c, { seed: 61 });
    await feed(c, client, "127.0.0.1", CALICO.slice(0, 20));
    expect(c.rib.peers().length).toBeGreaterThan(0);
    await c.collector.stop();
    await client.closed;
    expect(c.collector.routers()).toEqual([]);
    expect(c.snapshot("127.0.0.1")).toEqual([]);
    await expect(RouterClient.connect(c.port, c.host)).rejects.toThrow(/ECONNREFUSED/);
  });
});
