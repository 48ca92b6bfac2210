import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  AS_TRANS,
  encodeKeepalive,
  encodeShutdownNotification,
  type OpenMessage,
} from "../../../../codec/bgp/index.js";
import {
  counter,
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

async function peer(b: Bench, address: string): Promise<TestPeer> {
  const p = await TestPeer.connect(b.port, address);
  peers.push(p);
  return p;
}

describe("OPEN negotiation", () => {
  it("sends the receiver's capabilities on the wire, with AS_TRANS for a 4-octet ASN", async () => {
    bench = await startSpeaker({ asn: 4200000001, bgp: { holdTime: 60, gracefulRestartTime: 150 } });
    const p = await peer(bench, "127.0.3.1");
    const open: OpenMessage = await p.next("OPEN");
    expect(open.version).toBe(4);
    expect(open.myAsn).toBe(AS_TRANS);
    expect(open.holdTime).toBe(60);
    expect(open.bgpId).toBe("10.0.0.1");
    const caps = open.capabilities;
    expect(caps.filter((c) => c.name === "multiprotocol")).toEqual([
      { name: "multiprotocol", code: 1, afi: 1, safi: 1 },
      { name: "multiprotocol", code: 1, afi: 2, safi: 1 },
    ]);
    expect(caps.some((c) => c.name === "route-refresh")).toBe(true);
    expect(caps.some((c) => c.name === "extended-message")).toBe(true);
    expect(caps.find((c) => c.name === "as4")).toMatchObject({ asn: 4200000001 });
    expect(caps.find((c) => c.name === "add-path")).toMatchObject({
      families: [
        { afi: 1, safi: 1, sendReceive: 1 },
        { afi: 2, safi: 1, sendReceive: 1 },
      ],
    });
    expect(caps.find((c) => c.name === "graceful-restart")).toMatchObject({
      restarting: false,
      restartTime: 150,
      families: [
        { afi: 1, safi: 1, forwardingPreserved: false },
        { afi: 2, safi: 1, forwardingPreserved: false },
      ],
    });
  });

  it("negotiates hold time, families and ADD-PATH, then sends End-of-RIB per family", async () => {
    bench = await startSpeaker({ bgp: { holdTime: 90 } });
    const p = await peer(bench, "127.0.3.2");
    await p.establish(
      peerOpen({
        asn: 65001,
        holdTime: 30,
        caps: standardCaps(65001, [
          { name: "add-path", code: 69, families: [{ afi: 1, safi: 1, sendReceive: 2 }] },
          grCap(120),
        ]),
      }),
    );
    await waitFor(() => bench!.session("127.0.3.2")?.state === "Established");
    await waitFor(() => p.endOfRibs().length === 2);
    expect(p.endOfRibs()).toEqual(["1/1", "2/1"]);
    const s = bench.session("127.0.3.2")!;
    expect(s).toMatchObject({
      asn: 65001,
      bgpId: "10.9.9.9",
      holdTime: 30,
      keepalive: 10,
      families: ["ipv4-unicast", "ipv6-unicast"],
      addPathFamilies: ["ipv4-unicast"],
      gracefulRestart: {
        peerCapable: true,
        restartTime: 120,
        families: ["ipv4-unicast", "ipv6-unicast"],
        state: "none",
      },
      configured: false,
    });
    expect(s.messages.in).toBe(2);
    expect(s.messages.out).toBe(4); // OPEN, KEEPALIVE, 2 x End-of-RIB
    expect(await counter(bench.metrics, "messages", { direction: "out", type: "UPDATE" })).toBe(2);
    expect(
      await counter(bench.metrics, "sessionTransitions", { peer: "127.0.3.2", state: "Established" }),
    ).toBe(1);
    const line = bench.logs.find((l) => l.to === "Established");
    expect(line).toMatchObject({ peer: "127.0.3.2", from: "OpenConfirm", reason: "KEEPALIVE received" });
    expect(String(line!.msg)).toContain("OpenConfirm → Established");
  });

  it("takes IPv4 unicast as the only family of a peer without multiprotocol (RFC 4760 8)", async () => {
    bench = await startSpeaker();
    const p = await peer(bench, "127.0.3.3");
    await p.establish(peerOpen({ caps: [{ name: "as4", code: 65, asn: 64512 }] }));
    await waitFor(() => p.endOfRibs().length === 1);
    expect(p.endOfRibs()).toEqual(["1/1"]);
    expect(bench.session("127.0.3.3")!.families).toEqual(["ipv4-unicast"]);
  });

  it("rejects a configured peer with another ASN: OPEN Message Error / Bad Peer AS (2/2)", async () => {
    bench = await startSpeaker({ bgp: { allowPeers: [], peers: [{ address: "127.0.3.4", asn: 65010 }] } });
    const p = await peer(bench, "127.0.3.4");
    p.send(peerOpen({ asn: 65011 }));
    const n = await p.notification();
    expect([n.code, n.subcode]).toEqual([2, 2]);
    await p.waitClosed();
    expect(bench.session("127.0.3.4")!.state).toBe("Active");
    expect(bench.session("127.0.3.4")!.lastError).toContain("Bad Peer AS");
  });

  it("accepts a configured peer with its ASN", async () => {
    bench = await startSpeaker({
      bgp: { allowPeers: [], peers: [{ address: "127.0.3.5", asn: 65010, name: "n5" }] },
    });
    expect(bench.session("127.0.3.5")).toMatchObject({ state: "Active", configured: true, name: "n5" });
    const p = await peer(bench, "127.0.3.5");
    await p.establish(peerOpen({ asn: 65010 }));
    await waitFor(() => bench!.session("127.0.3.5")?.state === "Established");
  });

  it("refuses an address outside allowPeers with an OPEN-less Cease / Connection Rejected (6/5)", async () => {
    bench = await startSpeaker({ bgp: { allowPeers: ["127.0.4.0/24"] } });
    const p = await peer(bench, "127.0.5.1");
    const first = await p.next();
    expect(first).toMatchObject({ type: "NOTIFICATION", code: 6, subcode: 5 });
    await p.waitClosed();
    expect(p.messages).toHaveLength(1);
    expect(
      await counter(bench.metrics, "rejectedConnections", { transport: "bgp", reason: "not-allowed" }),
    ).toBe(1);
    expect(bench.session("127.0.5.1")).toBeUndefined();
  });

  it.each([
    ["version 3", peerOpen({ version: 3 }), [2, 1]],
    ["hold time 2", peerOpen({ holdTime: 2 }), [2, 6]],
    ["our own BGP Identifier", peerOpen({ bgpId: "10.0.0.1" }), [2, 3]],
  ])("answers an OPEN with %s by its NOTIFICATION", async (_what, open, expected) => {
    bench = await startSpeaker();
    const p = await peer(bench, "127.0.3.6");
    p.send(open);
    const n = await p.notification();
    expect([n.code, n.subcode]).toEqual(expected);
    await p.waitClosed();
  });

  it("ends the session on a NOTIFICATION from the peer and shows its shutdown communication", async () => {
    bench = await startSpeaker();
    const p = await peer(bench, "127.0.3.7");
    await p.establish();
    await waitFor(() => bench!.session("127.0.3.7")?.state === "Established");
    p.send(encodeShutdownNotification(2, "maintenance window"));
    await waitFor(() => bench!.session("127.0.3.7")?.state === "Active");
    expect(bench.session("127.0.3.7")!.lastError).toContain('"maintenance window"');
    p.send(encodeKeepalive()); // ignored: the connection is gone
  });
});
