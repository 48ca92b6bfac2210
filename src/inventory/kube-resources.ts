/**
 * The API resources the inventory watches, with the list call for each. Core kinds use the typed
 * clients; MetalLB and Calico are custom resources (or, for projectcalico.org/v3, the Calico API
 * server) that may not be installed.
 */
import {
  type ConfigurationOptions,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  Observable,
  type ObservableMiddleware,
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
  /** Makes the list call (all namespaces), given up after `timeoutMs` (see listOptions). */
  lister(kc: KubeConfig, timeoutMs: number): () => Promise<KubeList>;
}

/** A list the API server accepted but never finished answering: aborted, then retried like an error. */
export class ListTimeoutError extends Error {
  readonly code = "LIST_TIMEOUT";
  constructor(timeoutMs: number) {
    super(`no complete answer to the list within ${timeoutMs / 1000} s`);
  }
}

/**
 * Request options that abort a list after `timeoutMs`. The client has no timeout of its own, so a
 * hung API server (or a proxy in front of it) would otherwise hold the inventory unsynced for good.
 */
function listOptions(timeoutMs: number): ConfigurationOptions {
  const abortAfter: ObservableMiddleware = {
    pre: (ctx) => {
      ctx.setSignal(AbortSignal.timeout(timeoutMs));
      return new Observable(Promise.resolve(ctx));
    },
    post: (ctx) => new Observable(Promise.resolve(ctx)),
  };
  return { middleware: [abortAfter], middlewareMergeStrategy: "append" };
}

/** Runs a list call with a timeout, naming a timeout as such. */
async function timed(
  timeoutMs: number,
  list: (options: ConfigurationOptions) => Promise<unknown>,
): Promise<KubeList> {
  try {
    return (await list(listOptions(timeoutMs))) as KubeList;
  } catch (e) {
    if ((e as { name?: string } | undefined)?.name === "AbortError") throw new ListTimeoutError(timeoutMs);
    throw e;
  }
}

function custom(kind: InventoryKind, group: string, version: string, plural: string): WatchedResource {
  return {
    id: `${plural}.${group}/${version}`,
    kind,
    apiVersion: `${group}/${version}`,
    path: `/apis/${group}/${version}/${plural}`,
    optional: true,
    lister(kc, timeoutMs) {
      const api = kc.makeApiClient(CustomObjectsApi);
      return () => timed(timeoutMs, (o) => api.listClusterCustomObject({ group, version, plural }, o));
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
    lister(kc, timeoutMs) {
      const api = kc.makeApiClient(CoreV1Api);
      return () => timed(timeoutMs, (o) => api.listServiceForAllNamespaces({}, o));
    },
  },
  {
    id: "endpointslices.discovery.k8s.io/v1",
    kind: "EndpointSlice",
    apiVersion: "discovery.k8s.io/v1",
    path: "/apis/discovery.k8s.io/v1/endpointslices",
    optional: false,
    lister(kc, timeoutMs) {
      const api = kc.makeApiClient(DiscoveryV1Api);
      return () => timed(timeoutMs, (o) => api.listEndpointSliceForAllNamespaces({}, o));
    },
  },
  {
    id: "nodes/v1",
    kind: "Node",
    apiVersion: "v1",
    path: "/api/v1/nodes",
    optional: false,
    lister(kc, timeoutMs) {
      const api = kc.makeApiClient(CoreV1Api);
      return () => timed(timeoutMs, (o) => api.listNode({}, o));
    },
  },
  custom("IPAddressPool", "metallb.io", "v1beta1", "ipaddresspools"),
  custom("BGPConfiguration", "crd.projectcalico.org", "v1", "bgpconfigurations"),
  custom("BGPConfiguration", "projectcalico.org", "v3", "bgpconfigurations"),
];
