import { afterEach, describe, expect, it } from "vitest";
import { attr, decodeMessage, encodeUpdate, type UpdateMessage } from "../../../codec/bgp/index.js";
import { createLogger } from "../../../src/core/log.js";
import { formatTimestamp } from "../../../src/core/time.js";
import { peerId, type PeerRef } from "../../../src/core/types.js";
import { routesHandler } from "../../../src/http/routes-api.js";
import { HttpError, HttpServer } from "../../../src/http/server.js";
import { statusPage } from "../../../src/http/status-page.js";
import { Rib } from "../../../src/rib/rib.js";

let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(setup: (s: HttpServer) => void): Promise<string> {
  server = new HttpServer(createLogger("silent"));
  setup(server);
  const at = await server.listen({ host: "127.0.0.1", port: 0 });
  return `http://127.0.0.1:${at.port}`;
}

const peer = (address: string, source: PeerRef["source"] = "bgp", router?: string): PeerRef => ({
  id: peerId(source, address, router),
  source,
  address,
  asn: 64512,
  bgpId: address,
  ...(router ? { router } : {}),
});

function announce(rib: Rib, p: PeerRef, prefixes: string[], communities: number[] = []): void {
  const attrs = [
    attr.origin(0),
    attr.asPath([]),
    attr.nextHop("10.10.0.1"),
    ...(communities.length ? [attr.communities(communities)] : []),
  ];
  rib.apply(
    p,
    decodeMessage(
      encodeUpdate({ attributes: attrs, nlri: prefixes.map((prefix) => ({ prefix })) }),
    ) as UpdateMessage,
    1_800_000_000_000_000,
  );
}

describe("HttpServer", () => {
  it("answers 404 with the known paths, 405 for other methods, 400 for HttpError, 500 without details", async () => {
    const url = await serve((s) => {
      s.get("/ok", () => ({ json: { a: 1 } }));
      s.get("/bad", () => {
        throw new HttpError(400, "prefix: expected a prefix");
      });
      s.get("/boom", () => {
        throw new Error("secret internals");
      });
    });
    const ok = await fetch(`${url}/ok`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toBe("application/json");
    expect(await ok.json()).toEqual({ a: 1 });
    const missing = await fetch(`${url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "no such path: /nope", paths: ["/bad", "/boom", "/ok"] });
    expect((await fetch(`${url}/ok`, { method: "POST" })).status).toBe(405);
    const bad = await fetch(`${url}/bad`);
    expect([bad.status, await bad.json()]).toEqual([400, { error: "prefix: expected a prefix" }]);
    const boom = await fetch(`${url}/boom`);
    expect([boom.status, await boom.json()]).toEqual([500, { error: "internal error" }]);
  });
});

describe("/api/v1/routes", () => {
  it("filters by prefix, peer and source, and caps the answer with limit", async () => {
    const rib = new Rib();
    announce(rib, peer("127.0.1.1"), ["10.208.1.0/24", "10.208.1.5/32"], [0xfc000064]);
    announce(rib, peer("127.0.1.2"), ["10.208.1.0/24"]);
    announce(rib, peer("127.0.1.1", "bmp-post", "127.0.2.1"), ["10.208.1.5/32"]);
    const url = await serve((s) => s.get("/r", routesHandler(rib, formatTimestamp)));
    const get = async (q: string) =>
      (await fetch(`${url}/r?${q}`)).json() as Promise<{
        routes: Record<string, unknown>[];
        count: number;
        truncated: boolean;
      }>;
    const all = await get("");
    expect(all.count).toBe(4);
    const exact = await get("prefix=10.208.1.5/32");
    expect(exact.routes.map((r) => [r.source, r.peer, r.router])).toEqual([
      ["bgp", "127.0.1.1", null],
      ["bmp-post", "127.0.1.1", "127.0.2.1"],
    ]);
    expect(exact.routes[0]!.attributes).toEqual({
      origin: "IGP",
      as_path: "",
      next_hop: "10.10.0.1",
      communities: ["64512:100"],
    });
    expect((await get("peer=127.0.1.2")).routes.map((r) => r.prefix)).toEqual(["10.208.1.0/24"]);
    expect((await get("source=bmp-post")).count).toBe(1);
    expect(await get("limit=2")).toMatchObject({ count: 2, truncated: true });
    // An address is its host prefix; host bits are cleared as the RIB keys prefixes.
    expect((await get("prefix=10.208.1.5")).count).toBe(2);
    expect((await get("prefix=10.208.1.77/24")).count).toBe(2);
    for (const q of ["source=nope", "limit=0", "prefix=300.1.1.1/32", "prefix=10.208.1.0/33"]) {
      expect((await fetch(`${url}/r?${q}`)).status, q).toBe(400);
    }
  });
});

describe("status page", () => {
  it("escapes what it shows", () => {
    const html = statusPage({
      sessions: [
        { address: "127.0.1.1", state: "Established", prefixes: { ipv4: 2, ipv6: 0 }, synced: true },
      ],
      routers: [{ address: "127.0.0.1", sysName: "<tor>", peers: [] }],
      services: [],
      firing: [],
    });
    expect(html).toContain("&lt;tor&gt;");
    expect(html).not.toContain("<tor>");
    expect(html).toContain("<td>Established</td>");
  });
});
