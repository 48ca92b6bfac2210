/**
 * GET /api/v1/routes?prefix=&peer=&source=&limit= — the paths in the RIB, as JSON. Attributes use
 * the same names as `routewatch decode` (one writer serves both).
 */
import { canonicalPrefix } from "../../codec/ip.js";
import { memoryWriter } from "../core/line-writer.js";
import { ROUTE_SOURCES, type RouteSource } from "../core/types.js";
import type { Rib } from "../rib/rib.js";
import { writeAttributesJson } from "../decode/bgp-json.js";
import { HttpError, type Handler } from "./server.js";

const DEFAULT_LIMIT = 10_000;

export function routesHandler(rib: Rib, formatTs: (micros: number) => string): Handler {
  return ({ query }) => {
    const prefixText = query.get("prefix") ?? undefined;
    let prefix: string | undefined;
    if (prefixText !== undefined) {
      try {
        prefix = canonicalPrefix(prefixText);
      } catch {
        throw new HttpError(400, `prefix: expected a prefix like 10.208.1.5/32, got "${prefixText}"`);
      }
    }
    const peer = query.get("peer") ?? undefined;
    const source = query.get("source") ?? undefined;
    if (source !== undefined && !ROUTE_SOURCES.includes(source as RouteSource)) {
      throw new HttpError(400, `source: expected one of ${ROUTE_SOURCES.join(", ")}, got "${source}"`);
    }
    const limitText = query.get("limit");
    const limit = limitText === null ? DEFAULT_LIMIT : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1)
      throw new HttpError(400, `limit: expected a positive integer, got "${limitText}"`);

    const { writer: w, text } = memoryWriter();
    let count = 0;
    let truncated = false;
    w.ascii('{"routes":[');
    const peers = rib
      .peers()
      .filter(
        (p) =>
          (peer === undefined || p.address === peer || p.router === peer) &&
          (source === undefined || p.source === source),
      );
    outer: for (const p of peers) {
      const paths =
        prefix === undefined
          ? rib.paths(p.id)
          : rib
              .lookup(prefix)
              .filter((x) => x.peer.id === p.id)
              .map((x) => x.path);
      for (const path of paths) {
        if (count === limit) {
          truncated = true;
          break outer;
        }
        if (count++ > 0) w.char(44);
        w.ascii(`{"prefix":"${path.prefix}","path_id":`).int(path.pathId);
        w.ascii(`,"source":"${p.source}","peer":"${p.address}","peer_asn":`).int(p.asn);
        w.ascii(`,"peer_bgp_id":"${p.bgpId}","router":${p.router === undefined ? "null" : `"${p.router}"`}`);
        w.ascii(
          `,"next_hop":"${path.attrs.nextHop}","stale":${path.stale === true},"since":"${formatTs(path.tsMicros)}","attributes":`,
        );
        writeAttributesJson(w, path.attrs.attrs);
        w.char(125);
      }
    }
    w.ascii(`],"count":`).int(count).ascii(`,"truncated":${truncated}}`).newline();
    return { text: text(), contentType: "application/json" };
  };
}
