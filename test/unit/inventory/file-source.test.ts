import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../../../src/core/clock.js";
import { parseTimestamp } from "../../../src/core/time.js";
import { InventoryReplay } from "../../../src/inventory/file-replay.js";
import {
  InventoryFileError,
  loadInventoryFile,
  parseInventory,
  type InventoryFile,
} from "../../../src/inventory/file-source.js";
import { InventoryStore } from "../../../src/inventory/store.js";
import type { ServiceView } from "../../../src/inventory/types.js";
import { INVENTORY_FIXTURES, labInventory, plainView } from "../../helpers/kube-objects.js";

const LIST = path.join(INVENTORY_FIXTURES, "example-list.json");
const TIMELINE = path.join(INVENTORY_FIXTURES, "example-timeline.jsonl");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "routewatch-inventory-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
}

function applyAll(file: InventoryFile): InventoryStore {
  const store = new InventoryStore();
  const replay = new InventoryReplay(file, store);
  replay.advanceTo(Number.MAX_SAFE_INTEGER);
  return store;
}

const svc = (v: ServiceView, name: string) => v.services.find((s) => s.name === name)!;
const ready = (v: ServiceView, name: string) => [...svc(v, name).readyNodes].sort();

/** The error a parse throws (fails the test when there is none). */
function errorOf(text: string, name = "inventory.yaml"): InventoryFileError {
  try {
    parseInventory(text, name);
  } catch (e) {
    expect(e).toBeInstanceOf(InventoryFileError);
    return e as InventoryFileError;
  }
  throw new Error("expected an InventoryFileError");
}

describe("the committed example inventory (fixtures/inventory)", () => {
  it("builds the lab's view from the kubectl List", () => {
    const file = loadInventoryFile(LIST, { atMicros: 42 });
    expect(file.format).toBe("snapshot");
    expect(file.events).toHaveLength(13);
    expect(file.events.every((e) => e.type === "ADDED" && e.tsMicros === 42)).toBe(true);
    expect(file.syncedAtMicros).toBe(42);
    const store = applyAll(file);
    const v = store.view();
    expect(v.synced).toBe(true);
    expect([...v.nodes.values()]).toEqual(
      [1, 2, 3].map((i) => ({
        name: `node${i}`,
        addresses: [`127.0.1.${i}`, `10.10.0.${i}`, `2001:db8::${i}`],
      })),
    );
    expect(v.nodeForAddress("10.10.0.2")).toBe("node2");
    expect(v.nodeForAddress("127.0.1.3")).toBe("node3");
    expect(v.services.map((s) => [s.namespace, s.name, s.type, s.ips, s.policy, s.pool])).toEqual([
      ["default", "kubernetes", "ClusterIP", [], "Cluster", undefined],
      ["default", "web", "LoadBalancer", ["10.208.1.5"], "Local", "lab-pool"],
      ["ingress-nginx", "ingress-nginx-controller", "LoadBalancer", ["10.208.1.7"], "Cluster", "lab-pool"],
      ["shop", "api", "LoadBalancer", ["10.208.1.6"], "Local", "lab-pool"],
    ]);
    expect(ready(v, "web")).toEqual(["node1"]);
    expect(ready(v, "api")).toEqual(["node2", "node3"]);
    expect(svc(v, "api").endpoints.find((e) => e.node === "node1")).toMatchObject({
      ready: false,
      serving: false,
    });
    expect(ready(v, "ingress-nginx-controller")).toEqual(["node2"]);
    expect(v.pools).toEqual([
      {
        namespace: "metallb-system",
        name: "lab-pool",
        cidrs: ["10.208.1.0/24"],
        avoidBuggyIPs: true,
        autoAssign: true,
      },
    ]);
    expect(v.calico).toEqual({
      serviceLoadBalancerIPs: ["10.208.1.0/24"],
      serviceExternalIPs: [],
      serviceClusterIPs: [],
    });
  });

  it("moves web's pod from node1 to node2 in the timeline, synced after the first timestamp", () => {
    const file = loadInventoryFile(TIMELINE);
    expect(file.format).toBe("timeline");
    const t0 = parseTimestamp("2026-11-25T14:00:00Z");
    expect(file.syncedAtMicros).toBe(t0);
    const store = new InventoryStore();
    const replay = new InventoryReplay(file, store);
    const at = (text: string): ServiceView => {
      replay.advanceTo(parseTimestamp(text));
      return store.view();
    };
    expect(at("2026-11-25T13:59:59Z").synced).toBe(false);
    const start = at("2026-11-25T14:00:00Z");
    expect(start.synced).toBe(true);
    // The first batch is the same cluster as the List.
    expect(plainView(start)).toEqual(plainView(applyAll(loadInventoryFile(LIST)).view()));
    expect(ready(at("2026-11-25T14:00:10.250Z"), "web")).toEqual(["node1"]);
    expect(svc(store.view(), "web").endpoints.map((e) => [e.node, e.ready])).toEqual([
      ["node1", true],
      ["node2", false],
    ]);
    expect(ready(at("2026-11-25T14:00:14.800Z"), "web")).toEqual(["node1", "node2"]);
    expect(ready(at("2026-11-25T14:00:15.100Z"), "web")).toEqual(["node2"]);
    expect(svc(store.view(), "web").endpoints[0]).toMatchObject({
      node: "node1",
      ready: false,
      serving: true,
      terminating: true,
    });
    expect(replay.nextDue()).toBe(parseTimestamp("2026-11-25T14:00:45.3Z"));
    expect(svc(at("2026-11-25T14:00:45.300Z"), "web").endpoints.map((e) => e.node)).toEqual(["node2"]);
    expect(replay.done).toBe(true);
  });

  it("plays on a virtual clock: each change at its time", () => {
    const file = loadInventoryFile(TIMELINE);
    const clock = new VirtualClock(parseTimestamp("2026-11-25T13:59:00Z"));
    const store = new InventoryStore();
    const changes: number[] = [];
    store.onChange(() => changes.push(clock.now()));
    new InventoryReplay(file, store).play(clock);
    expect(changes).toEqual([]);
    clock.advanceTo(parseTimestamp("2026-11-25T14:01:00Z"));
    const t = (s: string) => parseTimestamp(s);
    // The listing, the sync, then the four slice updates.
    expect(changes).toEqual([
      t("2026-11-25T14:00:00Z"),
      t("2026-11-25T14:00:00Z"),
      t("2026-11-25T14:00:10.25Z"),
      t("2026-11-25T14:00:14.8Z"),
      t("2026-11-25T14:00:15.1Z"),
      t("2026-11-25T14:00:45.3Z"),
    ]);
    expect(ready(store.view(), "web")).toEqual(["node2"]);
  });

  it("moves to another lab block with labInventory(base)", () => {
    const v = applyAll(parseInventory(labInventory(7), "lab.json")).view();
    expect(v.nodeForAddress("127.7.1.2")).toBe("node2");
    expect(v.nodeForAddress("127.0.1.2")).toBeUndefined();
  });
});

describe("snapshot forms", () => {
  it("reads a YAML multi-document stream of Lists and objects", () => {
    const text = [
      "# kubectl get -o yaml output, twice",
      "apiVersion: v1",
      "kind: List",
      "items:",
      "- apiVersion: v1",
      "  kind: Service",
      "  metadata: {name: web, namespace: default}",
      "  spec: {type: LoadBalancer, externalTrafficPolicy: Local}",
      "  status: {loadBalancer: {ingress: [{ip: 10.208.1.5}]}}",
      "---",
      "apiVersion: metallb.io/v1beta1",
      "kind: IPAddressPool",
      "metadata: {name: lab, namespace: metallb-system}",
      "spec: {addresses: [10.208.1.0/24]}",
      "---",
    ].join("\n");
    const v = applyAll(parseInventory(text, "x.yaml")).view();
    expect(v.services.map((s) => [s.name, s.policy, s.pool])).toEqual([["web", "Local", "lab"]]);
  });

  it("reads the API's typed list, whose items have no kind", () => {
    const text = JSON.stringify({
      kind: "NodeList",
      apiVersion: "v1",
      metadata: { resourceVersion: "5" },
      items: [
        {
          metadata: { name: "node1" },
          status: { addresses: [{ type: "InternalIP", address: "127.0.1.1" }] },
        },
      ],
    });
    expect(applyAll(parseInventory(text, "nodes.json")).view().nodeForAddress("127.0.1.1")).toBe("node1");
  });

  it("reads a single object, and an empty List", () => {
    const one = parseInventory('{"apiVersion":"v1","kind":"Node","metadata":{"name":"n"}}', "n.json");
    expect(one.events).toHaveLength(1);
    const empty = parseInventory('{"apiVersion":"v1","kind":"List","items":[]}', "e.json");
    expect(empty.events).toEqual([]);
    expect(applyAll(empty).view().synced).toBe(true);
  });

  it("keeps objects of other kinds for the store to ignore", () => {
    const text = JSON.stringify({
      kind: "List",
      items: [{ apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: 5 }],
    });
    const store = applyAll(parseInventory(text, "pods.json"));
    expect(Object.fromEntries(store.ignored())).toEqual({ Pod: 1 });
  });
});

describe("bad snapshots", () => {
  it("names an empty or unreadable file", () => {
    expect(errorOf("  \n").message).toBe(
      "inventory.yaml: empty file: expected a List, objects or a JSON Lines timeline",
    );
    expect(() => loadInventoryFile(path.join(tmp, "missing.json"))).toThrow(
      new RegExp(`^${path.join(tmp, "missing.json")}: cannot read the inventory: ENOENT`),
    );
  });

  it("names the line of broken JSON or YAML", () => {
    expect(
      errorOf('{\n  "kind": "List",\n  "items": [\n    {"kind": "Node",}\n  ]\n', "x.json").message,
    ).toMatch(/^x\.json:\d+:\d+: invalid JSON\/YAML: /);
    expect(errorOf("kind: List\nitems:\n  - kind: Node\n   metadata: {}\n").message).toMatch(
      /^inventory\.yaml:4:\d+: invalid JSON\/YAML: /,
    );
  });

  it("says what a document should be", () => {
    expect(errorOf("just text").message).toBe(
      "inventory.yaml:1: expected a List (kind: List, items: [...]), a Kubernetes object (kind, metadata) or a JSON Lines timeline",
    );
    expect(errorOf("kind: List\nitems: []\n---\nmetadata: {name: x}\n").message).toBe(
      "inventory.yaml:4: document 2: expected a List (kind: List, items: [...]), a Kubernetes object (kind, metadata) or a JSON Lines timeline",
    );
  });

  it("names the line and path of an item that is not an object, or has no kind or name", () => {
    expect(errorOf("kind: List\nitems:\n- 3\n").message).toBe(
      "inventory.yaml:3: items[0]: expected an object",
    );
    expect(errorOf("kind: List\nitems:\n- metadata: {name: a}\n").message).toBe(
      "inventory.yaml:3: items[0]: kind: expected a string (the object's kind, e.g. Service)",
    );
    expect(errorOf("kind: List\nitems:\n- kind: Node\n  metadata: {}\n").message).toBe(
      "inventory.yaml:3: items[0]: Node: metadata.name: expected a string",
    );
  });

  it("names the object, field, expected type and value of a wrongly typed field, in YAML and in JSON", () => {
    const yaml = [
      "kind: List",
      "items:",
      "- apiVersion: v1",
      "  kind: Node",
      "  metadata: {name: node1}",
      "- apiVersion: v1",
      "  kind: Service",
      "  metadata: {name: web, namespace: shop}",
      "  spec: {externalTrafficPolicy: 5}",
    ].join("\n");
    expect(errorOf(yaml).message).toBe(
      "inventory.yaml:6: items[1]: Service shop/web: spec.externalTrafficPolicy: expected a string, got number 5",
    );
    const json = JSON.stringify(
      {
        kind: "List",
        items: [
          {
            apiVersion: "discovery.k8s.io/v1",
            kind: "EndpointSlice",
            metadata: { name: "web-1", namespace: "default" },
            endpoints: [{ addresses: ["192.168.1.2"], conditions: { ready: "true" } }],
          },
        ],
      },
      null,
      2,
    );
    expect(errorOf(json, "list.json").message).toBe(
      'list.json:4: items[0]: EndpointSlice default/web-1: endpoints[0].conditions.ready: expected a boolean, got string "true"',
    );
  });

  it("explains bad addresses in pools, services, nodes and BGPConfigurations", () => {
    const obj = (o: object) => JSON.stringify({ kind: "List", items: [o] });
    expect(
      errorOf(
        obj({
          apiVersion: "metallb.io/v1beta1",
          kind: "IPAddressPool",
          metadata: { name: "p" },
          spec: { addresses: ["10.0.0.9-10.0.0.1"] },
        }),
        "p.json",
      ).message,
    ).toBe(
      'p.json:1: items[0]: IPAddressPool p: spec.addresses[0]: expected a CIDR (10.208.1.0/24), a range (10.208.1.10-10.208.1.20) or an address, got "10.0.0.9-10.0.0.1"',
    );
    expect(
      errorOf(
        obj({ apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "p" }, spec: {} }),
        "p.json",
      ).message,
    ).toBe("p.json:1: items[0]: IPAddressPool p: spec.addresses: expected an array, got nothing");
    expect(
      errorOf(
        obj({
          apiVersion: "v1",
          kind: "Service",
          metadata: { name: "s" },
          status: { loadBalancer: { ingress: [{ ip: "10.0.0.300" }] } },
        }),
        "s.json",
      ).message,
    ).toBe(
      's.json:1: items[0]: Service s: status.loadBalancer.ingress[0].ip: expected an IP address, got "10.0.0.300"',
    );
    expect(
      errorOf(
        obj({
          apiVersion: "v1",
          kind: "Node",
          metadata: { name: "n", annotations: { "projectcalico.org/IPv4Address": "bad/24" } },
        }),
        "n.json",
      ).message,
    ).toBe(
      'n.json:1: items[0]: Node n: metadata.annotations["projectcalico.org/IPv4Address"]: expected ADDRESS/LEN, got "bad/24"',
    );
    expect(
      errorOf(
        obj({
          apiVersion: "crd.projectcalico.org/v1",
          kind: "BGPConfiguration",
          metadata: { name: "default" },
          spec: { serviceLoadBalancerIPs: [{ cidr: "10.208.1.0" }] },
        }),
        "b.json",
      ).message,
    ).toBe(
      'b.json:1: items[0]: BGPConfiguration default: spec.serviceLoadBalancerIPs[0].cidr: expected a CIDR like 10.208.1.0/24, got "10.208.1.0"',
    );
  });
});

describe("timelines", () => {
  const line = (o: object) => JSON.stringify(o);
  const svcObject = { apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "default" } };

  it("uses a SYNCED line when there is one", () => {
    const text = [
      line({ ts: "2026-11-25T14:00:00Z", type: "ADDED", object: svcObject }),
      line({
        ts: "2026-11-25T14:00:00.2Z",
        type: "ADDED",
        object: { apiVersion: "v1", kind: "Node", metadata: { name: "n" } },
      }),
      line({ ts: "2026-11-25T14:00:00.3Z", type: "SYNCED" }),
      "",
      line({ ts: "2026-11-25T15:00:09+01:00", type: "DELETED", object: svcObject }),
    ].join("\n");
    const file = parseInventory(text, "t.jsonl");
    expect(file.syncedAtMicros).toBe(parseTimestamp("2026-11-25T14:00:00.3Z"));
    expect(file.events.map((e) => e.type)).toEqual(["ADDED", "ADDED", "DELETED"]);
  });

  it("needs only the identity of a deleted object", () => {
    const text = [
      line({
        ts: "2026-11-25T14:00:00Z",
        type: "ADDED",
        object: { ...svcObject, spec: { type: "LoadBalancer" } },
      }),
      line({ ts: "2026-11-25T14:00:01Z", type: "DELETED", object: { ...svcObject, spec: { type: 5 } } }),
    ].join("\n");
    expect(applyAll(parseInventory(text, "t.jsonl")).view().services).toEqual([]);
  });

  const first = line({ ts: "2026-11-25T14:00:00Z", type: "ADDED", object: svcObject });
  const bad: [string, string | RegExp][] = [
    ["{not json", /^t\.jsonl:2: invalid JSON \(.+\): each line must be one watch event object$/],
    [
      line({ ts: "2026-11-25T14:00:01Z", type: "UPDATED", object: svcObject }),
      't.jsonl:2: type: expected one of ADDED, MODIFIED, DELETED, SYNCED, got "UPDATED"',
    ],
    [
      line({ ts: "2026-11-25T14:00:01Z", type: "ADDED" }),
      "t.jsonl:2: object: expected the Kubernetes object of this ADDED event",
    ],
    [
      line({ ts: "2026-11-25T14:00:01Z", type: "ADDED", object: [1] }),
      "t.jsonl:2: object: expected an object, got [1]",
    ],
    [
      line({ ts: 1764079201, type: "ADDED", object: svcObject }),
      "t.jsonl:2: ts: expected a string, got 1764079201",
    ],
    [
      line({ ts: "25/11/2026 14:00", type: "ADDED", object: svcObject }),
      't.jsonl:2: ts: expected an RFC 3339 timestamp like 2026-11-25T14:01:37.123456Z, got "25/11/2026 14:00"',
    ],
    [
      line({ ts: "2026-11-25T13:59:59Z", type: "ADDED", object: svcObject }),
      "t.jsonl:2: ts 2026-11-25T13:59:59Z is earlier than line 1's 2026-11-25T14:00:00.000000Z: lines must be sorted by ts",
    ],
    [
      line({ ts: "2026-11-25T14:00:01Z", type: "ADDED", object: svcObject, source: "x" }),
      't.jsonl:2: unexpected field "source": a line is {"ts", "type", "object"}',
    ],
    [
      line({
        ts: "2026-11-25T14:00:01Z",
        type: "ADDED",
        object: { kind: "Service", metadata: { name: "w" }, spec: { type: 1 } },
      }),
      "t.jsonl:2: object: Service w: spec.type: expected a string, got number 1",
    ],
    [
      line({ ts: "2026-11-25T14:00:01Z", type: "ADDED", object: { metadata: { name: "w" } } }),
      "t.jsonl:2: object: kind: expected a string (the object's kind, e.g. Service)",
    ],
    [
      `${line({ ts: "2026-11-25T14:00:01Z", type: "SYNCED" })}\n${line({ ts: "2026-11-25T14:00:02Z", type: "SYNCED" })}`,
      "t.jsonl:3: a second SYNCED line (the first is line 2)",
    ],
  ];
  it.each(bad)("rejects %s", (second, message) => {
    const m = errorOf(`${first}\n${second}\n`, "t.jsonl").message;
    if (typeof message === "string") expect(m).toBe(message);
    else expect(m).toMatch(message);
  });

  it("rejects a timeline without events", () => {
    expect(errorOf(line({ ts: "2026-11-25T14:00:00Z", type: "SYNCED" }), "t.jsonl").message).toBe(
      "t.jsonl: a timeline without events",
    );
  });

  it("loads from a file, any extension", () => {
    const file = write("timeline.txt", `${first}\n`);
    expect(loadInventoryFile(file).format).toBe("timeline");
  });
});
