/**
 * The fake API server checked against kubectl (client-go, the reference client): its discovery,
 * lists and watch streams decode there too, and `kubectl get -o json` of the example inventory is
 * the committed fixture, byte for byte except resourceVersions. Skipped without kubectl.
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { FakeKubeApiServer, type KubeObjectLike } from "../../helpers/kube-apiserver.js";
import { INVENTORY_FIXTURES, service } from "../../helpers/kube-objects.js";

const run = promisify(execFile);

function hasKubectl(): boolean {
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore", timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** Splits kubectl's concatenated pretty-printed JSON objects. */
function jsonObjects(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") {
      if (depth++ === 0) start = i;
    } else if (c === "}" && --depth === 0)
      out.push(JSON.parse(text.slice(start, i + 1)) as Record<string, unknown>);
  }
  return out;
}

describe.skipIf(!hasKubectl())("the fake API server, read by kubectl", () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "routewatch-kubectl-"));
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));
  let api: FakeKubeApiServer | undefined;
  afterEach(() => api?.stop());

  // kubectl does not send a bearer token over plain HTTP, so this server asks for none.
  async function start(): Promise<{ api: FakeKubeApiServer; args: string[] }> {
    api = await FakeKubeApiServer.start({ token: false });
    const example = JSON.parse(
      fs.readFileSync(path.join(INVENTORY_FIXTURES, "example-list.json"), "utf8"),
    ) as { items: KubeObjectLike[] };
    for (const item of example.items) api.add(item);
    const config = path.join(home, "config");
    fs.writeFileSync(config, api.kubeconfigYaml());
    return { api, args: ["--kubeconfig", config, "--cache-dir", path.join(home, `cache-${api.port}`)] };
  }

  function watch(args: string[]): { output: () => string; exited: Promise<number | null>; kill: () => void } {
    const p = spawn("kubectl", args, {
      env: { ...process.env, HOME: home },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => p.kill(), 10_000);
    const exited = new Promise<number | null>((resolve) =>
      p.on("exit", (code) => (clearTimeout(timer), resolve(code))),
    );
    return { output: () => out, exited, kill: () => p.kill() };
  }

  async function until(what: string, check: () => boolean): Promise<void> {
    const deadline = Date.now() + 8000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it("lists like an API server: `kubectl get -o json` gives the committed example-list.json", async () => {
    const { args } = await start();
    const { stdout } = await run(
      "kubectl",
      [
        ...args,
        "get",
        "svc,endpointslices,nodes,ipaddresspools,bgpconfigurations.crd.projectcalico.org",
        "-A",
        "-o",
        "json",
      ],
      { env: { ...process.env, HOME: home }, timeout: 20_000 },
    );
    const withoutVersions = (t: string) => t.split("\n").filter((l) => !l.includes('"resourceVersion"'));
    expect(withoutVersions(stdout)).toEqual(
      withoutVersions(fs.readFileSync(path.join(INVENTORY_FIXTURES, "example-list.json"), "utf8")),
    );
  });

  it("streams watch events kubectl decodes, and bookmarks only to watches that ask", async () => {
    const { api: server, args } = await start();
    const w = watch([
      ...args,
      "get",
      "services",
      "-A",
      "--watch-only",
      "-o",
      "json",
      "--output-watch-events",
    ]);
    await until("kubectl watching", () => server.openWatches("services") === 1);
    expect(server.watches("services")[0]).toMatchObject({ allowWatchBookmarks: false });
    const svc = service({ name: "probe", ips: ["10.208.1.40"] });
    server.add(svc);
    server.update(service({ name: "probe", ips: ["10.208.1.41"] }));
    server.remove(svc);
    expect(server.sendBookmarks()).toBe(0);
    await until("three events printed", () => jsonObjects(w.output()).length === 3);
    server.dropWatches();
    await w.exited;
    const events = jsonObjects(w.output()) as {
      type: string;
      object: { metadata: { name: string }; status: unknown };
    }[];
    expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ["ADDED", "probe"],
      ["MODIFIED", "probe"],
      ["DELETED", "probe"],
    ]);
    expect(events[1]!.object.status).toEqual({
      loadBalancer: { ingress: [{ ip: "10.208.1.41", ipMode: "VIP" }] },
    });
  });

  it("answers a watch from a compacted resourceVersion with the ERROR Status (410 Expired) client-go decodes", async () => {
    const { api: server, args } = await start();
    // Between kubectl's list and its watch, the history moves on.
    server.afterList = () => {
      server.afterList = undefined;
      server.add(service({ name: "late", ips: ["10.208.1.42"] }));
      server.compact();
    };
    const w = watch([...args, "get", "services", "-A", "--watch", "-o", "json", "--output-watch-events"]);
    await w.exited;
    const events = jsonObjects(w.output()) as { type: string; object: Record<string, unknown> }[];
    expect(events.at(-1)).toEqual({
      type: "ERROR",
      object: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: expect.stringMatching(/^too old resource version: \d+ \(\d+\)$/),
        reason: "Expired",
        code: 410,
      },
    });
  });
});
