/** The Kubernetes view the correlator reads (see the inventory store for how it is built). */

export type InventoryKind = "Service" | "EndpointSlice" | "Node" | "IPAddressPool" | "BGPConfiguration";

/** A Kubernetes object as the API or `kubectl get -o json` gives it. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: unknown;
  status?: unknown;
  [key: string]: unknown;
}

export interface InventoryEvent {
  tsMicros: number;
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: KubeObject;
}

export interface ServiceState {
  namespace: string;
  name: string;
  /** "LoadBalancer" etc. (only LoadBalancer services are checked). */
  type: string;
  /** status.loadBalancer.ingress[].ip (IPv4 and IPv6). */
  ips: string[];
  /** spec.externalTrafficPolicy (default Cluster). */
  policy: "Local" | "Cluster";
  /** Endpoints from every EndpointSlice of the service (label kubernetes.io/service-name). */
  endpoints: { node?: string; addresses: string[]; ready: boolean; serving: boolean; terminating: boolean }[];
  /** Nodes with at least one ready endpoint. */
  readyNodes: Set<string>;
  /** Pool that allocated it: metallb.io/ip-allocated-from-pool annotation, else the pool whose range holds the IP. */
  pool?: string;
}

export interface NodeState {
  name: string;
  /** status.addresses InternalIP/ExternalIP and Calico's projectcalico.org/IPv4Address / IPv6Address (without /len). */
  addresses: string[];
}

export interface PoolState {
  namespace: string;
  name: string;
  cidrs: string[];
  avoidBuggyIPs: boolean;
  autoAssign: boolean;
}

export interface CalicoBgpState {
  serviceLoadBalancerIPs: string[];
  serviceExternalIPs: string[];
  serviceClusterIPs: string[];
}

export interface ServiceView {
  services: ServiceState[];
  nodes: Map<string, NodeState>;
  pools: PoolState[];
  calico: CalicoBgpState;
  /** Node name for an address (any of its addresses), for mapping BGP peers / next hops to nodes. */
  nodeForAddress(address: string): string | undefined;
  /** True once every watched kind has been listed (informers synced, or the file fully read). */
  synced: boolean;
}
