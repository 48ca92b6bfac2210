import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  attr,
  decodeMessage,
  encodeUpdate,
  familyKey,
  type UpdateMessage,
} from "../../../codec/bgp/index.js";
import { peerId, type PeerRef, type RouteEvent } from "../../../src/core/types.js";
import { Rib } from "../../../src/rib/rib.js";
import { prefix } from "../../helpers/arbitraries.js";

const peer = (address: string, source: PeerRef["source"] = "bgp"): PeerRef => ({
  id: peerId(source, address),
  source,
  address,
  asn: 64512,
  bgpId: address,
});
const node1 = peer("127.0.1.1");
const node2 = peer("127.0.1.2");
const base = [attr.origin("IGP"), attr.asPath([]), attr.nextHop("10.10.0.1"), attr.localPref(100)];

function update(f: Parameters<typeof encodeUpdate>[0], opts = { as4: true }): UpdateMessage {
  return decodeMessage(encodeUpdate(f, opts), 0, opts) as UpdateMessage;
}

function withEvents(): { rib: Rib; events: RouteEvent[] } {
  const rib = new Rib();
  const events: RouteEvent[] = [];
  rib.onRoute((e) => events.push(e));
  return { rib, events };
}

describe("Rib", () => {
  it("announces, replaces implicitly and withdraws, with events", () => {
    const { rib, events } = withEvents();
    rib.apply(node1, update({ attributes: base, nlri: [{ prefix: "10.208.1.5/32" }] }), 1);
    rib.apply(
      node1,
      update({ attributes: [...base.slice(0, 3), attr.localPref(200)], nlri: [{ prefix: "10.208.1.5/32" }] }),
      2,
    );
    rib.apply(node1, update({ withdrawn: [{ prefix: "10.208.1.5/32" }] }), 3);
    expect(events.map((e) => [e.action, e.prefix, e.tsMicros])).toEqual([
      ["announce", "10.208.1.5/32", 1],
      ["replace", "10.208.1.5/32", 2],
      ["withdraw", "10.208.1.5/32", 3],
    ]);
    expect(events[1]!.previous!.attrs.attrs.localPref).toBe(100);
    expect(events[1]!.path!.attrs.attrs.localPref).toBe(200);
    expect(rib.lookup("10.208.1.5/32")).toEqual([]);
    expect(rib.attributeSets).toBe(0);
  });

  it("tells when its evidence changes without a route: a peer added, complete, incomplete, removed", () => {
    const rib = new Rib();
    let calls = 0;
    rib.onPeers(() => calls++);
    rib.addPeer(node1);
    rib.addPeer(node1); // known already
    expect(calls).toBe(1);
    rib.setSynced(node1.id); // End-of-RIB after the routes: nothing else would say so
    rib.setSynced(node1.id);
    expect(calls).toBe(2);
    rib.setSynced(node1.id, false);
    expect(calls).toBe(3);
    rib.removePeer(node1.id, 1);
    rib.removePeer(node2.id, 1); // never added
    expect(calls).toBe(4);
  });

  it("keeps peers apart and finds every peer's path for a prefix", () => {
    const { rib } = withEvents();
    rib.apply(node1, update({ attributes: base, nlri: [{ prefix: "10.208.1.0/24" }] }), 1);
    rib.apply(node2, update({ attributes: base, nlri: [{ prefix: "10.208.1.0/24" }] }), 1);
    expect(
      rib
        .lookup("10.208.1.0/24")
        .map((x) => x.peer.address)
        .sort(),
    ).toEqual(["127.0.1.1", "127.0.1.2"]);
    expect(rib.removePeer(node1.id, 5)).toBe(1);
    expect(rib.lookup("10.208.1.0/24").map((x) => x.peer.address)).toEqual(["127.0.1.2"]);
  });

  it("shares one attribute set among the paths of an UPDATE and across UPDATEs with the same attributes", () => {
    const { rib } = withEvents();
    rib.apply(
      node1,
      update({ attributes: base, nlri: [{ prefix: "10.0.0.0/24" }, { prefix: "10.0.1.0/24" }] }),
      1,
    );
    rib.apply(node1, update({ attributes: base, nlri: [{ prefix: "10.0.2.0/24" }] }), 1);
    const sets = new Set(
      rib
        .lookup("10.0.0.0/24")
        .concat(rib.lookup("10.0.2.0/24"))
        .map((x) => x.path.attrs),
    );
    expect(sets.size).toBe(1);
    expect(rib.attributeSets).toBe(1);
  });

  it("uses the MP_REACH_NLRI next hop for IPv6 and NEXT_HOP for the IPv4 NLRI field", () => {
    const { rib } = withEvents();
    const mp = attr.mpReach(2, 1, ["2001:db8::1"], [{ prefix: "2001:db8:1::/48" }]);
    rib.apply(node1, update({ attributes: [...base, mp], nlri: [{ prefix: "10.0.0.0/24" }] }), 1);
    expect(rib.lookup("10.0.0.0/24")[0]!.path.attrs.nextHop).toBe("10.10.0.1");
    expect(rib.lookup("2001:db8:1::/48")[0]!.path.attrs.nextHop).toBe("2001:db8::1");
    expect(rib.counts(node1.id)).toEqual({ ipv4: 1, ipv6: 1 });
  });

  it("treats a malformed UPDATE as a withdrawal of its prefixes (RFC 7606)", () => {
    const { rib, events } = withEvents();
    rib.apply(node1, update({ attributes: base, nlri: [{ prefix: "10.0.0.0/24" }] }), 1);
    // COMMUNITIES of 3 bytes: treat-as-withdraw.
    const bad = update({
      attributes: [...base, { name: "UNKNOWN", code: 8, flags: 0xc0, value: Buffer.from([1, 2, 3]) }],
      nlri: [{ prefix: "10.0.0.0/24" }],
    });
    const r = rib.apply(node1, bad, 2);
    expect(r.treatAsWithdraw).toBe(true);
    expect(events.at(-1)).toMatchObject({ action: "withdraw", prefix: "10.0.0.0/24" });
  });

  it("keeps a BMP-reported route that only lacks a well-known attribute", () => {
    const { rib } = withEvents();
    const bmpPeer = peer("127.0.1.1", "bmp-post");
    const noNextHop = update({
      attributes: [attr.origin("IGP"), attr.asPath([])],
      nlri: [{ prefix: "10.208.1.60/32" }],
    });
    expect(rib.apply(bmpPeer, noNextHop, 1, true).treatAsWithdraw).toBe(false);
    expect(rib.lookup("10.208.1.60/32")).toHaveLength(1);
    expect(rib.apply(node1, noNextHop, 1).treatAsWithdraw).toBe(true);
  });

  it("keeps ADD-PATH paths apart by path id", () => {
    const { rib } = withEvents();
    const opts = { as4: true, addPath: new Set([familyKey(1, 1)]) };
    rib.apply(
      node1,
      update(
        {
          attributes: base,
          nlri: [
            { prefix: "10.208.1.7/32", pathId: 1 },
            { prefix: "10.208.1.7/32", pathId: 2 },
          ],
        },
        opts,
      ),
      1,
    );
    expect(
      rib
        .lookup("10.208.1.7/32")
        .map((x) => x.path.pathId)
        .sort(),
    ).toEqual([1, 2]);
    rib.apply(node1, update({ withdrawn: [{ prefix: "10.208.1.7/32", pathId: 1 }] }, opts), 2);
    expect(rib.lookup("10.208.1.7/32").map((x) => x.path.pathId)).toEqual([2]);
  });

  it("keeps stale paths through a graceful restart and sweeps those not refreshed", () => {
    const { rib, events } = withEvents();
    rib.apply(
      node1,
      update({ attributes: base, nlri: [{ prefix: "10.0.0.0/24" }, { prefix: "10.0.1.0/24" }] }),
      1,
    );
    expect(rib.markStale(node1.id)).toBe(2);
    rib.apply(node1, update({ attributes: base, nlri: [{ prefix: "10.0.0.0/24" }] }), 2);
    expect(rib.sweepStale(node1.id, 3)).toBe(1);
    expect(events.at(-1)).toMatchObject({ action: "withdraw", prefix: "10.0.1.0/24", tsMicros: 3 });
    expect(rib.lookup("10.0.0.0/24")[0]!.path.stale).toBeFalsy();
  });

  it("ends with exactly the prefixes announced and not withdrawn, whatever the order (model check)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ announce: fc.boolean(), prefix: prefix(1), who: fc.constantFrom(node1, node2) }),
          { maxLength: 60 },
        ),
        (ops) => {
          const { rib } = withEvents();
          const model = new Map<string, Set<string>>();
          for (const op of ops) {
            const set = model.get(op.who.id) ?? new Set();
            model.set(op.who.id, set);
            if (op.announce) {
              rib.apply(op.who, update({ attributes: base, nlri: [{ prefix: op.prefix }] }), 1);
              set.add(op.prefix);
            } else {
              rib.apply(op.who, update({ withdrawn: [{ prefix: op.prefix }] }), 1);
              set.delete(op.prefix);
            }
          }
          for (const p of [node1, node2]) {
            expect(new Set([...rib.paths(p.id)].map((x) => x.prefix))).toEqual(model.get(p.id) ?? new Set());
          }
        },
      ),
    );
  });
});
