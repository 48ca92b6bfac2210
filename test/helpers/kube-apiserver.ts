/**
 * An in-process Kubernetes API server for tests: real HTTP on 127.0.0.1, speaking the list/watch
 * protocol the real @kubernetes/client-node uses (never a mock of the client). It follows the API
 * conventions ("Efficient detection of changes", "Watch bookmarks"):
 *
 * - one resourceVersion counter for every change (like etcd's revision); a list answers with the
 *   current one in metadata.resourceVersion; built-in kinds' list items have no kind/apiVersion,
 *   custom resources' items do;
 * - `?watch=true&resourceVersion=N` streams, chunked, one JSON `{"type","object"}` per line: every
 *   change after N (from a bounded history), then live changes; without N (or "0") the current
 *   objects as ADDED first;
 * - a watch from a resourceVersion older than the history (after `compact()`) gets 200, one ERROR
 *   event carrying a Status with code 410 (reason Expired), and the end of the stream, as the real
 *   server does;
 * - BOOKMARK events (only the object's resourceVersion set) only to watches that asked for them
 *   with allowWatchBookmarks=true;
 * - 404 Status for resources whose CRD is not installed, 401 without the bearer token.
 *
 * Test controls: add/update/remove objects, install/uninstall a CRD, drop watch streams (clean end
 * or connection reset), send bookmarks, forget history, fail every request, stop and listen again.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";

export type ResourceName =
  | "services"
  | "endpointslices"
  | "nodes"
  | "ipaddresspools"
  | "bgpconfigurations.crd"
  | "bgpconfigurations.v3";

interface ResourceDef {
  name: ResourceName;
  kind: string;
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
  /** Built-in kinds (typed lists) leave kind and apiVersion out of list items; custom resources keep them. */
  builtin: boolean;
}

const RESOURCES: readonly ResourceDef[] = [
  {
    name: "services",
    kind: "Service",
    group: "",
    version: "v1",
    plural: "services",
    namespaced: true,
    builtin: true,
  },
  {
    name: "endpointslices",
    kind: "EndpointSlice",
    group: "discovery.k8s.io",
    version: "v1",
    plural: "endpointslices",
    namespaced: true,
    builtin: true,
  },
  {
    name: "nodes",
    kind: "Node",
    group: "",
    version: "v1",
    plural: "nodes",
    namespaced: false,
    builtin: true,
  },
  {
    name: "ipaddresspools",
    kind: "IPAddressPool",
    group: "metallb.io",
    version: "v1beta1",
    plural: "ipaddresspools",
    namespaced: true,
    builtin: false,
  },
  {
    name: "bgpconfigurations.crd",
    kind: "BGPConfiguration",
    group: "crd.projectcalico.org",
    version: "v1",
    plural: "bgpconfigurations",
    namespaced: false,
    builtin: false,
  },
  {
    name: "bgpconfigurations.v3",
    kind: "BGPConfiguration",
    group: "projectcalico.org",
    version: "v3",
    plural: "bgpconfigurations",
    namespaced: false,
    builtin: false,
  },
];

const SHORT_NAMES: Partial<Record<ResourceName, string[]>> = { services: ["svc"], nodes: ["no"] };

const apiVersionOf = (r: ResourceDef): string => (r.group ? `${r.group}/${r.version}` : r.version);

/** The resource an object belongs to, from its apiVersion and kind. */
export function resourceFor(object: { apiVersion?: string; kind?: string }): ResourceName {
  const r = RESOURCES.find((d) => apiVersionOf(d) === object.apiVersion && d.kind === object.kind);
  if (!r) throw new Error(`fake API server: no resource for ${object.apiVersion} ${object.kind}`);
  return r.name;
}

export interface KubeObjectLike {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; [k: string]: unknown };
  [k: string]: unknown;
}

interface StoredObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion: string; uid: string; [k: string]: unknown };
  [k: string]: unknown;
}

interface HistoryEntry {
  rv: number;
  resource: ResourceName;
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: StoredObject;
}

interface Watcher {
  resource: ResourceName;
  namespace: string | undefined;
  bookmarks: boolean;
  res: http.ServerResponse;
}

export interface RequestRecord {
  method: string;
  path: string;
  resource?: ResourceName;
  watch: boolean;
  resourceVersion?: string;
  allowWatchBookmarks: boolean;
  timeoutSeconds?: number;
  status: number;
}

export interface FakeApiServerOptions {
  /** Resources whose CRD (or aggregated API) is not installed: 404 until install(). */
  notInstalled?: ResourceName[];
  /**
   * The bearer token the kubeconfig carries and requests must present; false for none (kubectl does
   * not send tokens over plain HTTP).
   */
  token?: string | false;
}

function status(code: number, reason: string, message: string): object {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
}

const clone = <T>(v: T): T => structuredClone(v);

export class FakeKubeApiServer {
  private server: http.Server | undefined;
  private portNumber = 0;
  private rv = 1000;
  /** Watches from a resourceVersion below this get 410 Gone. */
  private oldestRv = 1000;
  private readonly objects = new Map<ResourceName, Map<string, StoredObject>>(
    RESOURCES.map((r) => [r.name, new Map()]),
  );
  private history: HistoryEntry[] = [];
  private readonly installed = new Set<ResourceName>(RESOURCES.map((r) => r.name));
  private watchers = new Set<Watcher>();
  private failure: { code: number; reason: string } | undefined;
  private uidCounter = 0;
  readonly token: string | false;
  readonly requests: RequestRecord[] = [];
  /** Lists to leave unanswered (a hung API server): the connection stays open, nothing is sent. */
  stallLists = 0;
  /** Watches are not ended at their timeoutSeconds (as if the server's close never got through). */
  ignoreWatchTimeouts = false;
  /** Unanswered lists whose connection the client has not closed yet. */
  stalledOpen = 0;
  /** Called after a list is answered (a test can make the history move on before the watch). */
  afterList: ((resource: ResourceName) => void) | undefined;

  private constructor(options: FakeApiServerOptions) {
    this.token = options.token ?? "fake-token";
    for (const r of options.notInstalled ?? []) this.installed.delete(r);
  }

  static async start(options: FakeApiServerOptions = {}): Promise<FakeKubeApiServer> {
    const s = new FakeKubeApiServer(options);
    await s.listen();
    return s;
  }

  get port(): number {
    return this.portNumber;
  }

  get url(): string {
    return `http://127.0.0.1:${this.portNumber}`;
  }

  /** Listens (again) on 127.0.0.1; on the same port as before once one was chosen. */
  async listen(): Promise<void> {
    if (this.server) return;
    const server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.portNumber, "127.0.0.1", () => resolve());
    });
    this.portNumber = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and cuts every connection (the state is kept: listen() brings it back). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.watchers.clear();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  /** A kubeconfig for the real client: plain HTTP (so TLS checks off) and a bearer token. */
  kubeconfigYaml(): string {
    return [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: fake",
      "  cluster:",
      `    server: ${this.url}`,
      "    insecure-skip-tls-verify: true",
      "users:",
      "- name: tester",
      this.token === false ? "  user: {}" : `  user:\n    token: ${this.token}`,
      "contexts:",
      "- name: fake",
      "  context: {cluster: fake, user: tester}",
      "current-context: fake",
      "",
    ].join("\n");
  }

  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromString(this.kubeconfigYaml());
    return kc;
  }

  // ---- state changes ----

  get resourceVersion(): number {
    return this.rv;
  }

  /** Creates an object (ADDED); its resource follows from apiVersion and kind. */
  add(object: KubeObjectLike): StoredObject {
    const resource = resourceFor(object);
    const key = this.key(object);
    if (!this.installed.has(resource)) throw new Error(`fake API server: ${resource} is not installed`);
    if (this.objects.get(resource)!.has(key)) throw new Error(`fake API server: ${key} exists`);
    const stored = clone(object) as StoredObject;
    stored.metadata.uid ??= `00000000-0000-4000-8000-${String(++this.uidCounter).padStart(12, "0")}`;
    stored.metadata.creationTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, "Z");
    return this.change(resource, "ADDED", stored);
  }

  /** Replaces an existing object (MODIFIED). */
  update(object: KubeObjectLike): StoredObject {
    const resource = resourceFor(object);
    const old = this.objects.get(resource)!.get(this.key(object));
    if (!old) throw new Error(`fake API server: ${this.key(object)} does not exist`);
    const stored = clone(object) as StoredObject;
    stored.metadata.uid = old.metadata.uid;
    stored.metadata.creationTimestamp = old.metadata.creationTimestamp;
    return this.change(resource, "MODIFIED", stored);
  }

  /** Deletes an object (DELETED, carrying its last state at the deletion's resourceVersion). */
  remove(object: KubeObjectLike): void {
    const resource = resourceFor(object);
    const old = this.objects.get(resource)!.get(this.key(object));
    if (!old) throw new Error(`fake API server: ${this.key(object)} does not exist`);
    this.change(resource, "DELETED", clone(old));
  }

  get(object: KubeObjectLike): StoredObject | undefined {
    return this.objects.get(resourceFor(object))!.get(this.key(object));
  }

  isInstalled(resource: ResourceName): boolean {
    return this.installed.has(resource);
  }

  /** The CRD appears: the resource is served from now on. */
  install(resource: ResourceName): void {
    this.installed.add(resource);
  }

  /** The CRD is deleted: its objects are deleted (watchers see it), then the resource is gone. */
  uninstall(resource: ResourceName): void {
    for (const o of [...this.objects.get(resource)!.values()]) this.change(resource, "DELETED", clone(o));
    this.installed.delete(resource);
    for (const w of this.watchers) if (w.resource === resource) this.endWatch(w, "close");
  }

  /** Forgets the change history: watches from any earlier resourceVersion get 410 Gone. */
  compact(): void {
    this.oldestRv = this.rv;
    this.history = [];
  }

  /**
   * Ends open watch streams: "close" ends the chunked response cleanly (like the server's watch
   * timeout), "reset" destroys the connection (like a load balancer dropping it).
   */
  dropWatches(resource?: ResourceName, how: "close" | "reset" = "close"): number {
    let n = 0;
    for (const w of [...this.watchers]) {
      if (resource && w.resource !== resource) continue;
      this.endWatch(w, how);
      n++;
    }
    return n;
  }

  /** Sends a BOOKMARK at the current resourceVersion to watches that allow bookmarks. */
  sendBookmarks(resource?: ResourceName): number {
    let n = 0;
    for (const w of this.watchers) {
      if (!w.bookmarks || (resource && w.resource !== resource)) continue;
      const def = RESOURCES.find((r) => r.name === w.resource)!;
      this.write(w, "BOOKMARK", {
        kind: def.kind,
        apiVersion: apiVersionOf(def),
        metadata: { resourceVersion: String(this.rv) },
      });
      n++;
    }
    return n;
  }

  /** Answers every request with this status (401, 403, 500...) until called without one. */
  failRequests(code?: number): void {
    const reasons: Record<number, string> = {
      401: "Unauthorized",
      403: "Forbidden",
      500: "InternalError",
      503: "ServiceUnavailable",
    };
    this.failure = code === undefined ? undefined : { code, reason: reasons[code] ?? "Unknown" };
  }

  // ---- observation ----

  /** Successful list requests for a resource. */
  lists(resource: ResourceName): number {
    return this.requests.filter((r) => r.resource === resource && !r.watch && r.status === 200).length;
  }

  /** Watch requests for a resource that got a stream (200). */
  watches(resource: ResourceName): RequestRecord[] {
    return this.requests.filter((r) => r.resource === resource && r.watch && r.status === 200);
  }

  openWatches(resource?: ResourceName): number {
    return [...this.watchers].filter((w) => !resource || w.resource === resource).length;
  }

  // ---- internals ----

  private key(object: KubeObjectLike): string {
    const name = object.metadata?.name;
    if (!name) throw new Error("fake API server: object without metadata.name");
    return `${object.metadata?.namespace ?? ""}/${name}`;
  }

  private change(resource: ResourceName, type: HistoryEntry["type"], object: StoredObject): StoredObject {
    object.metadata.resourceVersion = String(++this.rv);
    const map = this.objects.get(resource)!;
    const key = this.key(object);
    if (type === "DELETED") map.delete(key);
    else map.set(key, object);
    this.history.push({ rv: this.rv, resource, type, object: clone(object) });
    for (const w of this.watchers) {
      if (w.resource === resource && (!w.namespace || w.namespace === object.metadata.namespace))
        this.write(w, type, object);
    }
    return clone(object);
  }

  private write(w: Watcher, type: string, object: object): void {
    w.res.write(JSON.stringify({ type, object }) + "\n");
  }

  private endWatch(w: Watcher, how: "close" | "reset"): void {
    this.watchers.delete(w);
    if (how === "close") w.res.end();
    else w.res.socket?.destroy();
  }

  /**
   * Legacy discovery (/api, /apis, /api/v1, /apis/GROUP/VERSION) for clients like kubectl that map
   * resource names to paths; only installed resources are listed.
   */
  private discovery(path: string): object | undefined {
    const served = RESOURCES.filter((r) => this.installed.has(r.name));
    const groups = [...new Set(served.filter((r) => r.group).map((r) => `${r.group}/${r.version}`))];
    if (path === "/api")
      return {
        kind: "APIVersions",
        versions: ["v1"],
        serverAddressByClientCIDRs: [
          { clientCIDR: "0.0.0.0/0", serverAddress: `127.0.0.1:${this.portNumber}` },
        ],
      };
    if (path === "/apis") {
      return {
        kind: "APIGroupList",
        apiVersion: "v1",
        groups: groups.map((gv) => {
          const [name, version] = gv.split("/") as [string, string];
          const v = { groupVersion: gv, version };
          return { name, versions: [v], preferredVersion: v };
        }),
      };
    }
    const gv =
      path === "/api/v1" ? "v1" : path.startsWith("/apis/") ? path.slice("/apis/".length) : undefined;
    const resources = served.filter((r) => apiVersionOf(r) === gv);
    if (!gv || resources.length === 0) return undefined;
    return {
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion: gv,
      resources: resources.map((r) => ({
        name: r.plural,
        singularName: r.kind.toLowerCase(),
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: ["get", "list", "watch"],
        ...(SHORT_NAMES[r.name] ? { shortNames: SHORT_NAMES[r.name] } : {}),
      })),
    };
  }

  /** "/api/v1/namespaces/ns/services" -> services in ns; "/apis/g/v/plural" -> all namespaces. */
  private route(path: string): { def: ResourceDef; namespace: string | undefined } | undefined {
    for (const def of RESOURCES) {
      const base = def.group ? `/apis/${def.group}/${def.version}` : `/api/${def.version}`;
      if (path === `${base}/${def.plural}`) return { def, namespace: undefined };
      const m = path.startsWith(`${base}/namespaces/`)
        ? /^\/namespaces\/([^/]+)\/([^/]+)$/.exec(path.slice(base.length))
        : null;
      if (m && def.namespaced && m[2] === def.plural) return { def, namespace: decodeURIComponent(m[1]!) };
    }
    return undefined;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://fake");
    const watch = url.searchParams.get("watch") === "true" || url.searchParams.get("watch") === "1";
    const route = this.route(url.pathname);
    const record: RequestRecord = {
      method: req.method ?? "GET",
      path: url.pathname,
      ...(route ? { resource: route.def.name } : {}),
      watch,
      ...(url.searchParams.has("resourceVersion")
        ? { resourceVersion: url.searchParams.get("resourceVersion")! }
        : {}),
      allowWatchBookmarks: url.searchParams.get("allowWatchBookmarks") === "true",
      ...(url.searchParams.has("timeoutSeconds")
        ? { timeoutSeconds: Number(url.searchParams.get("timeoutSeconds")) }
        : {}),
      status: 200,
    };
    this.requests.push(record);
    const reply = (code: number, body: object): void => {
      record.status = code;
      res.writeHead(code, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };

    if (this.token !== false && req.headers.authorization !== `Bearer ${this.token}`)
      return reply(401, status(401, "Unauthorized", "Unauthorized"));
    if (this.failure) {
      const { code, reason } = this.failure;
      const what = route ? route.def.plural + (route.def.group ? `.${route.def.group}` : "") : url.pathname;
      return reply(code, status(code, reason, `${what} is ${reason.toLowerCase()}: injected by the test`));
    }
    if (!route && req.method === "GET") {
      const discovery = this.discovery(url.pathname);
      if (discovery) return reply(200, discovery);
    }
    if (!route || !this.installed.has(route.def.name) || req.method !== "GET") {
      return reply(404, status(404, "NotFound", "the server could not find the requested resource"));
    }
    const { def, namespace } = route;
    const inNamespace = (o: StoredObject): boolean => !namespace || o.metadata.namespace === namespace;

    if (!watch && this.stallLists > 0) {
      this.stallLists--;
      record.status = 0;
      this.stalledOpen++;
      res.on("close", () => this.stalledOpen--);
      return;
    }
    if (!watch) {
      const items = [...this.objects.get(def.name)!.values()].filter(inNamespace).map((o) => {
        if (!def.builtin) return o;
        const { apiVersion: _a, kind: _k, ...rest } = o;
        return rest;
      });
      reply(200, {
        kind: `${def.kind}List`,
        apiVersion: apiVersionOf(def),
        metadata: { resourceVersion: String(this.rv), ...(def.builtin ? {} : { continue: "" }) },
        items,
      });
      this.afterList?.(def.name);
      return;
    }

    res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-cache, private" });
    res.flushHeaders();
    const w: Watcher = { resource: def.name, namespace, bookmarks: record.allowWatchBookmarks, res };
    const from = url.searchParams.get("resourceVersion") ?? "";
    if (from === "" || from === "0") {
      // "Start at most recent": the current state as ADDED, then changes.
      for (const o of this.objects.get(def.name)!.values()) if (inNamespace(o)) this.write(w, "ADDED", o);
    } else {
      const n = Number(from);
      if (!Number.isInteger(n) || n < this.oldestRv) {
        this.write(
          w,
          "ERROR",
          status(410, "Expired", `too old resource version: ${from} (${this.oldestRv})`),
        );
        res.end();
        return;
      }
      for (const e of this.history) {
        if (e.rv > n && e.resource === def.name && inNamespace(e.object)) this.write(w, e.type, e.object);
      }
    }
    this.watchers.add(w);
    const timeout = this.ignoreWatchTimeouts ? 0 : Number(url.searchParams.get("timeoutSeconds") ?? 0);
    const timer =
      timeout > 0
        ? setTimeout(() => this.watchers.has(w) && this.endWatch(w, "close"), timeout * 1000)
        : undefined;
    res.on("close", () => {
      this.watchers.delete(w);
      if (timer) clearTimeout(timer);
    });
  }
}
