import { describe, expect, it } from "vitest";
import {
  attr,
  decodeMessage,
  encodeUpdate,
  familyKey,
  hasAddPath,
  type UpdateMessage,
} from "../../../../codec/bgp/index.js";
import {
  BmpSessionTracker,
  decodeBmp,
  encodeBmp,
  type BmpMessage,
  type BmpPeerDown,
  type BmpPeerHeader,
  type BmpPeerUp,
} from "../../../../codec/bmp/index.js";
import { CodecError } from "../../../../codec/errors.js";
import { loadVector } from "./vectors.js";

const IPV4_UNICAST = familyKey(1, 1);
const IPV6_UNICAST = familyKey(2, 1);

const decodeAll = (name: string): BmpMessage[] => loadVector(name).messages.map((m) => decodeBmp(m));
const synthetic = decodeAll("synthetic");
/** vectors/synthetic.py: the router sent ADD-PATH IPv6 unicast send/receive (3), the peer receive only (1). */
const rdPeerUp = synthetic[1] as BmpPeerUp;
/** vectors/synthetic.py: a Loc-RIB instance whose fabricated OPEN has ADD-PATH IPv4 unicast receive (1). */
const locRibPeerUp = synthetic[4] as BmpPeerUp;

const withFlags = (peer: BmpPeerHeader, flags: Partial<BmpPeerHeader>): BmpPeerHeader => ({
  ...peer,
  ...flags,
});

describe("BmpSessionTracker", () => {
  it("checks that the synthetic vectors are what the tests below assume", () => {
    expect(rdPeerUp).toMatchObject({
      type: "PEER-UP",
      peer: { peerTypeName: "rd-instance", address: "2001:db8::2" },
    });
    expect(locRibPeerUp).toMatchObject({ type: "PEER-UP", peer: { peerTypeName: "loc-rib-instance" } });
  });

  it("without a PEER-UP knows only the A flag", () => {
    const t = new BmpSessionTracker();
    const peer = rdPeerUp.peer;
    expect(t.optionsFor("r1", peer)).toEqual({ as4: true });
    expect(t.optionsFor("r1", withFlags(peer, { legacyAsPath: true }))).toEqual({ as4: false });
  });

  it("Adj-RIB-In takes ADD-PATH only where the peer may send path IDs (RFC 7911 4)", () => {
    const t = new BmpSessionTracker();
    t.observe("r1", rdPeerUp);
    const pre = t.optionsFor("r1", rdPeerUp.peer);
    const post = t.optionsFor("r1", withFlags(rdPeerUp.peer, { postPolicy: true }));
    // The peer only offered to receive: what it sends (pre- and post-policy Adj-RIB-In) has no path IDs.
    expect(hasAddPath(pre, 2, 1)).toBe(false);
    expect(post).toEqual(pre);
    expect(pre.as4).toBe(true);
  });

  it("Adj-RIB-Out (O flag, RFC 8671) takes ADD-PATH in the direction the router sends", () => {
    const t = new BmpSessionTracker();
    t.observe("r1", rdPeerUp);
    const out = t.optionsFor("r1", withFlags(rdPeerUp.peer, { adjRibOut: true }));
    // The router offered send/receive and the peer receive: the router sends path IDs.
    expect(hasAddPath(out, 2, 1)).toBe(true);
    expect(hasAddPath(out, 1, 1)).toBe(false);

    // An Adj-RIB-Out PDU with a path ID decodes with those options.
    const pdu = encodeUpdate(
      {
        attributes: [
          attr.origin(0),
          attr.asPath([65001]),
          attr.mpReach(2, 1, ["2001:db8::1"], [{ prefix: "2001:db8:7::/48", pathId: 7 }]),
        ],
      },
      { as4: true, addPath: new Set([IPV6_UNICAST]) },
    );
    const u = decodeMessage(pdu, 0, out) as UpdateMessage;
    expect(u.announced()).toEqual([{ prefix: "2001:db8:7::/48", pathId: 7 }]);
  });

  it("the A flag overrides the negotiated AS width, per message", () => {
    const t = new BmpSessionTracker();
    t.observe("r1", rdPeerUp);
    const legacy = t.optionsFor("r1", withFlags(rdPeerUp.peer, { legacyAsPath: true, adjRibOut: true }));
    expect(legacy.as4).toBe(false);
    expect(hasAddPath(legacy, 2, 1)).toBe(true);
  });

  it("a Loc-RIB instance uses ADD-PATH for every family its fabricated OPEN names, whatever the direction (RFC 9069 5.2)", () => {
    const t = new BmpSessionTracker();
    t.observe("r1", locRibPeerUp);
    const opts = t.optionsFor("r1", withFlags(locRibPeerUp.peer, { locRibFiltered: true }));
    expect(opts.as4).toBe(true);
    expect(hasAddPath(opts, 1, 1)).toBe(true);
    expect(hasAddPath(opts, 2, 1)).toBe(false);
    expect(opts.addPath).toEqual(new Set([IPV4_UNICAST]));
  });

  it("keys peers by router, peer type, distinguisher and address", () => {
    const t = new BmpSessionTracker();
    t.observe("r1", rdPeerUp);
    const out = withFlags(rdPeerUp.peer, { adjRibOut: true });
    expect(hasAddPath(t.optionsFor("r2", out), 2, 1)).toBe(false);
    expect(hasAddPath(t.optionsFor("r1", { ...out, address: "2001:db8::3" }), 2, 1)).toBe(false);
    expect(hasAddPath(t.optionsFor("r1", { ...out, distinguisher: "192.0.2.1:8" }), 2, 1)).toBe(false);
    expect(hasAddPath(t.optionsFor("r1", { ...out, peerType: 0 }), 2, 1)).toBe(false);
    // Timestamps, ASN and BGP ID are not part of the key.
    expect(hasAddPath(t.optionsFor("r1", { ...out, tsMicros: 1, asn: 1, bgpId: "1.1.1.1" }), 2, 1)).toBe(
      true,
    );
  });

  it("forgets a peer on PEER-DOWN and a whole router on routerGone", () => {
    const t = new BmpSessionTracker();
    t.observe("r1", rdPeerUp);
    t.observe("r1", locRibPeerUp);
    t.observe("r2", rdPeerUp);
    expect([t.peerCount("r1"), t.peerCount("r2")]).toEqual([2, 1]);
    const down: BmpPeerDown = {
      type: "PEER-DOWN",
      peer: rdPeerUp.peer,
      reason: 4,
      reasonName: "remote-no-data",
      data: Buffer.alloc(0),
    };
    t.observe("r1", down);
    expect(t.peerCount("r1")).toBe(1);
    expect(hasAddPath(t.optionsFor("r1", withFlags(rdPeerUp.peer, { adjRibOut: true })), 2, 1)).toBe(false);
    expect(hasAddPath(t.optionsFor("r2", withFlags(rdPeerUp.peer, { adjRibOut: true })), 2, 1)).toBe(true);
    t.routerGone("r1");
    expect([t.peerCount("r1"), t.peerCount("r2")]).toEqual([0, 1]);
    expect(t.optionsFor("r1", locRibPeerUp.peer)).toEqual({ as4: true });
  });

  it("throws a CodecError for a PEER-UP whose OPEN does not decode, and then does not know the peer", () => {
    const t = new BmpSessionTracker();
    t.observe("r1", rdPeerUp);
    const open = Buffer.from(rdPeerUp.sentOpen);
    open[28] = 200; // optional parameters length no longer matches the OPEN
    const broken = decodeBmp(encodeBmp({ ...rdPeerUp, sentOpen: open })) as BmpPeerUp;
    expect(() => t.observe("r1", broken)).toThrow(CodecError);
    expect(t.peerCount("r1")).toBe(0);
  });

  it("follows the peers of real sessions: FRR reports every node down at the end, GoBGP the ExaBGP feeder", () => {
    const count = (name: string): number[] => {
      const t = new BmpSessionTracker();
      return decodeAll(name).flatMap((m) => {
        t.observe("router", m);
        return m.type === "PEER-UP" || m.type === "PEER-DOWN" ? [t.peerCount("router")] : [];
      });
    };
    // calico-bmp.sh: 3 down before they came up, 3 up, node3 down and up, all 3 down at the end.
    expect(count("frr-calico")).toEqual([0, 0, 0, 1, 2, 3, 2, 3, 2, 1, 0]);
    // gobgp-bmp-locrib.sh: the collector and ExaBGP come up, ExaBGP is shut down.
    expect(count("gobgp-locrib")).toEqual([1, 2, 1]);
  });
});
