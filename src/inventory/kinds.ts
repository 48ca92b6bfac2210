/**
 * Which inventory kind an object is. A kind name alone is not enough: Knative also has a "Service"
 * (serving.knative.dev), so the API group must match when apiVersion is given.
 */
import type { InventoryKind, KubeObject } from "./types.js";

export const INVENTORY_KINDS: readonly InventoryKind[] = [
  "Service",
  "EndpointSlice",
  "Node",
  "IPAddressPool",
  "BGPConfiguration",
];

/** API groups each kind is accepted from ("" is the core group, apiVersion "v1"). */
const GROUPS: Record<InventoryKind, readonly string[]> = {
  Service: [""],
  EndpointSlice: ["discovery.k8s.io"],
  Node: [""],
  IPAddressPool: ["metallb.io"],
  // Calico's CRDs, and the same objects through the Calico API server.
  BGPConfiguration: ["crd.projectcalico.org", "projectcalico.org"],
};

/** "discovery.k8s.io/v1" -> "discovery.k8s.io"; "v1" -> "". */
export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.lastIndexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

/** The inventory kind of an object, or undefined for anything else (which the store ignores). */
export function kindOf(object: KubeObject): InventoryKind | undefined {
  const kind = object.kind as InventoryKind;
  const groups = typeof kind === "string" ? GROUPS[kind] : undefined;
  if (!groups || !Object.hasOwn(GROUPS, kind)) return undefined;
  const apiVersion = object.apiVersion;
  if (typeof apiVersion === "string" && !groups.includes(apiGroup(apiVersion))) return undefined;
  return kind;
}

/**
 * Identity of an object within its kind: group, namespace and name. The group keeps Calico's two
 * APIs apart (the same BGPConfiguration can arrive through both).
 */
export function objectKey(object: KubeObject): string {
  const group = typeof object.apiVersion === "string" ? apiGroup(object.apiVersion) : "";
  return `${group}|${object.metadata?.namespace ?? ""}|${object.metadata?.name ?? ""}`;
}

/** "Service default/web" or "Node node1", for messages. */
export function describeObject(object: KubeObject): string {
  const kind = typeof object.kind === "string" ? object.kind : "object";
  const ns = object.metadata?.namespace;
  const name = object.metadata?.name ?? "(no name)";
  return `${kind} ${ns ? `${ns}/` : ""}${name}`;
}
