/**
 * Kubernetes objects for inventory tests, shaped like the API returns them (apiVersion, kind,
 * metadata, spec, status), with only what a test cares about filled in; and the lab's example
 * inventory for another address block.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { KubeObject, ServiceView } from "../../src/inventory/types.js";

export const INVENTORY_FIXTURES = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../fixtures/inventory",
);

export function service(o: {
  name: string;
  namespace?: string;
  ips?: string[];
  policy?: "Local" | "Cluster";
  type?: string;
  annotations?: Record<string, string>;
}): KubeObject {
  const type = o.type ?? "LoadBalancer";
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: o.name,
      namespace: o.namespace ?? "default",
      ...(o.annotations ? { annotations: o.annotations } : {}),
    },
    spec: {
      type,
      ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }],
      ...(o.policy ? { externalTrafficPolicy: o.policy } : {}),
    },
    status: { loadBalancer: o.ips ? { ingress: o.ips.map((ip) => ({ ip, ipMode: "VIP" })) } : {} },
  };
}

export interface EndpointSpec {
  ip: string;
  node?: string;
  /** null leaves the condition out (nil). */
  ready?: boolean | null;
  serving?: boolean | null;
  terminating?: boolean | null;
}

export function endpointSlice(o: {
  name: string;
  service: string;
  namespace?: string;
  endpoints: EndpointSpec[];
}): KubeObject {
  const condition = (k: "ready" | "serving" | "terminating", v: boolean | null | undefined, dflt: boolean) =>
    v === null ? {} : { [k]: v ?? dflt };
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: o.name,
      namespace: o.namespace ?? "default",
      labels: {
        "kubernetes.io/service-name": o.service,
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
      },
    },
    addressType: o.endpoints.some((e) => e.ip.includes(":")) ? "IPv6" : "IPv4",
    endpoints: o.endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: {
        ...condition("ready", e.ready, true),
        ...condition("serving", e.serving, e.ready ?? true),
        ...condition("terminating", e.terminating, false),
      },
      ...(e.node ? { nodeName: e.node } : {}),
    })),
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
  };
}

export function node(o: {
  name: string;
  internal?: string[];
  external?: string[];
  annotations?: Record<string, string>;
}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: o.name,
      labels: { "kubernetes.io/hostname": o.name },
      ...(o.annotations ? { annotations: o.annotations } : {}),
    },
    spec: {},
    status: {
      addresses: [
        ...(o.internal ?? []).map((address) => ({ type: "InternalIP", address })),
        ...(o.external ?? []).map((address) => ({ type: "ExternalIP", address })),
        { type: "Hostname", address: o.name },
      ],
    },
  };
}

export function ipAddressPool(o: {
  name: string;
  namespace?: string;
  addresses: string[];
  avoidBuggyIPs?: boolean;
  autoAssign?: boolean;
}): KubeObject {
  return {
    apiVersion: "metallb.io/v1beta1",
    kind: "IPAddressPool",
    metadata: { name: o.name, namespace: o.namespace ?? "metallb-system" },
    spec: {
      addresses: o.addresses,
      ...(o.avoidBuggyIPs !== undefined ? { avoidBuggyIPs: o.avoidBuggyIPs } : {}),
      ...(o.autoAssign !== undefined ? { autoAssign: o.autoAssign } : {}),
    },
  };
}

export function bgpConfiguration(o: {
  name?: string;
  /** crd.projectcalico.org/v1 (the CRD) or projectcalico.org/v3 (the Calico API server). */
  api?: "crd" | "v3";
  loadBalancer?: string[];
  external?: string[];
  cluster?: string[];
}): KubeObject {
  const cidrs = (l: string[] | undefined) => l?.map((cidr) => ({ cidr }));
  return {
    apiVersion: o.api === "v3" ? "projectcalico.org/v3" : "crd.projectcalico.org/v1",
    kind: "BGPConfiguration",
    metadata: { name: o.name ?? "default" },
    spec: {
      asNumber: 64512,
      nodeToNodeMeshEnabled: false,
      ...(o.loadBalancer ? { serviceLoadBalancerIPs: cidrs(o.loadBalancer) } : {}),
      ...(o.external ? { serviceExternalIPs: cidrs(o.external) } : {}),
      ...(o.cluster ? { serviceClusterIPs: cidrs(o.cluster) } : {}),
    },
  };
}

/**
 * The committed example inventory (fixtures/inventory/example-list.json, base 0) for the lab block
 * 127.<base>.x.y: the nodes' InternalIPs become 127.<base>.1.i. Returns the JSON text.
 */
export function labInventory(base: number, file = "example-list.json"): string {
  return readFileSync(path.join(INVENTORY_FIXTURES, file), "utf8").replaceAll('"127.0.1.', `"127.${base}.1.`);
}

/** A view as plain data (sets and maps as sorted arrays), for comparing two views. */
export function plainView(v: ServiceView): unknown {
  return {
    services: v.services.map((s) => ({ ...s, readyNodes: [...s.readyNodes].sort() })),
    nodes: [...v.nodes.values()],
    pools: v.pools,
    calico: v.calico,
    synced: v.synced,
  };
}
