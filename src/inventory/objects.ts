/**
 * Reading the fields the view needs from raw Kubernetes objects. Lenient: only the fields we use
 * are checked, unknown fields pass, null means unset (as in Go's omitempty JSON); a field of the
 * wrong type is an error naming its path and what was expected. Addresses come out in canonical
 * text so they compare equal to the routes' prefixes.
 */
import { z } from "zod";
import { canonicalAddress, formatCidr, parseCidr, parsePoolAddresses, type Cidr } from "./addresses.js";
import { describeObject } from "./kinds.js";
import type { InventoryKind, KubeObject, PoolState, ServiceState } from "./types.js";

export type EndpointState = ServiceState["endpoints"][number];

export interface ServiceRecord {
  namespace: string;
  name: string;
  type: string;
  ips: string[];
  policy: "Local" | "Cluster";
  /** Pool named by MetalLB's allocation annotation. */
  poolAnnotation?: string;
}

export interface SliceRecord {
  namespace: string;
  name: string;
  /** Label kubernetes.io/service-name. */
  service?: string;
  endpoints: EndpointState[];
}

export interface NodeRecord {
  name: string;
  addresses: string[];
}

export interface PoolRecord extends PoolState {
  ranges: Cidr[];
}

export interface BgpConfigRecord {
  name: string;
  serviceLoadBalancerIPs: string[];
  serviceExternalIPs: string[];
  serviceClusterIPs: string[];
}

export type InventoryRecord =
  | { kind: "Service"; record: ServiceRecord }
  | { kind: "EndpointSlice"; record: SliceRecord }
  | { kind: "Node"; record: NodeRecord }
  | { kind: "IPAddressPool"; record: PoolRecord }
  | { kind: "BGPConfiguration"; record: BgpConfigRecord };

export interface FieldProblem {
  /** "spec.addresses[2]" */
  path: string;
  message: string;
}

/** An object of a known kind with a field we use of the wrong type or form. */
export class ObjectError extends Error {
  constructor(
    /** "Service default/web" */
    readonly object: string,
    readonly problems: FieldProblem[],
  ) {
    super(`${object}: ${problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join("; ")}`);
    this.name = "ObjectError";
  }
}

/** MetalLB's allocation annotation; older releases used the metallb.universe.tf prefix. */
export const POOL_ANNOTATIONS = [
  "metallb.io/ip-allocated-from-pool",
  "metallb.universe.tf/ip-allocated-from-pool",
];
export const CALICO_ADDRESS_ANNOTATIONS = ["projectcalico.org/IPv4Address", "projectcalico.org/IPv6Address"];
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

const opt = <T extends z.ZodType>(t: T) => t.nullish();

const ip = z.string().transform((s, ctx) => {
  const c = canonicalAddress(s);
  if (c === undefined) {
    ctx.addIssue({ code: "custom", message: `expected an IP address, got ${JSON.stringify(s)}` });
    return z.NEVER;
  }
  return c;
});

const cidr = z.string().transform((s, ctx) => {
  const c = parseCidr(s);
  if (!c) {
    ctx.addIssue({ code: "custom", message: `expected a CIDR like 10.208.1.0/24, got ${JSON.stringify(s)}` });
    return z.NEVER;
  }
  return formatCidr(c);
});

const poolAddresses = z.string().transform((s, ctx) => {
  const c = parsePoolAddresses(s);
  if (!c) {
    ctx.addIssue({
      code: "custom",
      message: `expected a CIDR (10.208.1.0/24), a range (10.208.1.10-10.208.1.20) or an address, got ${JSON.stringify(s)}`,
    });
    return z.NEVER;
  }
  return c;
});

const stringMap = opt(z.record(z.string(), z.string()));
const metadata = z.looseObject({
  name: z.string(),
  namespace: opt(z.string()),
  labels: stringMap,
  annotations: stringMap,
});

const serviceSchema = z.looseObject({
  metadata,
  spec: opt(z.looseObject({ type: opt(z.string()), externalTrafficPolicy: opt(z.string()) })),
  status: opt(
    z.looseObject({
      loadBalancer: opt(z.looseObject({ ingress: opt(z.array(z.looseObject({ ip: opt(ip) }))) })),
    }),
  ),
});

const sliceSchema = z.looseObject({
  metadata,
  endpoints: opt(
    z.array(
      z.looseObject({
        addresses: opt(z.array(z.string())),
        nodeName: opt(z.string()),
        conditions: opt(
          z.looseObject({
            ready: opt(z.boolean()),
            serving: opt(z.boolean()),
            terminating: opt(z.boolean()),
          }),
        ),
      }),
    ),
  ),
});

const nodeSchema = z.looseObject({
  metadata,
  status: opt(
    z.looseObject({ addresses: opt(z.array(z.looseObject({ type: z.string(), address: z.string() }))) }),
  ),
});

const poolSchema = z.looseObject({
  metadata,
  spec: z.looseObject({
    addresses: z.array(poolAddresses),
    avoidBuggyIPs: opt(z.boolean()),
    autoAssign: opt(z.boolean()),
  }),
});

const cidrList = opt(z.array(z.looseObject({ cidr })));
const bgpSchema = z.looseObject({
  metadata,
  spec: opt(
    z.looseObject({
      serviceLoadBalancerIPs: cidrList,
      serviceExternalIPs: cidrList,
      serviceClusterIPs: cidrList,
    }),
  ),
});

function unique<T>(items: Iterable<T>): T[] {
  return [...new Set(items)];
}

function readService(o: z.infer<typeof serviceSchema>): ServiceRecord {
  const annotations = o.metadata.annotations ?? {};
  const pool = POOL_ANNOTATIONS.map((a) => annotations[a]).find((v) => v);
  return {
    namespace: o.metadata.namespace ?? "default",
    name: o.metadata.name,
    type: o.spec?.type ?? "ClusterIP",
    ips: unique((o.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : []))),
    policy: o.spec?.externalTrafficPolicy === "Local" ? "Local" : "Cluster",
    ...(pool ? { poolAnnotation: pool } : {}),
  };
}

function readSlice(o: z.infer<typeof sliceSchema>): SliceRecord {
  const service = o.metadata.labels?.[SERVICE_NAME_LABEL];
  return {
    namespace: o.metadata.namespace ?? "default",
    name: o.metadata.name,
    ...(service ? { service } : {}),
    endpoints: (o.endpoints ?? []).map((e) => {
      // discovery.k8s.io/v1 EndpointConditions: ready nil means ready; serving nil defers to
      // ready; terminating nil means not terminating.
      const ready = e.conditions?.ready ?? true;
      return {
        ...(e.nodeName ? { node: e.nodeName } : {}),
        // FQDN slices hold names, which are kept as they are.
        addresses: (e.addresses ?? []).map((a) => canonicalAddress(a) ?? a),
        ready,
        serving: e.conditions?.serving ?? ready,
        terminating: e.conditions?.terminating ?? false,
      };
    }),
  };
}

function readNode(o: z.infer<typeof nodeSchema>, problems: FieldProblem[]): NodeRecord {
  const addresses: string[] = [];
  (o.status?.addresses ?? []).forEach((a, i) => {
    if (a.type !== "InternalIP" && a.type !== "ExternalIP") return;
    const c = canonicalAddress(a.address);
    if (c) addresses.push(c);
    else
      problems.push({
        path: `status.addresses[${i}].address`,
        message: `expected an IP address, got ${JSON.stringify(a.address)}`,
      });
  });
  for (const key of CALICO_ADDRESS_ANNOTATIONS) {
    const value = o.metadata.annotations?.[key];
    if (!value) continue;
    // Calico writes the address with its subnet length ("10.10.0.1/24").
    const c = canonicalAddress(value.split("/")[0]!);
    if (c) addresses.push(c);
    else
      problems.push({
        path: `metadata.annotations["${key}"]`,
        message: `expected ADDRESS/LEN, got ${JSON.stringify(value)}`,
      });
  }
  return { name: o.metadata.name, addresses: unique(addresses) };
}

function readPool(o: z.infer<typeof poolSchema>): PoolRecord {
  const ranges = o.spec.addresses.flat();
  return {
    namespace: o.metadata.namespace ?? "default",
    name: o.metadata.name,
    cidrs: unique(ranges.map(formatCidr)),
    ranges,
    avoidBuggyIPs: o.spec.avoidBuggyIPs ?? false,
    autoAssign: o.spec.autoAssign ?? true,
  };
}

function readBgpConfig(o: z.infer<typeof bgpSchema>): BgpConfigRecord {
  const cidrs = (l: { cidr: string }[] | null | undefined): string[] => unique((l ?? []).map((c) => c.cidr));
  return {
    name: o.metadata.name,
    serviceLoadBalancerIPs: cidrs(o.spec?.serviceLoadBalancerIPs),
    serviceExternalIPs: cidrs(o.spec?.serviceExternalIPs),
    serviceClusterIPs: cidrs(o.spec?.serviceClusterIPs),
  };
}

/** "spec.addresses[2]", "metadata.annotations["a/b"]" */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else if (typeof p === "string" && /^[A-Za-z_][\w]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const p of path)
    v = v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return `${typeof v} ${JSON.stringify(v)}`;
}

function problemsOf(error: z.ZodError, object: unknown): FieldProblem[] {
  return error.issues.map((issue) => ({
    path: formatPath(issue.path),
    message:
      issue.code === "invalid_type"
        ? `expected ${issue.expected === "array" || issue.expected === "object" ? "an" : "a"} ${issue.expected}, got ${describeValue(valueAt(object, issue.path))}`
        : issue.message,
  }));
}

function parse<S extends z.ZodType>(schema: S, object: KubeObject): z.infer<S> {
  const r = schema.safeParse(object);
  if (!r.success) throw new ObjectError(describeObject(object), problemsOf(r.error, object));
  return r.data;
}

/** Reads the fields the view uses from an object of a known kind; throws ObjectError when one is wrong. */
export function readObject(kind: InventoryKind, object: KubeObject): InventoryRecord {
  switch (kind) {
    case "Service":
      return { kind, record: readService(parse(serviceSchema, object)) };
    case "EndpointSlice":
      return { kind, record: readSlice(parse(sliceSchema, object)) };
    case "Node": {
      const problems: FieldProblem[] = [];
      const record = readNode(parse(nodeSchema, object), problems);
      if (problems.length) throw new ObjectError(describeObject(object), problems);
      return { kind, record };
    }
    case "IPAddressPool":
      return { kind, record: readPool(parse(poolSchema, object)) };
    case "BGPConfiguration":
      return { kind, record: readBgpConfig(parse(bgpSchema, object)) };
  }
}
