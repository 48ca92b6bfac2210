import { describe, expect, it } from "vitest";
import { InventoryStore } from "../../../src/inventory/store.js";
import type { InventoryEvent, KubeObject, ServiceView } from "../../../src/inventory/types.js";
import { bgpConfiguration, endpointSlice, ipAddressPool, node, service } from "../../helpers/kube-objects.js";

const added = (...objects: KubeObject[]): InventoryEvent[] =>
  objects.map((object) => ({ tsMicros: 1, type: "ADDED", object }));
const event = (type: InventoryEvent["type"], object: KubeObject, tsMicros = 2): InventoryEvent => ({
  tsMicros,
  type,
  object,
});

function viewOf(...objects: KubeObject[]): ServiceView {
  const store = new InventoryStore();
  store.apply(added(...objects));
  return store.view();
}

const svc = (view: ServiceView, name: string, namespace = "default") =>
  view.services.find((s) => s.name === name && s.namespace === namespace)!;

describe("services", () => {
  it("reads type, ingress IPs and traffic policy (default Cluster)", () => {
    const view = viewOf(
      service({ name: "local", ips: ["10.208.1.5"], policy: "Local" }),
      service({ name: "cluster", ips: ["10.208.1.6"], policy: "Cluster" }),
      service({ name: "unset", ips: ["10.208.1.7"] }),
      service({ name: "internal", type: "ClusterIP" }),
    );
    expect(svc(view, "local")).toMatchObject({ type: "LoadBalancer", ips: ["10.208.1.5"], policy: "Local" });
    expect(svc(view, "cluster").policy).toBe("Cluster");
    expect(svc(view, "unset").policy).toBe("Cluster");
    expect(svc(view, "internal")).toMatchObject({ type: "ClusterIP", ips: [], endpoints: [] });
    // Sorted by namespace/name whatever the arrival order.
    expect(view.services.map((s) => s.name)).toEqual(["cluster", "internal", "local", "unset"]);
  });

  it("keeps dual-stack ingress and writes IPv6 in canonical form (as route prefixes are)", () => {
    const view = viewOf(
      service({ name: "dual", ips: ["10.208.1.8", "2001:DB8:0:0:0:0:0:10"], policy: "Local" }),
    );
    expect(svc(view, "dual").ips).toEqual(["10.208.1.8", "2001:db8::10"]);
  });

  it("ignores ingress entries that only have a hostname", () => {
    const s = service({ name: "elb", ips: ["10.208.1.9"] });
    (s.status as { loadBalancer: { ingress: object[] } }).loadBalancer.ingress.push({
      hostname: "lb.example.com",
    });
    expect(svc(viewOf(s), "elb").ips).toEqual(["10.208.1.9"]);
  });
});

describe("endpoints", () => {
  it("applies the EndpointConditions rules: ready nil is ready, serving nil follows ready, terminating nil is false", () => {
    const view = viewOf(
      service({ name: "web", ips: ["10.208.1.5"], policy: "Local" }),
      endpointSlice({
        name: "web-abc",
        service: "web",
        endpoints: [
          { ip: "192.168.1.2", node: "node1", ready: null, serving: null, terminating: null },
          { ip: "192.168.2.2", node: "node2", ready: false, serving: null, terminating: null },
          { ip: "192.168.3.2", node: "node3", ready: false, serving: true, terminating: true },
        ],
      }),
    );
    expect(svc(view, "web").endpoints).toEqual([
      { node: "node1", addresses: ["192.168.1.2"], ready: true, serving: true, terminating: false },
      { node: "node2", addresses: ["192.168.2.2"], ready: false, serving: false, terminating: false },
      { node: "node3", addresses: ["192.168.3.2"], ready: false, serving: true, terminating: true },
    ]);
    expect([...svc(view, "web").readyNodes]).toEqual(["node1"]);
  });

  it("joins every slice of a service, and only of that service in that namespace", () => {
    const view = viewOf(
      service({ name: "api", namespace: "shop", ips: ["10.208.1.6"], policy: "Local" }),
      service({ name: "api", namespace: "other", ips: ["10.208.1.7"], policy: "Local" }),
      endpointSlice({
        name: "api-1",
        namespace: "shop",
        service: "api",
        endpoints: [{ ip: "192.168.2.7", node: "node2" }],
      }),
      endpointSlice({
        name: "api-2",
        namespace: "shop",
        service: "api",
        endpoints: [{ ip: "192.168.3.4", node: "node3" }],
      }),
      endpointSlice({
        name: "api-x",
        namespace: "other",
        service: "api",
        endpoints: [{ ip: "192.168.1.4", node: "node1" }],
      }),
      endpointSlice({
        name: "db-1",
        namespace: "shop",
        service: "db",
        endpoints: [{ ip: "192.168.1.5", node: "node1" }],
      }),
    );
    expect([...svc(view, "api", "shop").readyNodes].sort()).toEqual(["node2", "node3"]);
    expect(svc(view, "api", "shop").endpoints.map((e) => e.addresses[0])).toEqual([
      "192.168.2.7",
      "192.168.3.4",
    ]);
    expect([...svc(view, "api", "other").readyNodes]).toEqual(["node1"]);
  });

  it("counts a node once, and endpoints without a node for none", () => {
    const view = viewOf(
      service({ name: "web", ips: ["10.208.1.5"], policy: "Local" }),
      endpointSlice({
        name: "web-1",
        service: "web",
        endpoints: [
          { ip: "192.168.1.2", node: "node1" },
          { ip: "192.168.1.3", node: "node1" },
          { ip: "10.0.0.9" },
        ],
      }),
    );
    expect([...svc(view, "web").readyNodes]).toEqual(["node1"]);
    expect(svc(view, "web").endpoints).toHaveLength(3);
  });

  it("follows slices as they change and go", () => {
    const store = new InventoryStore();
    store.apply(added(service({ name: "web", ips: ["10.208.1.5"], policy: "Local" })));
    const slice = endpointSlice({
      name: "web-1",
      service: "web",
      endpoints: [{ ip: "192.168.1.2", node: "node1" }],
    });
    store.apply(event("ADDED", slice));
    expect([...svc(store.view(), "web").readyNodes]).toEqual(["node1"]);
    store.apply(
      event(
        "MODIFIED",
        endpointSlice({ name: "web-1", service: "web", endpoints: [{ ip: "192.168.2.2", node: "node2" }] }),
      ),
    );
    expect([...svc(store.view(), "web").readyNodes]).toEqual(["node2"]);
    store.apply(event("DELETED", slice));
    expect(svc(store.view(), "web").endpoints).toEqual([]);
  });
});

describe("nodes", () => {
  it("takes InternalIP, ExternalIP and Calico's annotations (without /len), not hostnames", () => {
    const view = viewOf(
      node({
        name: "node1",
        internal: ["127.0.1.1"],
        external: ["10.10.0.1"],
        annotations: {
          "projectcalico.org/IPv4Address": "10.10.0.1/24",
          "projectcalico.org/IPv6Address": "2001:DB8::1/64",
          "projectcalico.org/IPv4IPIPTunnelAddr": "192.168.1.0",
        },
      }),
      node({ name: "node2", internal: ["127.0.1.2", "10.10.0.2"] }),
    );
    expect(view.nodes.get("node1")).toEqual({
      name: "node1",
      addresses: ["127.0.1.1", "10.10.0.1", "2001:db8::1"],
    });
    expect(view.nodes.get("node2")!.addresses).toEqual(["127.0.1.2", "10.10.0.2"]);
    expect(view.nodeForAddress("10.10.0.1")).toBe("node1");
    expect(view.nodeForAddress("2001:db8:0::1")).toBe("node1");
    expect(view.nodeForAddress("10.10.0.2")).toBe("node2");
    expect(view.nodeForAddress("node1")).toBeUndefined();
    expect(view.nodeForAddress("192.168.1.0")).toBeUndefined();
  });
});

describe("pools", () => {
  it("converts ranges to CIDRs and applies MetalLB's defaults", () => {
    const view = viewOf(
      ipAddressPool({ name: "lab", addresses: ["10.208.1.0/24"], avoidBuggyIPs: true }),
      ipAddressPool({
        name: "ranges",
        addresses: ["10.208.2.10-10.208.2.20", "fc00::-fc00::ff"],
        autoAssign: false,
      }),
    );
    expect(view.pools).toEqual([
      {
        namespace: "metallb-system",
        name: "lab",
        cidrs: ["10.208.1.0/24"],
        avoidBuggyIPs: true,
        autoAssign: true,
      },
      {
        namespace: "metallb-system",
        name: "ranges",
        cidrs: ["10.208.2.10/31", "10.208.2.12/30", "10.208.2.16/30", "10.208.2.20/32", "fc00::/120"],
        avoidBuggyIPs: false,
        autoAssign: false,
      },
    ]);
  });

  it("finds a service's pool by MetalLB's annotation, else by range", () => {
    const view = viewOf(
      ipAddressPool({ name: "lab", addresses: ["10.208.1.0/24"] }),
      ipAddressPool({ name: "v6", addresses: ["fc00::-fc00::ff"] }),
      service({
        name: "annotated",
        ips: ["10.208.1.5"],
        annotations: { "metallb.io/ip-allocated-from-pool": "other" },
      }),
      service({
        name: "old-annotation",
        ips: ["10.208.1.6"],
        annotations: { "metallb.universe.tf/ip-allocated-from-pool": "legacy" },
      }),
      service({ name: "by-range", ips: ["10.208.1.7"] }),
      service({ name: "by-v6-range", ips: ["fc00::80"] }),
      service({ name: "outside", ips: ["10.209.0.1"] }),
    );
    expect(svc(view, "annotated").pool).toBe("other");
    expect(svc(view, "old-annotation").pool).toBe("legacy");
    expect(svc(view, "by-range").pool).toBe("lab");
    expect(svc(view, "by-v6-range").pool).toBe("v6");
    expect(svc(view, "outside").pool).toBeUndefined();
    expect("pool" in svc(view, "outside")).toBe(false);
  });
});

describe("Calico BGPConfiguration", () => {
  it("is the union over objects and both APIs, without duplicates", () => {
    const view = viewOf(
      bgpConfiguration({
        loadBalancer: ["10.208.1.0/24"],
        external: ["10.209.0.0/16"],
        cluster: ["10.96.0.0/12"],
      }),
      bgpConfiguration({ api: "v3", loadBalancer: ["10.208.1.0/24"] }),
      bgpConfiguration({ name: "extra", loadBalancer: ["10.208.2.7/24"] }),
      bgpConfiguration({ name: "node.node1" }),
    );
    expect(view.calico).toEqual({
      serviceLoadBalancerIPs: ["10.208.1.0/24", "10.208.2.0/24"],
      serviceExternalIPs: ["10.209.0.0/16"],
      serviceClusterIPs: ["10.96.0.0/12"],
    });
  });

  it("keeps the two APIs' copies apart: deleting one leaves the other", () => {
    const store = new InventoryStore();
    const v1 = bgpConfiguration({ loadBalancer: ["10.208.1.0/24"] });
    store.apply(added(v1, bgpConfiguration({ api: "v3", loadBalancer: ["10.208.1.0/24"] })));
    store.apply(event("DELETED", v1));
    expect(store.view().calico.serviceLoadBalancerIPs).toEqual(["10.208.1.0/24"]);
  });
});

describe("the store", () => {
  it("ignores and counts other kinds, including a Knative Service", () => {
    const store = new InventoryStore();
    const result = store.apply(
      added(
        { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "default" } },
        {
          apiVersion: "serving.knative.dev/v1",
          kind: "Service",
          metadata: { name: "k", namespace: "default" },
        },
        { apiVersion: "v1", kind: "Pod", metadata: { name: "q", namespace: "default" } },
        service({ name: "web", ips: ["10.208.1.5"] }),
      ),
    );
    expect(result.ignored).toBe(3);
    expect(result.applied).toHaveLength(1);
    expect(Object.fromEntries(store.ignored())).toEqual({ Pod: 2, Service: 1 });
    expect(store.view().services.map((s) => s.name)).toEqual(["web"]);
  });

  it("tells listeners what changed, and [] when it becomes synced", () => {
    const store = new InventoryStore(["Service", "Node"]);
    const seen: (readonly InventoryEvent[])[] = [];
    const off = store.onChange((events) => seen.push(events));
    const web = service({ name: "web", ips: ["10.208.1.5"] });
    store.apply(event("ADDED", web));
    store.apply(event("DELETED", service({ name: "never-added" })));
    store.markSynced("Service");
    expect(store.synced).toBe(false);
    store.markSynced("Node");
    store.markSynced("Node");
    expect(store.synced).toBe(true);
    off();
    store.apply(event("DELETED", web));
    expect(seen).toEqual([[event("ADDED", web)], []]);
  });

  it("caches the view until something changes, and never changes a view it returned", () => {
    const store = new InventoryStore();
    store.apply(
      added(service({ name: "web", ips: ["10.208.1.5"] }), node({ name: "node1", internal: ["127.0.1.1"] })),
    );
    const first = store.view();
    expect(store.view()).toBe(first);
    expect(first.synced).toBe(false);
    store.markAllSynced();
    const second = store.view();
    expect(second).not.toBe(first);
    expect([first.synced, second.synced]).toEqual([false, true]);
    store.apply(event("MODIFIED", service({ name: "web", ips: ["10.208.1.99"] })));
    expect(first.services[0]!.ips).toEqual(["10.208.1.5"]);
    expect(store.view().services[0]!.ips).toEqual(["10.208.1.99"]);
    expect(() => (first.services as unknown[]).push({})).toThrow(TypeError);
    expect(() => first.services[0]!.ips.push("10.0.0.1")).toThrow(TypeError);
  });

  it("rejects an object with a used field of the wrong type, dropping its previous version", () => {
    const store = new InventoryStore();
    store.apply(added(service({ name: "web", ips: ["10.208.1.5"] })));
    const bad = service({ name: "web", ips: ["10.208.1.5"] });
    (bad.spec as Record<string, unknown>).externalTrafficPolicy = 5;
    const result = store.apply(event("MODIFIED", bad));
    expect(result.rejected.map((r) => r.error.message)).toEqual([
      "Service default/web: spec.externalTrafficPolicy: expected a string, got number 5",
    ]);
    expect(result.applied.map((e) => e.type)).toEqual(["DELETED"]);
    expect(store.view().services).toEqual([]);
    expect(store.rejected).toBe(1);
  });
});
