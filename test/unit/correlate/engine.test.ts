import { describe, expect, it } from "vitest";
import { attr, decodeMessage, encodeUpdate, type UpdateMessage } from "../../../codec/bgp/index.js";
import { VirtualClock } from "../../../src/core/clock.js";
import { createLogger } from "../../../src/core/log.js";
import { peerId, type PeerRef } from "../../../src/core/types.js";
import { AlertLifecycle, type Alert } from "../../../src/alerts/lifecycle.js";
import { Correlator, DEFAULT_CORRELATOR, type ViewSource } from "../../../src/correlate/engine.js";
import type { InventoryEvent, ServiceView } from "../../../src/inventory/types.js";
import { Rib } from "../../../src/rib/rib.js";
import { makeView, type ServiceSpec } from "../../helpers/view.js";

const NODES = {
  node1: ["127.0.1.1", "10.10.0.1"],
  node2: ["127.0.1.2", "10.10.0.2"],
  node3: ["127.0.1.3", "10.10.0.3"],
};
const T0 = 1_800_000_000_000_000;
const S = 1_000_000;

function peer(address: string): PeerRef {
  return { id: peerId("bgp", address), source: "bgp", address, asn: 64512, bgpId: address };
}

function update(f: Parameters<typeof encodeUpdate>[0]): UpdateMessage {
  return decodeMessage(encodeUpdate(f)) as UpdateMessage;
}

class Setup {
  clock = new VirtualClock(T0);
  rib = new Rib();
  events: string[] = [];
  convergences: { service: string; seconds: number }[] = [];
  private view: ServiceView;
  private listeners: ((events: readonly InventoryEvent[]) => void)[] = [];
  lifecycle: AlertLifecycle;
  correlator: Correlator;

  constructor(
    services: ServiceSpec[],
    extra: Partial<Parameters<typeof makeView>[0]> = {},
    settings = DEFAULT_CORRELATOR,
  ) {
    this.view = makeView({
      services,
      nodes: NODES,
      pools: [{ cidrs: ["10.208.1.0/24"] }],
      calicoLb: ["10.208.1.0/24"],
      ...extra,
    });
    const source: ViewSource = { view: () => this.view, onChange: (l) => this.listeners.push(l) };
    const sink = {
      firing: (a: Alert) =>
        this.events.push(
          `firing ${a.labels.alertname} ${a.labels.node ?? ""} ${a.labels.prefix ?? ""}`.trim(),
        ),
      resolved: (a: Alert) =>
        this.events.push(
          `resolved ${a.labels.alertname} ${a.labels.node ?? ""} ${a.labels.prefix ?? ""}`.trim(),
        ),
    };
    this.lifecycle = new AlertLifecycle(this.clock, 5 * S, [sink]);
    this.correlator = new Correlator(
      this.rib,
      source,
      this.lifecycle,
      this.clock,
      createLogger("silent"),
      settings,
    );
    this.correlator.onConvergence((c) => this.convergences.push({ service: c.service, seconds: c.seconds }));
    for (const n of Object.values(NODES)) {
      this.rib.addPeer(peer(n[0]!));
      this.rib.setSynced(peerId("bgp", n[0]!));
    }
  }

  setView(services: ServiceSpec[], extra: Partial<Parameters<typeof makeView>[0]> = {}): void {
    this.view = makeView({
      services,
      nodes: NODES,
      pools: [{ cidrs: ["10.208.1.0/24"] }],
      calicoLb: ["10.208.1.0/24"],
      ...extra,
    });
    for (const l of this.listeners) l([]);
  }

  announce(node: number, prefix: string): void {
    const p = peer(`127.0.1.${node}`);
    this.rib.apply(
      p,
      update({ attributes: [attr.origin(0), attr.asPath([]), attr.nextHop(p.address)], nlri: [{ prefix }] }),
      this.clock.now(),
    );
  }

  withdraw(node: number, prefix: string): void {
    this.rib.apply(peer(`127.0.1.${node}`), update({ withdrawn: [{ prefix }] }), this.clock.now());
  }

  at(seconds: number): void {
    this.clock.advanceTo(T0 + seconds * S);
  }
}

const web: ServiceSpec = { name: "web", ip: "10.208.1.5", ready: ["node1"] };

describe("correlator rules through the alert lifecycle", () => {
  it("RouteWithoutEndpoint fires after the grace period and resolves after the withdraw", () => {
    const s = new Setup([web]);
    s.announce(1, "10.208.1.5/32");
    s.announce(3, "10.208.1.5/32");
    s.at(4);
    expect(s.events).toEqual([]);
    s.at(6);
    expect(s.events).toEqual(["firing RouteWithoutEndpoint node3 10.208.1.5/32"]);
    s.withdraw(3, "10.208.1.5/32");
    s.at(7);
    expect(s.events).toEqual([
      "firing RouteWithoutEndpoint node3 10.208.1.5/32",
      "resolved RouteWithoutEndpoint node3 10.208.1.5/32",
    ]);
  });

  it("a condition shorter than the grace period never fires", () => {
    const s = new Setup([web]);
    s.announce(1, "10.208.1.5/32");
    s.announce(2, "10.208.1.5/32");
    s.at(3);
    s.withdraw(2, "10.208.1.5/32");
    s.at(20);
    expect(s.events).toEqual([]);
  });

  it("EndpointWithoutRoute fires only once the node's table is complete", () => {
    const s = new Setup([{ ...web, ready: ["node1", "node2"] }]);
    s.rib.setSynced(peerId("bgp", "127.0.1.2"), false);
    s.announce(1, "10.208.1.5/32");
    s.at(10);
    expect(s.events).toEqual([]);
    s.rib.setSynced(peerId("bgp", "127.0.1.2"));
    s.announce(3, "192.168.3.0/26"); // any change triggers an evaluation
    s.at(20);
    expect(s.events).toEqual(["firing EndpointWithoutRoute node2 10.208.1.5/32"]);
  });

  it("ServiceUnreachable when nothing covers the address; AggregateOnly when only empty nodes' /24 does", () => {
    const s = new Setup([web]);
    s.announce(2, "192.168.2.0/26");
    s.at(10);
    expect(s.events).toContain("firing ServiceUnreachable  10.208.1.5/32");
    s.announce(2, "10.208.1.0/24");
    s.announce(3, "10.208.1.0/24");
    s.at(20);
    expect(s.events).toContain("resolved ServiceUnreachable  10.208.1.5/32");
    expect(s.events).toContain("firing AggregateOnly  10.208.1.5/32");
    s.announce(1, "10.208.1.5/32");
    s.at(30);
    expect(s.events).toContain("resolved AggregateOnly  10.208.1.5/32");
  });

  it("no ServiceUnreachable before any route source is in; but once every source is lost, yes", () => {
    const s = new Setup([web]);
    for (const n of [1, 2, 3]) s.rib.removePeer(peerId("bgp", `127.0.1.${n}`), s.clock.now());
    s.setView([web]);
    s.at(10);
    expect(s.events).toEqual([]); // start-up: no peer has reported anything yet
    s.rib.addPeer(peer("127.0.1.1"));
    s.rib.setSynced(peerId("bgp", "127.0.1.1"));
    s.announce(1, "10.208.1.5/32");
    s.at(20);
    expect(s.events).toEqual([]);
    s.rib.removePeer(peerId("bgp", "127.0.1.1"), s.clock.now());
    s.setView([web]);
    s.at(30);
    expect(s.events).toContain("firing ServiceUnreachable  10.208.1.5/32");
  });

  it("OrphanRoute for a host route in the pool that no service owns", () => {
    const s = new Setup([web]);
    s.announce(1, "10.208.1.5/32");
    s.announce(2, "10.208.1.77/32");
    s.announce(2, "172.16.0.1/32"); // outside every service range: not an orphan
    s.at(10);
    expect(s.events).toEqual(["firing OrphanRoute node2 10.208.1.77/32"]);
  });

  it("PoolNotAdvertised when Calico does not list the pool and no route covers it", () => {
    const s = new Setup([], { calicoLb: [] });
    s.announce(1, "192.168.1.0/26");
    s.at(10);
    expect(s.events).toEqual(["firing PoolNotAdvertised  10.208.1.0/24"]);
    s.announce(1, "10.208.0.0/16");
    s.at(20);
    expect(s.events).toContain("resolved PoolNotAdvertised  10.208.1.0/24");
  });

  it("BuggyServiceIP for .0 and .255 from a pool without avoidBuggyIPs", () => {
    const svc = { ...web, ip: "10.208.1.255" };
    const s = new Setup([svc], { pools: [{ cidrs: ["10.208.1.0/24"], avoidBuggyIPs: false }] });
    s.announce(1, "10.208.1.255/32");
    s.at(10);
    expect(s.events).toEqual(["firing BuggyServiceIP  10.208.1.255/32"]);
    const t = new Setup([svc]);
    t.announce(1, "10.208.1.255/32");
    t.at(10);
    expect(t.events).toEqual([]);
  });

  it("RouteFlapping above the suppress threshold, cleared once the penalty decays below reuse", () => {
    const settings = {
      ...DEFAULT_CORRELATOR,
      routeFlap: { ...DEFAULT_CORRELATOR.routeFlap, halfLifeSeconds: 10 },
    };
    const s = new Setup([{ ...web, ready: ["node1"] }], {}, settings);
    for (let i = 0; i < 3; i++) {
      s.at(i * 2);
      s.announce(1, "10.208.1.5/32");
      s.at(i * 2 + 1);
      s.withdraw(1, "10.208.1.5/32");
    }
    s.announce(1, "10.208.1.5/32");
    s.at(12);
    expect(s.events.filter((e) => e.includes("RouteFlapping"))).toEqual([
      "firing RouteFlapping node1 10.208.1.5/32",
    ]);
    // Penalty ~2700 at t=5; below reuse 750 after ~log2(2700/750)*10 s = ~18.5 s.
    s.at(60);
    expect(s.events.filter((e) => e.includes("RouteFlapping"))).toEqual([
      "firing RouteFlapping node1 10.208.1.5/32",
      "resolved RouteFlapping node1 10.208.1.5/32",
    ]);
  });

  it("measures convergence when a pod moves, and fires SlowConvergence when a node never follows", () => {
    const s = new Setup([web]);
    s.announce(1, "10.208.1.5/32");
    s.at(10);
    s.setView([{ ...web, ready: ["node2"] }]);
    s.at(11);
    s.announce(2, "10.208.1.5/32");
    s.at(12.5);
    s.withdraw(1, "10.208.1.5/32");
    s.at(20);
    expect(s.convergences).toEqual([{ service: "web", seconds: 2.5 }]);
    expect(s.events).toEqual([]); // the move finished within the grace period

    s.setView([{ ...web, ready: ["node3"] }]);
    s.at(60);
    expect(s.events).toContain("firing SlowConvergence node3 10.208.1.5/32");
    expect(s.events).toContain("firing RouteWithoutEndpoint node2 10.208.1.5/32");
  });

  it("reports each service's advertisers, ECMP width and verdict", () => {
    const s = new Setup([{ ...web, ready: ["node1", "node2"] }]);
    s.announce(1, "10.208.1.5/32");
    s.announce(2, "10.208.1.5/32");
    s.at(10);
    expect(s.correlator.services()).toEqual([
      {
        namespace: "default",
        name: "web",
        ips: ["10.208.1.5"],
        policy: "Local",
        endpointNodes: ["node1", "node2"],
        advertisers: { bgp: ["node1", "node2"] },
        ecmp: { width: 2, basis: "bgp" },
        verdict: ["ok"],
      },
    ]);
  });
});

describe("flap damping timing", () => {
  it("a penalty capped at maxPenalty clears at the moment it decays below reuse, with no other input", () => {
    // 3000 (the cap) halves to 750 in exactly two half-lives: the wake-up must come just after.
    const flap = { ...DEFAULT_CORRELATOR.routeFlap, halfLifeSeconds: 10, maxPenalty: 3000 };
    const s = new Setup([web], {}, { ...DEFAULT_CORRELATOR, routeFlap: flap });
    for (let i = 0; i < 6; i++) {
      s.at(i * 0.4);
      s.announce(1, "10.208.1.5/32");
      s.at(i * 0.4 + 0.2);
      s.withdraw(1, "10.208.1.5/32");
    }
    s.announce(1, "10.208.1.5/32");
    s.at(10);
    expect(s.events.filter((e) => e.includes("RouteFlapping"))).toEqual([
      "firing RouteFlapping node1 10.208.1.5/32",
    ]);
    // Last withdrawal at 2.2 s: 3000 -> 750 at 22.2 s. Nothing else happens after it.
    s.at(22.3);
    expect(s.events.filter((e) => e.includes("RouteFlapping"))).toEqual([
      "firing RouteFlapping node1 10.208.1.5/32",
      "resolved RouteFlapping node1 10.208.1.5/32",
    ]);
  });
});
