/**
 * Builds the ServiceView from the records read out of the objects. A pure function: the same
 * records give an equal view, whatever order the objects arrived in (everything is sorted).
 */
import { canonicalAddress, cidrContains, parseAddress } from "./addresses.js";
import type {
  BgpConfigRecord,
  EndpointState,
  NodeRecord,
  PoolRecord,
  ServiceRecord,
  SliceRecord,
} from "./objects.js";
import type { CalicoBgpState, NodeState, PoolState, ServiceState, ServiceView } from "./types.js";

export interface ViewInput {
  services: Iterable<ServiceRecord>;
  slices: Iterable<SliceRecord>;
  nodes: Iterable<NodeRecord>;
  pools: Iterable<PoolRecord>;
  bgpConfigs: Iterable<BgpConfigRecord>;
  synced: boolean;
}

function byNamespaceName<T extends { namespace?: string; name: string }>(items: Iterable<T>): T[] {
  const key = (t: T): string => `${t.namespace ?? ""}/${t.name}`;
  return [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** The pool an address was allocated from: the first pool (by namespace/name) whose ranges hold it. */
function poolHolding(pools: readonly PoolRecord[], ip: string): string | undefined {
  const a = parseAddress(ip);
  return a && pools.find((p) => p.ranges.some((c) => cidrContains(c, a)))?.name;
}

function calicoUnion(configs: readonly BgpConfigRecord[]): CalicoBgpState {
  const union = (pick: (c: BgpConfigRecord) => string[]): string[] => [...new Set(configs.flatMap(pick))];
  return Object.freeze({
    serviceLoadBalancerIPs: Object.freeze(union((c) => c.serviceLoadBalancerIPs)) as string[],
    serviceExternalIPs: Object.freeze(union((c) => c.serviceExternalIPs)) as string[],
    serviceClusterIPs: Object.freeze(union((c) => c.serviceClusterIPs)) as string[],
  });
}

export function buildView(input: ViewInput): ServiceView {
  const pools = byNamespaceName(input.pools);
  const endpointsOf = new Map<string, EndpointState[]>();
  for (const slice of byNamespaceName(input.slices)) {
    if (!slice.service) continue;
    const key = `${slice.namespace}/${slice.service}`;
    const list = endpointsOf.get(key) ?? [];
    list.push(
      ...slice.endpoints.map((e) =>
        Object.freeze({ ...e, addresses: Object.freeze([...e.addresses]) as string[] }),
      ),
    );
    endpointsOf.set(key, list);
  }

  const services: ServiceState[] = byNamespaceName(input.services).map((s) => {
    const endpoints = endpointsOf.get(`${s.namespace}/${s.name}`) ?? [];
    const readyNodes = new Set(endpoints.flatMap((e) => (e.ready && e.node ? [e.node] : [])));
    const pool = s.poolAnnotation ?? s.ips.map((ip) => poolHolding(pools, ip)).find((p) => p !== undefined);
    return Object.freeze({
      namespace: s.namespace,
      name: s.name,
      type: s.type,
      ips: Object.freeze([...s.ips]) as string[],
      policy: s.policy,
      endpoints: Object.freeze(endpoints) as EndpointState[],
      readyNodes,
      ...(pool !== undefined ? { pool } : {}),
    });
  });

  const nodes = new Map<string, NodeState>();
  const byAddress = new Map<string, string>();
  for (const n of byNamespaceName(input.nodes)) {
    nodes.set(
      n.name,
      Object.freeze({ name: n.name, addresses: Object.freeze([...n.addresses]) as string[] }),
    );
    // Two nodes claiming one address is a misconfiguration; the first by name keeps it.
    for (const a of n.addresses) if (!byAddress.has(a)) byAddress.set(a, n.name);
  }

  const poolStates: PoolState[] = pools.map((p) =>
    Object.freeze({
      namespace: p.namespace,
      name: p.name,
      cidrs: Object.freeze([...p.cidrs]) as string[],
      avoidBuggyIPs: p.avoidBuggyIPs,
      autoAssign: p.autoAssign,
    }),
  );

  return Object.freeze({
    services: Object.freeze(services) as ServiceState[],
    nodes,
    pools: Object.freeze(poolStates) as PoolState[],
    calico: calicoUnion(byNamespaceName(input.bgpConfigs)),
    nodeForAddress(address: string): string | undefined {
      return byAddress.get(address) ?? byAddress.get(canonicalAddress(address) ?? "");
    },
    synced: input.synced,
  });
}
