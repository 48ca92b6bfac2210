/** Literal ServiceViews for unit tests of the correlator (the inventory store builds real ones). */
import type { NodeState, PoolState, ServiceState, ServiceView } from "../../src/inventory/types.js";

export interface ServiceSpec {
  name: string;
  namespace?: string;
  ip: string;
  policy?: "Local" | "Cluster";
  /** Nodes with a ready endpoint. */
  ready?: string[];
  /** Nodes with an endpoint that is not ready. */
  notReady?: string[];
  pool?: string;
}

export function makeView(o: {
  services?: ServiceSpec[];
  nodes?: Record<string, string[]>;
  pools?: Partial<PoolState>[];
  calicoLb?: string[];
  synced?: boolean;
}): ServiceView {
  const nodes = new Map<string, NodeState>(
    Object.entries(o.nodes ?? {}).map(([name, addresses]) => [name, { name, addresses }]),
  );
  const byAddress = new Map<string, string>();
  for (const n of nodes.values()) for (const a of n.addresses) byAddress.set(a, n.name);
  const services: ServiceState[] = (o.services ?? []).map((s) => ({
    namespace: s.namespace ?? "default",
    name: s.name,
    type: "LoadBalancer",
    ips: [s.ip],
    policy: s.policy ?? "Local",
    endpoints: [
      ...(s.ready ?? []).map((node) => ({
        node,
        addresses: ["192.168.0.1"],
        ready: true,
        serving: true,
        terminating: false,
      })),
      ...(s.notReady ?? []).map((node) => ({
        node,
        addresses: ["192.168.0.2"],
        ready: false,
        serving: false,
        terminating: true,
      })),
    ],
    readyNodes: new Set(s.ready ?? []),
    ...(s.pool ? { pool: s.pool } : {}),
  }));
  const pools: PoolState[] = (o.pools ?? []).map((p) => ({
    namespace: p.namespace ?? "metallb-system",
    name: p.name ?? "default",
    cidrs: p.cidrs ?? ["10.208.1.0/24"],
    avoidBuggyIPs: p.avoidBuggyIPs ?? true,
    autoAssign: p.autoAssign ?? true,
  }));
  return {
    services,
    nodes,
    pools,
    calico: { serviceLoadBalancerIPs: o.calicoLb ?? [], serviceExternalIPs: [], serviceClusterIPs: [] },
    nodeForAddress: (a) => byAddress.get(a),
    synced: o.synced ?? true,
  };
}
