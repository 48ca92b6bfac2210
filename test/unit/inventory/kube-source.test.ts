/**
 * The live inventory against an in-process API server (test/helpers/kube-apiserver.ts), with the
 * real @kubernetes/client-node doing the HTTP: sync, live changes, dropped streams, 410 Gone,
 * bookmarks, missing CRDs, errors and an unreachable server.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { realClock, type Clock } from "../../../src/core/clock.js";
import { createLogger } from "../../../src/core/log.js";
import { Metrics } from "../../../src/core/metrics.js";
import { loadInventoryFile } from "../../../src/inventory/file-source.js";
import { KubeConfigError, loadKubeConfig } from "../../../src/inventory/kube-config.js";
import { KubeSource } from "../../../src/inventory/kube-source.js";
import { InventoryStore } from "../../../src/inventory/store.js";
import type { InventoryEvent, KubeObject, ServiceView } from "../../../src/inventory/types.js";
import { FakeKubeApiServer, resourceFor, type ResourceName } from "../../helpers/kube-apiserver.js";
import {
  endpointSlice,
  INVENTORY_FIXTURES,
  ipAddressPool,
  plainView,
  service,
} from "../../helpers/kube-objects.js";

const EXAMPLE = loadInventoryFile(path.join(INVENTORY_FIXTURES, "example-list.json"));

/** Every event gets this time: proof that the source stamps events with the injected clock. */
const STAMP = 1_764_079_200_000_000;
const clock: Clock = { now: () => STAMP, after: (ms, fn) => realClock.after(ms, fn) };

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until<T>(what: string, check: () => T, timeoutMs = 4000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface LogLine {
  level: number;
  msg: string;
  resource?: string;
  err?: string;
}

interface Harness {
  api: FakeKubeApiServer;
  store: InventoryStore;
  source: KubeSource;
  events: InventoryEvent[];
  logs: LogLine[];
  metrics: Metrics;
}

const WARN = 40;

async function setup(
  o: {
    objects?: KubeObject[];
    notInstalled?: ResourceName[];
    apiDown?: boolean;
    token?: string;
    stallLists?: number;
    listTimeoutMs?: number;
    watchTimeoutSeconds?: number;
    ignoreWatchTimeouts?: boolean;
  } = {},
): Promise<Harness> {
  const api = await FakeKubeApiServer.start({ ...(o.notInstalled ? { notInstalled: o.notInstalled } : {}) });
  api.stallLists = o.stallLists ?? 0;
  api.ignoreWatchTimeouts = o.ignoreWatchTimeouts ?? false;
  cleanups.push(() => api.stop());
  for (const object of o.objects ?? EXAMPLE.events.map((e) => e.object)) {
    // Objects of a CRD that is not installed cannot exist.
    if (api.isInstalled(resourceFor(object))) api.add(object);
  }
  if (o.apiDown) await api.stop();
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split("\n")) if (line) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const store = new InventoryStore();
  const events: InventoryEvent[] = [];
  store.onChange((e) => events.push(...e));
  const metrics = new Metrics();
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(
    o.token ? api.kubeconfigYaml().replace(`token: ${api.token}`, `token: ${o.token}`) : api.kubeconfigYaml(),
  );
  const source = new KubeSource({
    kubeConfig,
    store,
    clock,
    log: createLogger("debug", sink),
    metrics,
    backoff: { initialMs: 40, maxMs: 200 },
    missingRetryMs: 150,
    ...(o.listTimeoutMs !== undefined ? { listTimeoutMs: o.listTimeoutMs } : {}),
    ...(o.watchTimeoutSeconds !== undefined ? { watchTimeoutSeconds: o.watchTimeoutSeconds } : {}),
  });
  cleanups.push(() => source.stop());
  source.start();
  return { api, store, source, events, logs, metrics };
}

const byName = (v: ServiceView, name: string) => v.services.find((s) => s.name === name);
const readyNodes = (v: ServiceView, name: string) => [...(byName(v, name)?.readyNodes ?? [])].sort();
const status = (h: Harness, id: string) => h.source.status().find((s) => s.id === id)!;

describe("KubeSource with the real client", () => {
  it("lists every resource, then watches; the view equals the one from the same objects in a file", async () => {
    const h = await setup();
    await until("synced", () => h.store.synced);
    expect(h.source.synced).toBe(true);
    expect(plainView(h.store.view())).toEqual(plainView(applyFile()));
    expect(h.events.every((e) => e.tsMicros === STAMP)).toBe(true);
    // List items come without kind/apiVersion; the source puts them back.
    expect(h.store.list("Service").every((o) => o.apiVersion === "v1" && o.kind === "Service")).toBe(true);
    await until("six watches", () => h.api.openWatches() === 6);
    for (const r of [
      "services",
      "endpointslices",
      "nodes",
      "ipaddresspools",
      "bgpconfigurations.crd",
      "bgpconfigurations.v3",
    ] as const) {
      expect(h.api.lists(r), r).toBe(1);
      const [watch] = h.api.watches(r);
      expect(watch, r).toMatchObject({ allowWatchBookmarks: true });
      expect(Number(watch!.resourceVersion)).toBeGreaterThan(1000);
    }
    expect(h.source.status().map((s) => s.state)).toEqual(Array(6).fill("watching"));
    expect(await h.metrics.text()).toMatch(/^routewatch_inventory_synced 1$/m);
  });

  it("reflects live adds, changes and deletes", async () => {
    const h = await setup();
    await until("synced", () => h.store.synced);
    h.events.length = 0;
    const cache = service({ name: "cache", namespace: "shop", ips: ["10.208.1.20"], policy: "Local" });
    const slice = (ready: boolean) =>
      endpointSlice({
        name: "cache-1",
        namespace: "shop",
        service: "cache",
        endpoints: [{ ip: "192.168.3.9", node: "node3", ready }],
      });
    h.api.add(cache);
    h.api.add(slice(true));
    await until("cache ready on node3", () => readyNodes(h.store.view(), "cache").join() === "node3");
    expect(byName(h.store.view(), "cache")).toMatchObject({
      ips: ["10.208.1.20"],
      policy: "Local",
      pool: "lab-pool",
    });
    h.api.update(slice(false));
    await until("cache not ready", () => byName(h.store.view(), "cache")?.endpoints[0]?.ready === false);
    expect(readyNodes(h.store.view(), "cache")).toEqual([]);
    h.api.remove(cache);
    await until("cache gone", () => !byName(h.store.view(), "cache"));
    // Two streams: the order holds within a kind, not across kinds.
    const seen = (kind: string) =>
      h.events.filter((e) => e.object.kind === kind).map((e) => `${e.type} ${e.object.metadata?.name}`);
    expect(seen("Service")).toEqual(["ADDED cache", "DELETED cache"]);
    expect(seen("EndpointSlice")).toEqual(["ADDED cache-1", "MODIFIED cache-1"]);
    expect(h.events).toHaveLength(4);
    expect(h.api.lists("services") + h.api.lists("endpointslices")).toBe(2);
  });

  it.each(["close", "reset"] as const)(
    "resumes a dropped watch (%s) from its resourceVersion, replaying what changed meanwhile",
    async (how) => {
      const h = await setup();
      await until("watching", () => h.api.openWatches() === 6);
      const lastSeen = h.api.resourceVersion;
      expect(h.api.dropWatches("services", how)).toBe(1);
      expect(h.api.dropWatches("endpointslices", how)).toBe(1);
      // While nobody watches: web's pod moves to node2, and api goes.
      h.api.update(
        endpointSlice({
          name: "web-k8f2p",
          service: "web",
          endpoints: [{ ip: "192.168.2.14", node: "node2" }],
        }),
      );
      h.api.remove({ apiVersion: "v1", kind: "Service", metadata: { name: "api", namespace: "shop" } });
      await until(
        "web on node2 and api gone",
        () => readyNodes(h.store.view(), "web").join() === "node2" && !byName(h.store.view(), "api"),
      );
      expect(h.api.watches("services").map((w) => w.resourceVersion)).toEqual([
        String(h.api.watches("services")[0]!.resourceVersion),
        String(lastSeen),
      ]);
      expect(h.api.lists("services")).toBe(1);
      expect(h.api.lists("endpointslices")).toBe(1);
      if (how === "reset") expect(status(h, "services/v1").errors).toBe(1);
    },
  );

  it("asks the server to end each watch after timeoutSeconds, and resumes from there without re-listing", async () => {
    const h = await setup({ watchTimeoutSeconds: 1 });
    await until("a second services watch", () => h.api.watches("services").length >= 2, 5000);
    expect(h.api.watches("services").every((w) => w.timeoutSeconds === 1)).toBe(true);
    expect(h.api.lists("services")).toBe(1);
    expect(status(h, "services/v1").errors).toBe(0);
    h.api.remove({ apiVersion: "v1", kind: "Service", metadata: { name: "api", namespace: "shop" } });
    await until("api gone", () => !byName(h.store.view(), "api"));
  });

  it("aborts a watch the server never ends (a connection dead without FIN or RST) and starts over", async () => {
    const h = await setup({ watchTimeoutSeconds: 1, ignoreWatchTimeouts: true });
    await until("a stalled watch aborted", () => status(h, "services/v1").errors >= 1, 5000);
    expect(status(h, "services/v1").lastError).toBe(
      "watch stream still open after 1.5 s although the server was asked to end it sooner",
    );
    expect(await h.metrics.text()).toMatch(
      /^routewatch_inventory_errors_total\{resource="services\/v1",reason="WATCH_STALLED"\} \d+$/m,
    );
    // Watching again from where it was, and the aborted stream is closed (one open, none leaked).
    await until("watching again", () => h.api.watches("services").length >= 2);
    expect(h.api.openWatches("services")).toBe(1);
    h.api.remove({ apiVersion: "v1", kind: "Service", metadata: { name: "api", namespace: "shop" } });
    await until("api gone", () => !byName(h.store.view(), "api"));
  });

  it("re-lists after 410 Gone, and what was deleted while the watch was down disappears", async () => {
    const h = await setup();
    await until("watching", () => h.api.openWatches() === 6);
    h.events.length = 0;
    h.api.dropWatches("services", "reset");
    h.api.remove({ apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "default" } });
    h.api.add(service({ name: "late", ips: ["10.208.1.30"] }));
    h.api.compact(); // the deletion is no longer in the history
    await until("re-listed", () => h.api.lists("services") === 2);
    await until(
      "web gone, late there",
      () => !byName(h.store.view(), "web") && byName(h.store.view(), "late"),
    );
    expect(h.events.map((e) => `${e.type} ${e.object.metadata?.name}`).sort()).toEqual([
      "ADDED late",
      "DELETED web",
    ]);
    // The view is the same as a fresh list would give.
    expect(
      h.store
        .view()
        .services.map((s) => s.name)
        .sort(),
    ).toEqual(["api", "ingress-nginx-controller", "kubernetes", "late"]);
    await until("watching services again", () => h.api.openWatches("services") === 1);
    const watches = h.api.watches("services");
    expect(Number(watches.at(-1)!.resourceVersion)).toBe(h.api.resourceVersion);
  });

  it("follows bookmarks, so a reconnect after the history moved on resumes instead of re-listing", async () => {
    const h = await setup();
    await until("watching", () => h.api.openWatches() === 6);
    // Only nodes change: the services and slices watches see nothing but the resourceVersion moving.
    const n1 = h.api.get({ apiVersion: "v1", kind: "Node", metadata: { name: "node1" } })!;
    for (let i = 0; i < 3; i++)
      h.api.update({ ...n1, metadata: { ...n1.metadata, labels: { step: String(i) } } });
    const current = h.api.resourceVersion;
    expect(h.api.sendBookmarks("services")).toBe(1);
    h.api.compact();
    h.api.dropWatches("services");
    h.api.dropWatches("endpointslices");
    await until(
      "both watching again",
      () => h.api.openWatches("services") === 1 && h.api.openWatches("endpointslices") === 1,
    );
    // Services resumed from the bookmark; slices, without one, were too old and re-listed.
    expect(h.api.watches("services").at(-1)!.resourceVersion).toBe(String(current));
    expect(h.api.lists("services")).toBe(1);
    expect(h.api.lists("endpointslices")).toBe(2);
    expect(plainView(h.store.view())).toEqual(plainView(applyFile()));
  });

  it("tolerates missing CRDs: synced as empty, reported once, picked up when installed, dropped when removed", async () => {
    const h = await setup({ notInstalled: ["ipaddresspools", "bgpconfigurations.v3"] });
    await until("synced", () => h.store.synced);
    expect(h.store.view().pools).toEqual([]);
    expect(h.store.view().calico.serviceLoadBalancerIPs).toEqual(["10.208.1.0/24"]); // from the v1 CRD
    expect(status(h, "ipaddresspools.metallb.io/v1beta1").state).toBe("missing");
    expect(await h.metrics.text()).toMatch(
      /^routewatch_inventory_resource_available\{resource="ipaddresspools.metallb.io\/v1beta1"\} 0$/m,
    );
    const notFound = () =>
      h.api.requests.filter((r) => r.resource === "ipaddresspools" && r.status === 404).length;
    await until("three looks", () => notFound() >= 3);
    const warnings = () =>
      h.logs.filter((l) => l.level === WARN && l.resource === "ipaddresspools.metallb.io/v1beta1");
    expect(warnings().map((l) => l.msg)).toEqual([
      "inventory resource ipaddresspools.metallb.io/v1beta1 is not served (CRD not installed?): treated as empty",
    ]);

    h.api.install("ipaddresspools");
    h.api.add(ipAddressPool({ name: "lab-pool", addresses: ["10.208.1.0/24"], avoidBuggyIPs: true }));
    await until("pool seen", () => h.store.view().pools.length === 1);
    expect(byName(h.store.view(), "ingress-nginx-controller")!.pool).toBe("lab-pool");
    await until(
      "watching the pools",
      () => status(h, "ipaddresspools.metallb.io/v1beta1").state === "watching",
    );
    expect(h.logs.some((l) => l.msg === "inventory resource is available now")).toBe(true);
    expect(await h.metrics.text()).toMatch(
      /^routewatch_inventory_resource_available\{resource="ipaddresspools.metallb.io\/v1beta1"\} 1$/m,
    );

    h.api.uninstall("ipaddresspools");
    await until("pool gone", () => h.store.view().pools.length === 0);
    await until("missing again", () => status(h, "ipaddresspools.metallb.io/v1beta1").state === "missing");
    expect(warnings()).toHaveLength(2);
  });

  it("keeps retrying while the API server is unreachable, with backoff, then syncs when it comes up", async () => {
    const h = await setup({ apiDown: true });
    await sleep(500);
    expect(h.store.synced).toBe(false);
    const errors = status(h, "services/v1").errors;
    // 40, 80, 160, 200, 200 ms apart: about 5 attempts in 500 ms, not a busy loop.
    expect(errors).toBeGreaterThanOrEqual(2);
    expect(errors).toBeLessThanOrEqual(8);
    expect(status(h, "services/v1")).toMatchObject({
      state: "retrying",
      lastError: expect.stringMatching(/ECONNREFUSED/),
    });
    // Logged once per resource, not once per attempt.
    const warned = h.logs.filter((l) => l.level === WARN && l.resource === "services/v1");
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({
      msg: "inventory watch failed; retrying",
      err: expect.stringMatching(/ECONNREFUSED/),
    });
    expect(await h.metrics.text()).toMatch(
      /^routewatch_inventory_errors_total\{resource="services\/v1",reason="ECONNREFUSED"\} [2-8]$/m,
    );
    await h.api.listen();
    await until("synced", () => h.store.synced);
    expect(plainView(h.store.view())).toEqual(plainView(applyFile()));
  });

  it("gives up on a list the API server never answers, says so, and retries", async () => {
    // Every resource's first lists hang.
    const h = await setup({ stallLists: 100, listTimeoutMs: 300 });
    const api = h.api;
    await until("a timeout", () => status(h, "services/v1").errors >= 1);
    expect(h.store.synced).toBe(false);
    expect(status(h, "services/v1")).toMatchObject({
      state: "retrying",
      lastError: "no complete answer to the list within 0.3 s",
    });
    expect(await h.metrics.text()).toMatch(
      /^routewatch_inventory_errors_total\{resource="services\/v1",reason="LIST_TIMEOUT"\} \d+$/m,
    );
    api.stallLists = 0;
    await until("synced", () => h.store.synced);
    // The client closed the connections it gave up on (no socket kept per attempt).
    await until("stalled connections closed", () => api.stalledOpen === 0);
    expect(plainView(h.store.view())).toEqual(plainView(applyFile()));
  });

  it("reports 403 Forbidden and retries until access is granted", async () => {
    const api = await FakeKubeApiServer.start();
    api.failRequests(403);
    await api.stop();
    const h = await setupOn(api);
    await until("two failures", () => status(h, "nodes/v1").errors >= 2);
    expect(status(h, "nodes/v1").lastError).toBe("HTTP 403: nodes is forbidden: injected by the test");
    expect(h.store.synced).toBe(false);
    h.api.failRequests();
    await until("synced", () => h.store.synced);
  });

  it("reports 401 Unauthorized for a wrong token", async () => {
    const h = await setup({ token: "wrong" });
    await until("a failure", () => status(h, "services/v1").errors >= 1);
    expect(status(h, "services/v1").lastError).toMatch(/^HTTP 401/);
    expect(h.store.synced).toBe(false);
  });

  it("stops: every stream closed, no more requests", async () => {
    const h = await setup();
    await until("watching", () => h.api.openWatches() === 6);
    h.source.stop();
    await until("no watches open", () => h.api.openWatches() === 0);
    const count = h.api.requests.length;
    h.api.dropWatches();
    await sleep(300);
    expect(h.api.requests.length).toBe(count);
    expect(h.source.status().every((s) => s.state === "stopped")).toBe(true);
  });
});

/** A harness on an existing (stopped) fake server with its state, started again. */
async function setupOn(api: FakeKubeApiServer): Promise<Harness> {
  await api.listen();
  cleanups.push(() => api.stop());
  for (const e of EXAMPLE.events) api.add(e.object);
  const store = new InventoryStore();
  const source = new KubeSource({
    kubeConfig: api.kubeConfig(),
    store,
    clock,
    backoff: { initialMs: 40, maxMs: 200 },
  });
  cleanups.push(() => source.stop());
  source.start();
  return { api, store, source, events: [], logs: [], metrics: new Metrics() };
}

function applyFile(): ServiceView {
  const store = new InventoryStore();
  store.apply(EXAMPLE.events);
  store.markAllSynced();
  return store.view();
}

describe("loadKubeConfig", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "routewatch-kubeconfig-"));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const yaml = (server: string, skip: boolean) =>
    [
      "apiVersion: v1",
      "kind: Config",
      `clusters: [{name: c, cluster: {server: "${server}"${skip ? ", insecure-skip-tls-verify: true" : ""}}}]`,
      "users: [{name: u, user: {token: t}}]",
      "contexts: [{name: x, context: {cluster: c, user: u}}]",
      "current-context: x",
    ].join("\n");

  it("loads --kubeconfig, else KUBECONFIG, else ~/.kube/config, else in-cluster, else says what to do", () => {
    const file = path.join(tmp, "a.yaml");
    fs.writeFileSync(file, yaml("https://10.0.0.1:6443", false));
    expect(loadKubeConfig({ file }).getCurrentCluster()!.server).toBe("https://10.0.0.1:6443");
    expect(loadKubeConfig({ env: { KUBECONFIG: file }, home: tmp }).getCurrentCluster()!.server).toBe(
      "https://10.0.0.1:6443",
    );
    fs.mkdirSync(path.join(tmp, ".kube"), { recursive: true });
    fs.writeFileSync(path.join(tmp, ".kube", "config"), yaml("https://10.0.0.2:6443", false));
    expect(loadKubeConfig({ env: {}, home: tmp }).getCurrentCluster()!.server).toBe("https://10.0.0.2:6443");
    expect(() => loadKubeConfig({ env: {}, home: path.join(tmp, "nowhere") })).toThrow(
      new KubeConfigError(
        "no Kubernetes configuration: pass --kubeconfig FILE, set KUBECONFIG, create ~/.kube/config, or run in a cluster",
      ),
    );
  });

  it("names the file that cannot be loaded, and refuses plain HTTP without insecure-skip-tls-verify", () => {
    expect(() => loadKubeConfig({ file: path.join(tmp, "missing.yaml") })).toThrow(
      /^cannot load the kubeconfig .*missing\.yaml: ENOENT/,
    );
    const file = path.join(tmp, "http.yaml");
    fs.writeFileSync(file, yaml("http://127.0.0.1:8080", false));
    expect(() => loadKubeConfig({ file })).toThrow(
      /uses plain HTTP \(http:\/\/127\.0\.0\.1:8080\): the client needs insecure-skip-tls-verify: true/,
    );
    fs.writeFileSync(file, yaml("http://127.0.0.1:8080", true));
    expect(loadKubeConfig({ file }).getCurrentCluster()!.skipTLSVerify).toBe(true);
  });
});
