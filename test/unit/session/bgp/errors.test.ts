import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  attr,
  encodeAttributes,
  encodeMessage,
  encodeUpdate,
  MSG_UPDATE,
  type PathAttribute,
} from "../../../../codec/bgp/index.js";
import {
  counter,
  expectPassive,
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

async function established(b: Bench, address: string, open = peerOpen()): Promise<TestPeer> {
  const p = await TestPeer.connect(b.port, address);
  peers.push(p);
  await p.establish(open);
  await waitFor(() => b.session(address)?.state === "Established", 2000, `${address} Established`);
  return p;
}

const base: PathAttribute[] = [attr.origin("IGP"), attr.asPath([64512]), attr.nextHop("10.10.0.1")];
const announce = (prefix: string, attributes = base): Buffer =>
  encodeUpdate({ attributes, nlri: [{ prefix }] });

/** An UPDATE with the given attribute bytes and raw NLRI bytes (for malformed NLRI). */
function rawUpdate(attrs: Buffer, nlri: Buffer): Buffer {
  const body = Buffer.alloc(4 + attrs.length + nlri.length);
  body.writeUInt16BE(attrs.length, 2);
  attrs.copy(body, 4);
  nlri.copy(body, 4 + attrs.length);
  return encodeMessage(MSG_UPDATE, body);
}

describe("framing errors: Message Header Error, then close", () => {
  it.each([
    [
      "a marker that is not all ones",
      () => Buffer.from("ffffffffffffffffffffffffffffff00001304", "hex"),
      [1, 1],
    ],
    ["an unknown message type", () => Buffer.from("ffffffffffffffffffffffffffffffff001309", "hex"), [1, 3]],
    ["a KEEPALIVE of 20 bytes", () => Buffer.from("ffffffffffffffffffffffffffffffff00140400", "hex"), [1, 2]],
    ["HTTP instead of BGP", () => Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), [1, 1]],
  ])("%s", async (_what, bytes, expected) => {
    bench = await startSpeaker();
    const p = await established(bench, "127.0.9.1");
    p.send(bytes());
    const n = await p.notification();
    expect([n.code, n.subcode]).toEqual(expected);
    await p.waitClosed();
    expect(bench.session("127.0.9.1")!.state).toBe("Active");
    expect(await counter(bench.metrics, "decodeErrors", { transport: "bgp" })).toBe(1);
  });

  it("a bad marker before the OPEN gets 1/1 too", async () => {
    bench = await startSpeaker();
    const p = await TestPeer.connect(bench.port, "127.0.9.2");
    peers.push(p);
    p.send(Buffer.alloc(19, 0));
    const n = await p.notification();
    expect([n.code, n.subcode]).toEqual([1, 1]);
    await p.waitClosed();
  });
});

describe("a truncated message, then the peer closes", () => {
  it("ends that session only", async () => {
    bench = await startSpeaker();
    const good = await established(bench, "127.0.9.3");
    good.send(announce("10.208.1.3/32"));
    const bad = await established(bench, "127.0.9.4");
    bad.send(announce("10.208.1.4/32"));
    await waitFor(
      () => bench!.rib.counts("bgp|127.0.9.4").ipv4 === 1 && bench!.rib.counts("bgp|127.0.9.3").ipv4 === 1,
    );
    bad.send(announce("10.208.1.5/32").subarray(0, 30));
    bad.socket.end();
    await waitFor(() => bench!.session("127.0.9.4")?.state === "Active");
    expect(bench.session("127.0.9.4")!.lastError).toContain("in the middle of a message (30 bytes)");
    expect(await counter(bench.metrics, "decodeErrors", { kind: "bgp.truncated" })).toBe(1);
    expect(bench.rib.counts("bgp|127.0.9.4").ipv4).toBe(0);
    // The other session did not notice.
    expect(bench.session("127.0.9.3")!.state).toBe("Established");
    expect(bench.rib.counts("bgp|127.0.9.3").ipv4).toBe(1);
    good.send(announce("10.208.1.6/32"));
    await waitFor(() => bench!.rib.counts("bgp|127.0.9.3").ipv4 === 2);
  });
});

describe("RFC 7606", () => {
  it("treats an UPDATE with a 3-byte COMMUNITIES as withdraw and keeps the session", async () => {
    bench = await startSpeaker();
    const p = await established(bench, "127.0.9.5");
    p.send(announce("10.208.1.7/32"), announce("10.208.1.8/32"));
    await waitFor(() => bench!.rib.counts("bgp|127.0.9.5").ipv4 === 2);
    const broken: PathAttribute = { name: "UNKNOWN", code: 8, flags: 0xc0, value: Buffer.from([0, 1, 2]) };
    p.send(announce("10.208.1.7/32", [...base, broken]));
    await waitFor(() => bench!.rib.counts("bgp|127.0.9.5").ipv4 === 1);
    expect(bench.rib.lookup("10.208.1.7/32")).toEqual([]);
    expect(bench.rib.lookup("10.208.1.8/32")).toHaveLength(1);
    expect(bench.session("127.0.9.5")!.state).toBe("Established");
    expect(p.messages.some((m) => m.type === "NOTIFICATION")).toBe(false);
    expect(
      await counter(bench.metrics, "errorActions", { transport: "bgp", action: "treat-as-withdraw" }),
    ).toBe(1);
    expect(await counter(bench.metrics, "decodeErrors", { transport: "bgp", kind: "bgp.attr.length" })).toBe(
      1,
    );
    // Still usable afterwards.
    p.send(announce("10.208.1.9/32"));
    await waitFor(() => bench!.rib.counts("bgp|127.0.9.5").ipv4 === 2);
  });

  it("answers a malformed NLRI (prefix length 33) with 3/10 and drops the routes", async () => {
    bench = await startSpeaker();
    const p = await established(bench, "127.0.9.6");
    p.send(announce("10.208.1.10/32"));
    await waitFor(() => bench!.rib.counts("bgp|127.0.9.6").ipv4 === 1);
    p.send(rawUpdate(encodeAttributes(base, { as4: true }), Buffer.from([33, 10, 0, 0, 0, 0])));
    const n = await p.notification();
    expect([n.code, n.subcode]).toEqual([3, 10]);
    await p.waitClosed();
    expect(bench.rib.counts("bgp|127.0.9.6").ipv4).toBe(0);
    expect(await counter(bench.metrics, "errorActions", { action: "session-reset" })).toBe(1);
  });

  it("handles a malformed MP_REACH_NLRI (afi-safi-disable) as a session reset", async () => {
    bench = await startSpeaker();
    const p = await established(bench, "127.0.9.7");
    const mp = attr.mpReach(2, 1, ["2001:db8::1"], [{ prefix: "2001:db8:1::/48" }]);
    const bytes = encodeUpdate({ attributes: [attr.origin("IGP"), attr.asPath([]), mp] });
    // The IPv6 prefix length byte (48) sits right after the next hop; make it 129.
    const at = bytes.indexOf(Buffer.from([48, 0x20, 0x01, 0x0d, 0xb8, 0, 1]));
    bytes[at] = 129;
    p.send(bytes);
    const n = await p.notification();
    expect(n.code).toBe(3);
    await p.waitClosed();
    expect(await counter(bench.metrics, "errorActions", { action: "afi-safi-disable" })).toBe(1);
    expect(bench.logs.some((l) => String(l.msg).includes("afi-safi-disable handled as session reset"))).toBe(
      true,
    );
  });
});

describe("routes", () => {
  it("applies IPv4 and IPv6 routes with ADD-PATH identifiers to the RIB", async () => {
    bench = await startSpeaker();
    const addPath = {
      name: "add-path" as const,
      code: 69 as const,
      families: [{ afi: 1, safi: 1, sendReceive: 3 }],
    };
    const p = await established(
      bench,
      "127.0.9.8",
      peerOpen({ asn: 65008, caps: standardCaps(65008, [addPath]) }),
    );
    const opts = { as4: true, addPath: new Set([256 + 1]) };
    p.send(
      encodeUpdate(
        {
          attributes: base,
          nlri: [
            { prefix: "10.208.1.0/24", pathId: 1 },
            { prefix: "10.208.1.0/24", pathId: 2 },
          ],
        },
        opts,
      ),
      encodeUpdate({
        attributes: [
          attr.origin("IGP"),
          attr.asPath([]),
          attr.mpReach(2, 1, ["2001:db8::8"], [{ prefix: "2001:db8:8::/48" }]),
        ],
      }),
    );
    await waitFor(
      () => bench!.rib.counts("bgp|127.0.9.8").ipv6 === 1 && bench!.rib.counts("bgp|127.0.9.8").ipv4 === 2,
    );
    const paths = bench.rib.lookup("10.208.1.0/24");
    expect(paths.map((x) => x.path.pathId).sort()).toEqual([1, 2]);
    expect(paths[0]!.peer).toMatchObject({
      id: "bgp|127.0.9.8",
      source: "bgp",
      asn: 65008,
      bgpId: "10.9.9.9",
    });
    expect(bench.rib.lookup("2001:db8:8::/48")[0]!.path.attrs.nextHop).toBe("2001:db8::8");
    expect(bench.session("127.0.9.8")!.prefixes).toEqual({ ipv4: 2, ipv6: 1 });
  });

  /** 1200 /32s: about 6000 bytes, more than 4096. */
  const big = (): Buffer =>
    encodeUpdate({
      attributes: base,
      nlri: Array.from({ length: 1200 }, (_, i) => ({ prefix: `10.${100 + (i >> 8)}.${i & 255}.1/32` })),
    });

  it("accepts UPDATEs above 4096 bytes once extended messages are negotiated (RFC 8654)", async () => {
    bench = await startSpeaker();
    const ext = { name: "extended-message" as const, code: 6 };
    const p = await established(bench, "127.0.9.9", peerOpen({ caps: standardCaps(64512, [ext]) }));
    const bytes = big();
    expect(bytes.length).toBeGreaterThan(4096);
    p.send(bytes);
    await waitFor(() => bench!.rib.counts("bgp|127.0.9.9").ipv4 === 1200);
  });

  it("answers an UPDATE above 4096 bytes without extended messages with 1/2", async () => {
    bench = await startSpeaker();
    const p = await established(bench, "127.0.9.10");
    p.send(big());
    const n = await p.notification();
    expect([n.code, n.subcode]).toEqual([1, 2]);
  });
});
