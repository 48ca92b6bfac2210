/**
 * Bad input next to real sessions: while two BIRD nodes hold sessions with routewatch, raw TCP
 * clients send garbage, a truncated message, an UPDATE with a malformed attribute, connect from an
 * address outside the allow list, and open 200 idle connections. Each is handled as the RFCs say
 * and counted; the BIRD sessions and their routes are untouched. Address block 127.34.x.y.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attr, encodeUpdate, type PathAttribute } from "../../codec/bgp/index.js";
import { startCalicoLab, waitFor, type CalicoLab } from "../harness/lab.js";
import {
  counter,
  expectPassive,
  peerOpen,
  startSpeaker,
  TestPeer,
  type Bench,
} from "../unit/session/bgp/harness.js";

const BASE = 34;
const COLLECTOR = `127.${BASE}.0.10`;
const NODES = [1, 2].map((i) => `127.${BASE}.1.${i}`);

let bench: Bench;
let lab: CalicoLab;
const raw: TestPeer[] = [];

async function client(address: string): Promise<TestPeer> {
  const p = await TestPeer.connect(bench.port, address, COLLECTOR);
  raw.push(p);
  return p;
}

/** Both BIRD sessions up on both sides, with each node's two routes. */
async function birdsUnaffected(): Promise<void> {
  for (let i = 1; i <= 2; i++) {
    expect(bench.session(NODES[i - 1]!)!.state).toBe("Established");
    expect(await lab.protocolState(i, "monitor")).toBe("Established");
    expect(bench.rib.counts(`bgp|${NODES[i - 1]}`).ipv4).toBe(2);
  }
  expect(await counter(bench.metrics, "sessionTransitions", { peer: NODES[0]!, state: "Established" })).toBe(
    1,
  );
}

beforeAll(async () => {
  bench = await startSpeaker({
    asn: 64512,
    routerId: COLLECTOR,
    // Our raw clients 127.34.2.x are allowed too (they look like nodes); 127.34.9.x is not.
    listen: { host: COLLECTOR, port: 0 },
    bgp: { allowPeers: [`127.${BASE}.1.0/24`, `127.${BASE}.2.0/24`] },
  });
  lab = await startCalicoLab({ base: BASE, nodes: 2, collector: COLLECTOR, bgpPort: bench.port, tor: false });
  await waitFor(
    "2 BIRD sessions with routes",
    () => NODES.every((n) => bench.rib.counts(`bgp|${n}`).ipv4 === 2),
    20_000,
  );
});

afterAll(async () => {
  for (const p of raw) p.destroy();
  await bench?.stop();
  await lab?.down();
  expectPassive();
});

describe("bad input beside real BIRD sessions", () => {
  it("garbage: Message Header Error 1/1, counted", async () => {
    const p = await client(`127.${BASE}.2.1`);
    p.send(Buffer.from("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not BGP at all, a TLS hello perhaps"));
    const n = await p.notification();
    expect([n.code, n.subcode]).toEqual([1, 1]);
    await p.waitClosed();
    expect(await counter(bench.metrics, "decodeErrors", { kind: "bgp.header.marker" })).toBe(1);
    await birdsUnaffected();
  });

  it("a truncated message, then close: that session ends, counted", async () => {
    const p = await client(`127.${BASE}.2.2`);
    await p.establish(peerOpen());
    await waitFor(
      "raw peer established",
      () => bench.session(`127.${BASE}.2.2`)?.state === "Established",
      2000,
    );
    p.send(peerOpen().subarray(0, 25));
    p.socket.end();
    await waitFor("raw peer gone", () => bench.session(`127.${BASE}.2.2`)?.state === "Active", 2000);
    expect(await counter(bench.metrics, "decodeErrors", { kind: "bgp.truncated" })).toBe(1);
    await birdsUnaffected();
  });

  it("an UPDATE with a malformed attribute: treat-as-withdraw, the session stays up", async () => {
    const p = await client(`127.${BASE}.2.3`);
    await p.establish(peerOpen());
    const base: PathAttribute[] = [attr.origin("IGP"), attr.asPath([]), attr.nextHop("10.10.0.99")];
    p.send(encodeUpdate({ attributes: base, nlri: [{ prefix: "10.208.1.99/32" }] }));
    await waitFor("route in", () => bench.rib.lookup("10.208.1.99/32").length === 1, 2000);
    const badOrigin: PathAttribute = { name: "UNKNOWN", code: 1, flags: 0x40, value: Buffer.from([7]) };
    p.send(encodeUpdate({ attributes: [badOrigin, ...base.slice(1)], nlri: [{ prefix: "10.208.1.99/32" }] }));
    await waitFor("route withdrawn", () => bench.rib.lookup("10.208.1.99/32").length === 0, 2000);
    expect(bench.session(`127.${BASE}.2.3`)!.state).toBe("Established");
    expect(await counter(bench.metrics, "errorActions", { action: "treat-as-withdraw" })).toBe(1);
    expect(await counter(bench.metrics, "decodeErrors", { kind: "bgp.attr.origin" })).toBe(1);
    await birdsUnaffected();
  });

  it("an address outside the allow list: Cease / Connection Rejected, counted", async () => {
    const p = await client(`127.${BASE}.9.1`);
    expect(await p.next()).toMatchObject({ type: "NOTIFICATION", code: 6, subcode: 5 });
    await p.waitClosed();
    expect(await counter(bench.metrics, "rejectedConnections", { reason: "not-allowed" })).toBe(1);
    await birdsUnaffected();
  });

  it("200 concurrent idle connections: held up to the per-address limit, the rest refused", async () => {
    const started = performance.now();
    const idle = await Promise.all(
      Array.from({ length: 200 }, (_, i) => client(`127.${BASE}.2.${10 + (i % 10)}`)),
    );
    const first = await Promise.all(idle.map((p) => p.next()));
    const held = first.filter((m) => m.type === "OPEN").length;
    const refused = first.filter((m) => m.type === "NOTIFICATION").length;
    console.log(
      `[bgp-bad-input] 200 idle connections: ${held} held in OpenSent, ${refused} refused, in ${(performance.now() - started).toFixed(0)} ms`,
    );
    expect(held).toBe(160); // 10 addresses x 16
    expect(refused).toBe(40);
    expect(await counter(bench.metrics, "rejectedConnections", { reason: "pending-limit" })).toBe(40);
    expect(await bench.metrics.text()).toMatch(/routewatch_bgp_sessions\{state="OpenSent"\} 10/);
    await birdsUnaffected();
    // A route change on a node still arrives while they wait.
    await lab.announce(1, "10.208.1.42/32");
    await waitFor("announce during idle flood", () => bench.rib.lookup("10.208.1.42/32").length === 1, 2000);
  });
});
