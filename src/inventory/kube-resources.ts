/**
 * The API resources the inventory watches, with the list call for each. Core kinds use the typed
 * clients; MetalLB and Calico are custom resources (or, for projectcalico.org/v3, the Calico API
 * server) that may not be installed.
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from "@kubernetes/client-node";
import type { InventoryKind } from "./types.js";

export type KubeList = KubernetesListObject<KubernetesObject>;

export interface WatchedResource {
  /** "ipaddresspools.metallb.io/v1beta1", for logs and metric labels. */
  id: string;
  kind: InventoryKind;
  apiVersion: string;
  /** The collection path for all namespaces, which the watch uses too. */
  path: string;
  /** A custom resource or aggregated API: a 404 means "not installed", not an error. */
  optional: boolean;
  /** Makes the list call (all namespaces). */
  lister(kc: KubeConfig): () => Promise<KubeList>;
}

function custom(kind: InventoryKind, group: string, version: string, plural: string): WatchedResource {
  return {
    id: `${plural}.${group}/${version}`,
    kind,
    apiVersion: `${group}/${version}`,
    path: `/apis/${group}/${version}/${plural}`,
    optional: true,
    lister(kc) {
      const api = kc.makeApiClient(CustomObjectsApi);
      return () => api.listClusterCustomObject({ group, version, plural }) as Promise<KubeList>;
    },
  };
}

export const WATCHED_RESOURCES: readonly WatchedResource[] = [
  {
    id: "services/v1",
    kind: "Service",
    apiVersion: "v1",
    path: "/api/v1/services",
    optional: false,
    lister(kc) {
      const api = kc.makeApiClient(CoreV1Api);
      return () => api.listServiceForAllNamespaces() as Promise<KubeList>;
    },
  },
  {
    id: "endpointslices.discovery.k8s.io/v1",
    kind: "EndpointSlice",
    apiVersion: "discovery.k8s.io/v1",
    path: "/apis/discovery.k8s.io/v1/endpointslices",
    optional: false,
    lister(kc) {
      const api = kc.makeApiClient(DiscoveryV1Api);
      return () => api.listEndpointSliceForAllNamespaces() as Promise<KubeList>;
    },
  },
  {
    id: "nodes/v1",
    kind: "Node",
    apiVersion: "v1",
    path: "/api/v1/nodes",
    optional: false,
    lister(kc) {
      const api = kc.makeApiClient(CoreV1Api);
      return () => api.listNode() as Promise<KubeList>;
    },
  },
  custom("IPAddressPool", "metallb.io", "v1beta1", "ipaddresspools"),
  custom("BGPConfiguration", "crd.projectcalico.org", "v1", "bgpconfigurations"),
  custom("BGPConfiguration", "projectcalico.org", "v3", "bgpconfigurations"),
];
