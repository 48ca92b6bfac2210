/**
 * routewatch's `decode --format json` lines in the shape of tshark-views.ts. Mostly a selection of
 * fields: every key of routewatch's output is either put in the view or listed here as not
 * comparable with tshark (with why), and a key nobody listed fails the test (`take`), so a field
 * added to the output later cannot go uncompared unnoticed.
 */
import { sortKeys, type Json, type View } from "./tshark-views.js";

type Line = { [key: string]: Json };

/**
 * The listed keys of `o`; throws when `o` has a key that is neither listed nor in `uncompared`.
 */
function take(o: Line, keys: readonly string[], uncompared: readonly string[] = [], what = ""): View {
  for (const k of Object.keys(o)) {
    if (!keys.includes(k) && !uncompared.includes(k))
      throw new Error(`routewatch ${what} field "${k}" is compared with nothing: add it to the views`);
  }
  const v: View = {};
  for (const k of keys) if (o[k] !== undefined) v[k] = o[k]!;
  return v;
}

/** RFC 3339 text with six fraction digits, as routewatch writes it, to integer microseconds. */
export function micros(ts: string): number {
  const m = /^(.+T\d\d:\d\d:\d\d)\.(\d{6})Z$/.exec(ts);
  if (!m) throw new Error(`not a routewatch timestamp: ${ts}`);
  return (Date.parse(`${m[1]}Z`) / 1000) * 1_000_000 + Number(m[2]);
}

/** "prefix/len", with " id N" when routewatch lists ADD-PATH path identifiers. */
function withIds(prefixes: Json, ids: Json | undefined): string[] {
  const list = prefixes as string[];
  if (ids === undefined) return list;
  const idList = ids as number[];
  if (idList.length !== list.length) throw new Error("path ids do not pair with prefixes");
  return list.map((p, i) => `${p} id ${idList[i]}`);
}

/**
 * Not compared with tshark, which checks nothing: routewatch's RFC 7606 verdict (`errors`,
 * `error_action`); it is counted and reported by the test instead.
 */
const UPDATE_UNCOMPARED = ["errors", "error_action"];

function updateView(o: Line, envelope: readonly string[]): View {
  take(
    o,
    [
      "type",
      "announced",
      "withdrawn",
      "announced_path_ids",
      "withdrawn_path_ids",
      "attributes",
      "end_of_rib",
    ],
    [...UPDATE_UNCOMPARED, ...envelope],
    "UPDATE",
  );
  const v: View = {
    type: "UPDATE",
    announced: withIds(o.announced!, o.announced_path_ids),
    withdrawn: withIds(o.withdrawn!, o.withdrawn_path_ids),
    attributes: sortKeys(o.attributes as View),
  };
  if (o.end_of_rib) {
    const e = o.end_of_rib as View;
    v.end_of_rib = `${e.afi}/${e.safi}`;
  }
  return v;
}

function hexOf(bytes: number[]): string {
  return Buffer.from(bytes).toString("hex");
}

function capabilityView(c: Line): View {
  const code = c.code as number;
  const fams = (c.families ?? []) as View[];
  switch (c.name) {
    case "multiprotocol":
      take(c, ["name", "code", "afi", "safi"]);
      return { code, afi: c.afi!, safi: c.safi! };
    case "extended-next-hop":
      take(c, ["name", "code", "entries"]);
      return {
        code,
        entries: (c.entries as View[]).map((e) => `${e.afi}/${e.safi}/${e.nextHopAfi}`),
      };
    case "graceful-restart":
      take(c, ["name", "code", "restarting", "notification", "restartTime", "families"]);
      return {
        code,
        restarting: c.restarting!,
        notification: c.notification!,
        restart_time: c.restartTime!,
        families: fams.map((f) => `${f.afi}/${f.safi}/${f.forwardingPreserved ? "F" : "-"}`),
      };
    case "as4":
      take(c, ["name", "code", "asn"]);
      return { code, asn: c.asn! };
    case "add-path":
      take(c, ["name", "code", "families"]);
      return { code, families: fams.map((f) => `${f.afi}/${f.safi}/${f.sendReceive}`) };
    case "fqdn":
      take(c, ["name", "code", "hostname", "domain"]);
      return { code, hostname: c.hostname!, domain: c.domain! };
    case "long-lived-graceful-restart": {
      // tshark 4.0 shows only the bytes: put the families back in RFC 9494 3's layout
      // (AFI 2 bytes, SAFI 1, flags 1, long-lived stale time 3) to compare with them.
      take(c, ["name", "code", "families"]);
      const bytes = fams.flatMap((f) => {
        const [afi, safi, flags, stale] = [f.afi, f.safi, f.flags, f.staleTime] as number[];
        return [
          afi! >> 8,
          afi! & 255,
          safi!,
          flags!,
          (stale! >> 16) & 255,
          (stale! >> 8) & 255,
          stale! & 255,
        ];
      });
      return { code, hex: hexOf(bytes) };
    }
    case "unknown":
      take(c, ["name", "code", "value"]);
      return { code, hex: c.value! };
    default:
      // route-refresh, enhanced-route-refresh, route-refresh-cisco, extended-message: no value.
      take(c, ["name", "code"]);
      return { code };
  }
}

/** Any BGP message (a line's own fields, or a PDU nested in a BMP message). */
export function bgpView(o: Line, envelope: readonly string[] = []): View {
  switch (o.type) {
    case "UPDATE":
    case "ROUTE-MONITORING":
      return updateView(o, envelope);
    case "OPEN":
      take(o, ["type", "version", "asn", "my_asn", "hold_time", "bgp_id", "capabilities"], envelope, "OPEN");
      return {
        type: "OPEN",
        version: o.version!,
        asn: o.asn!,
        my_asn: o.my_asn!,
        hold_time: o.hold_time!,
        bgp_id: o.bgp_id!,
        capabilities: (o.capabilities as Line[]).map(capabilityView),
      };
    case "NOTIFICATION":
      // code_name / subcode_name: tshark's JSON has the numbers only.
      return take(
        o,
        ["type", "code", "subcode", "data", "shutdown_message"],
        ["code_name", "subcode_name", ...envelope],
        "NOTIFICATION",
      );
    case "ROUTE-REFRESH":
      return take(o, ["type", "afi", "safi", "subtype"], envelope, "ROUTE-REFRESH");
    case "KEEPALIVE":
      return take(o, ["type"], envelope, "KEEPALIVE");
    default:
      // A message routewatch could not decode ({type, error}) or a PDU it could not ({error, ...}).
      return { type: (o.type as string) ?? "undecodable", error: (o.error as Json) ?? null };
  }
}

function peerView(p: Line): View {
  const peerType = p.peer_type as number;
  // peer_type_name: tshark shows the number only. RFC 9069 4.1: for Loc-RIB (type 3) only the F
  // flag exists; routewatch's other flag booleans are false there (the BMP codec test checks it).
  const flagKeys =
    peerType === 3 ? ["loc_rib_filtered"] : ["ipv6", "post_policy", "legacy_as_path", "adj_rib_out"];
  const uncompared =
    peerType === 3
      ? ["peer_type_name", "ipv6", "post_policy", "legacy_as_path", "adj_rib_out"]
      : ["peer_type_name", "loc_rib_filtered"];
  const v = take(
    p,
    [...flagKeys, "peer_type", "flags", "distinguisher", "address", "asn", "bgp_id"],
    [...uncompared, "ts"],
    "BMP per-peer header",
  );
  // routewatch marks a type 2 distinguisher whose ASN would fit type 0 with "L"; RFC 4364 does not.
  v.distinguisher = (v.distinguisher as string).replace(/L:/, ":");
  v.ts_micros = p.ts === null ? 0 : micros(p.ts as string);
  return sortKeys(v);
}

/** RFC 7854 4.8 stat value bytes, from routewatch's decoded value. */
function statBytes(s: Line): string {
  const u = (n: number, bytes: number): number[] =>
    Array.from({ length: bytes }, (_, i) => Math.floor(n / 2 ** (8 * (bytes - 1 - i))) % 256);
  switch (s.format) {
    case "counter32":
      return hexOf(u(s.value as number, 4));
    case "gauge64":
      return hexOf(u(s.value as number, 8));
    case "afi-safi-gauge64":
      return hexOf([...u(s.afi as number, 2), ...u(s.safi as number, 1), ...u(s.value as number, 8)]);
    default:
      return s.data as string;
  }
}

const ENVELOPE = ["ts", "transport", "src", "dst", "frame"];

/** A whole `decode --format json` line of a capture. */
export function lineView(o: Line): View {
  const head: View = { ts: micros(o.ts as string), src: o.src!, dst: o.dst! };
  if (o.transport === "bgp") return { ...head, ...bgpView(o, ENVELOPE) };
  if (o.error !== undefined) return { ...head, type: o.type!, error: o.error! };
  if (o.type === "INITIATION" || o.type === "TERMINATION") return peerlessLineView(o);
  const v: View = { ...head, type: o.type! };
  v.peer = peerView(o.peer as Line);
  switch (o.type) {
    case "ROUTE-MONITORING":
      v.bgp = [bgpView(o, [...ENVELOPE, "peer"])];
      break;
    case "PEER-UP":
      // tlvs: RFC 7854 4.10 information TLVs, which tshark 4.0 does not show.
      take(
        o,
        ["type", "peer", "local_address", "local_port", "remote_port", "sent_open", "received_open"],
        [...ENVELOPE, "tlvs"],
        "PEER-UP",
      );
      Object.assign(v, {
        local_address: o.local_address!,
        local_port: o.local_port!,
        remote_port: o.remote_port!,
        bgp: [bgpView(o.sent_open as Line), bgpView(o.received_open as Line)],
      });
      break;
    case "PEER-DOWN":
      // reason_name: tshark shows the number only. RFC 9069 TLVs (reason 6): none in the fixtures.
      take(
        o,
        ["type", "peer", "reason", "fsm_event", "data", "notification"],
        [...ENVELOPE, "reason_name"],
        "PEER-DOWN",
      );
      v.reason = o.reason!;
      if (o.fsm_event !== undefined) v.fsm_event = o.fsm_event;
      if (o.data !== undefined) v.data = o.data;
      v.bgp = o.notification ? [bgpView(o.notification as Line)] : [];
      break;
    case "STATISTICS-REPORT": {
      take(o, ["type", "peer", "stats"], ENVELOPE, "STATISTICS-REPORT");
      const stats = o.stats as Line[];
      // The stat names are routewatch's; tshark's field names differ (the BMP codec test maps them).
      v.count = stats.length;
      v.stats = stats.map((s) => ({ type: s.type!, data: statBytes(s) }));
      break;
    }
    case "ROUTE-MIRRORING": {
      take(o, ["type", "peer", "tlvs"], ENVELOPE, "ROUTE-MIRRORING");
      // RFC 7854 4.7 Information TLVs (type 1): tshark 4.0 does not show them.
      const tlvs = (o.tlvs as Line[]).filter((t) => t.name === "bgpMessage");
      v.bgp = tlvs.map((t) => bgpView(t.bgp as Line));
      break;
    }
  }
  return v;
}

/** INITIATION and TERMINATION carry no per-peer header. */
export function peerlessLineView(o: Line): View {
  const head: View = { ts: micros(o.ts as string), src: o.src!, dst: o.dst!, type: o.type! };
  take(o, ["type", "tlvs"], ENVELOPE, String(o.type));
  const tlvs = (o.tlvs as Line[]).map((t) => ({
    type: t.type!,
    // TERMINATION reason TLVs: the number; string TLVs: the text (RFC 7854 4.4, 4.5).
    value: t.name === "reason" ? String(t.reason) : t.value!,
  }));
  // tshark 4.0 shows only the first TLV of a TERMINATION.
  return { ...head, tlvs: o.type === "TERMINATION" ? tlvs.slice(0, 1) : tlvs };
}
