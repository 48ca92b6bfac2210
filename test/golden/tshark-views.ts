/**
 * tshark's dissection of a BGP or BMP message turned into the shape of routewatch's
 * `decode --format json` output, so the two can be compared field by field. Everything here is
 * derived from what tshark shows and from the RFCs (cited), never from routewatch's code: names of
 * well-known communities, the text of route targets, the RFC 6793 merge of AS4_PATH.
 *
 * Fields tshark 4.0 cannot show are left out of the view (and out of routewatch's, see
 * routewatch-views.ts), each with a comment saying why.
 */
import type { TObject } from "../helpers/tshark-json.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type View = { [key: string]: Json };

/** Keys of tshark's tree that carry nothing to compare: framing lengths, markers, padding, raw twins. */
const NOT_COMPARED = new Set([
  "bgp.marker",
  "bgp.length",
  "bgp.continuation", // tshark's placeholder for bytes before a PDU inside ROUTE-MIRRORING TLVs
  "bgp.update.withdrawn_routes.length",
  "bgp.update.path_attributes.length",
  "bgp.update.path_attribute.length",
  "bgp.update.path_attribute.flags", // read where routewatch shows flags (unknown attributes)
  "bgp.update.path_attribute.flags_tree",
  // RFC 4760 3: the Reserved octet (formerly the SNPA count) "MUST be set to 0 ... MUST be ignored".
  "bgp.update.path_attribute.mp_reach_nlri.nbr_snpa",
  // The next hop as colon hex; its decoded form (next_hop_tree) is compared.
  "bgp.update.path_attribute.mp_reach_nlri.next_hop",
  "bgp.prefix_length",
  "bgp.open.opt.len",
  "bgp.open.opt.param.len",
  "bgp.cap.length",
  "bgp.cap.length_tree",
  "bgp.cap.reserved",
  "bgp.cap.gr.timers",
  "bgp.cap.orf.fqdn.hostname.len",
  "bgp.cap.orf.fqdn.domain_name.len",
  "bgp.update.path_attribute.as_path_segment.length",
  "bgp.cap.gr.flag",
  "bgp.notify.communication_length",
  "bgp.ext_com.type_tree",
  "bgp.large_communities", // "[ Null ]" labels; the values are in large_communities_tree
  "bmp.version",
  "bmp.length",
  "bmp.unused",
  "bmp.init.length",
  "bmp.term.length",
  "bmp.stats.length",
  "_ws.expert",
  "Unknown stats type payload", // an expert note on FRR's experimental stat type 65531
]);

export function notCompared(key: string): boolean {
  return key.endsWith("_raw") || NOT_COMPARED.has(key);
}

/** RFC 4271 4.1 message types; RFC 2918 ROUTE-REFRESH. */
const BGP_TYPES: Record<number, string> = {
  1: "OPEN",
  2: "UPDATE",
  3: "NOTIFICATION",
  4: "KEEPALIVE",
  5: "ROUTE-REFRESH",
};

/** RFC 7854 4.1 message types. */
export const BMP_TYPES: Record<number, string> = {
  0: "ROUTE-MONITORING",
  1: "STATISTICS-REPORT",
  2: "PEER-DOWN",
  3: "PEER-UP",
  4: "INITIATION",
  5: "TERMINATION",
  6: "ROUTE-MIRRORING",
};

/** RFC 4271 5.1.1. */
const ORIGINS = ["IGP", "EGP", "INCOMPLETE"];

/**
 * IANA "BGP Well-known Communities" names: RFC 1997 (NO_EXPORT, NO_ADVERTISE,
 * NO_EXPORT_SUBCONFED), RFC 3765 (NOPEER), RFC 7611 (ACCEPT_OWN), RFC 7999 (BLACKHOLE),
 * RFC 8326 (GRACEFUL_SHUTDOWN), RFC 9494 (LLGR_STALE, NO_LLGR).
 */
const WELL_KNOWN: Record<number, string> = {
  0xffff0000: "GRACEFUL_SHUTDOWN",
  0xffff0001: "ACCEPT_OWN",
  0xffff0006: "LLGR_STALE",
  0xffff0007: "NO_LLGR",
  0xffff029a: "BLACKHOLE",
  0xffffff01: "NO_EXPORT",
  0xffffff02: "NO_ADVERTISE",
  0xffffff03: "NO_EXPORT_SUBCONFED",
  0xffffff04: "NOPEER",
};

const AS_TRANS = 23456; // RFC 6793 2

/** The PDUs tshark found inside a BMP message (skipping its ROUTE-MIRRORING placeholders). */
export function bgpPdus(bmp: TObject): TObject[] {
  return bmp.objs("bgp").filter((b) => !b.has("bgp.continuation"));
}

export function bgpView(m: TObject): View {
  const type = BGP_TYPES[m.num("bgp.type")] ?? `type ${m.str("bgp.type")}`;
  switch (type) {
    case "OPEN":
      return openView(m);
    case "UPDATE":
      return updateView(m);
    case "NOTIFICATION":
      return notificationView(m);
    case "ROUTE-REFRESH":
      return {
        type,
        afi: m.num("bgp.route_refresh.afi"),
        safi: m.num("bgp.route_refresh.safi"),
        subtype: m.num("bgp.route_refresh.subtype"),
      };
    default:
      return { type };
  }
}

// ---------------------------------------------------------------------------------------------- OPEN

function openView(m: TObject): View {
  const capabilities: View[] = [];
  const opt = m.maybeObj("bgp.open.opt");
  for (const param of opt?.objs("bgp.open.opt.param") ?? []) {
    // RFC 5492 4: optional parameter 2 carries capabilities; no fixture has any other.
    if (param.num("bgp.open.opt.param.type") !== 2) throw new Error("OPEN parameter other than capabilities");
    for (const cap of param.objs("bgp.cap")) capabilities.push(capabilityView(cap));
  }
  const myAsn = m.num("bgp.open.myas");
  const as4 = capabilities.find((c) => c.code === 65);
  return {
    type: "OPEN",
    version: m.num("bgp.open.version"),
    // RFC 6793 4.1: the real AS is the 4-octet one of the capability when there is one.
    asn: as4 ? (as4.asn as number) : myAsn,
    my_asn: myAsn,
    hold_time: m.num("bgp.open.holdtime"),
    bgp_id: m.str("bgp.open.identifier"),
    capabilities,
  };
}

/** Zips repeated keys of one capability: [afi, safi, x] per family. */
function families(cap: TObject, keys: string[]): string[] {
  const cols = keys.map((k) => cap.strs(k));
  return cols[0]!.map((_, i) => cols.map((c) => Number(c[i])).join("/"));
}

function capabilityView(cap: TObject): View {
  const code = cap.num("bgp.cap.type");
  if (cap.has("bgp.cap.unknown")) return { code, hex: cap.raw("bgp.cap.unknown") };
  switch (code) {
    case 1: // RFC 4760 8
      return { code, afi: cap.num("bgp.cap.mp.afi"), safi: cap.num("bgp.cap.mp.safi") };
    case 5: // RFC 8950 3
      return {
        code,
        entries: families(cap, ["bgp.cap.enh.afi", "bgp.cap.enh.safi", "bgp.cap.enh.nhafi"]),
      };
    case 64: {
      // RFC 4724 3 (and RFC 8538 2 for the N bit): flags, restart time, then per family the F bit.
      const timers = cap.obj("bgp.cap.gr.timers_tree");
      const afis = cap.strs("bgp.cap.gr.afi");
      const safis = cap.strs("bgp.cap.gr.safi");
      const flags = cap.objs("bgp.cap.gr.flag_tree").map((f) => f.str("bgp.cap.gr.flag.pfs"));
      return {
        code,
        restarting: timers.str("bgp.cap.gr.timers.restart_flag") === "1",
        notification: timers.str("bgp.cap.gr.timers.notification_flag") === "1",
        restart_time: Number(timers.str("bgp.cap.gr.timers.restart_time")),
        families: afis.map((afi, i) => `${afi}/${safis[i]}/${flags[i] === "1" ? "F" : "-"}`),
      };
    }
    case 65: // RFC 6793 3
      return { code, asn: cap.num("bgp.cap.4as") };
    case 69: // RFC 7911 4
      return {
        code,
        families: families(cap, ["bgp.cap.ap.afi", "bgp.cap.ap.safi", "bgp.cap.ap.sendreceive"]),
      };
    case 73: // draft-walton-bgp-hostname-capability
      return {
        code,
        hostname: cap.str("bgp.cap.orf.fqdn.hostname"),
        domain: cap.str("bgp.cap.orf.fqdn.domain_name"),
      };
    case 71:
      // RFC 9494 3 long-lived graceful restart: tshark 4.0 shows the bytes only (as unknown,
      // above); an empty one has no bytes to show.
      return { code, hex: "" };
    default:
      // Capabilities without a value (route refresh 2 and 128, enhanced route refresh 70,
      // extended message 6): the code is all there is.
      return { code };
  }
}

// -------------------------------------------------------------------------------------- NOTIFICATION

function notificationView(m: TObject): View {
  const code = m.num("bgp.notify.major_error");
  const minor = m.entries.filter(([k]) => k.startsWith("bgp.notify.minor_error") && !k.endsWith("_raw"));
  if (minor.length !== 1) throw new Error("NOTIFICATION without one subcode field");
  const subcode = m.num(minor[0]![0]);
  const v: View = { type: "NOTIFICATION", code, subcode };
  const text = m.maybe("bgp.notify.communication");
  if (text !== undefined) {
    // RFC 9003 2: a length octet, then the UTF-8 shutdown communication.
    const bytes = Buffer.from(text, "utf8");
    v.data = Buffer.concat([Buffer.from([bytes.length]), bytes]).toString("hex");
    v.shutdown_message = text;
  } else {
    const data = m.maybe("bgp.notify.minor_data") ?? m.maybe("bgp.notify.data");
    v.data = data === undefined ? "" : data.replace(/:/g, "");
  }
  return v;
}

// -------------------------------------------------------------------------------------------- UPDATE

/** "prefix/len", with " id N" when tshark read an ADD-PATH path identifier (RFC 7911 3). */
function nlriList(tree: TObject | undefined, prefixKey: RegExp): string[] {
  if (!tree) return [];
  return tree
    .each()
    .filter(([k]) => !k.endsWith("_raw"))
    .map(([, v]) => {
      const e = v as TObject;
      const key = e.entries.find(([k]) => prefixKey.test(k) && !k.endsWith("_raw"));
      if (!key) throw new Error("NLRI entry without a prefix");
      const id = e.maybe("bgp.nlri_path_id");
      const text = `${e.str(key[0])}/${e.num("bgp.prefix_length")}`;
      return id === undefined ? text : `${text} id ${id}`;
    });
}

interface Segment {
  type: number;
  asns: string[];
}

function segments(a: TObject): { segments: Segment[]; twoOctet: boolean } {
  let twoOctet = false;
  const segs = a.objs("bgp.update.path_attribute.as_path_segment").map((s) => {
    const as2 = s.strs("bgp.update.path_attribute.as_path_segment.as2");
    const as4 = s.strs("bgp.update.path_attribute.as_path_segment.as4");
    if (as2.length) twoOctet = true;
    return { type: s.num("bgp.update.path_attribute.as_path_segment.type"), asns: [...as2, ...as4] };
  });
  return { segments: segs, twoOctet };
}

/** RFC 4271 4.3 segment types 1 AS_SET, 2 AS_SEQUENCE; RFC 5065 3 confederation 3 sequence, 4 set. */
function asPathText(segs: Segment[]): string {
  return segs
    .map((s) => {
      switch (s.type) {
        case 1:
          return `{${s.asns.join(",")}}`;
        case 3:
          return `(${s.asns.join(" ")})`;
        case 4:
          return `[${s.asns.join(",")}]`;
        default:
          return s.asns.join(" ");
      }
    })
    .join(" ");
}

/**
 * RFC 6793 4.2.3: with N = the number of ASes in AS_PATH (a set counts 1, confederation segments 0)
 * and M that of AS4_PATH, N < M means AS4_PATH is ignored; otherwise the path is the first N - M
 * ASes of AS_PATH followed by AS4_PATH.
 */
function mergeAs4(asPath: Segment[], as4Path: Segment[]): Segment[] {
  const count = (segs: Segment[]): number =>
    segs.reduce((n, s) => n + (s.type === 2 ? s.asns.length : s.type === 1 ? 1 : 0), 0);
  let keep = count(asPath) - count(as4Path);
  if (keep < 0) return asPath;
  const lead: Segment[] = [];
  for (const s of asPath) {
    if (keep === 0) break;
    if (s.type === 3 || s.type === 4) lead.push(s);
    else if (s.type === 1) {
      lead.push(s);
      keep--;
    } else {
      const take = Math.min(keep, s.asns.length);
      lead.push({ type: 2, asns: s.asns.slice(0, take) });
      keep -= take;
    }
  }
  return [...lead, ...as4Path];
}

/**
 * RFC 4360 3 (two-octet AS and IPv4-address specific), RFC 5668 2 (four-octet AS specific):
 * subtype 2 route target, 3 route origin, shown as "RT:admin:value" / "SoO:admin:value"; anything
 * else as its 8 bytes.
 */
function extCommunityText(c: TObject, raw: string): string {
  const type = Number(c.str("bgp.ext_com.type"));
  const sub = c.entries.find(([k]) => k.startsWith("bgp.ext_com.stype_") && !k.endsWith("_raw"));
  const subtype = sub ? Number(c.str(sub[0])) : -1;
  for (const [k] of c.entries) if (k.startsWith("bgp.ext_com.value_")) c.skip(k);
  const label = subtype === 2 ? "RT" : subtype === 3 ? "SoO" : undefined;
  if (label && type === 0x00)
    return `${label}:${c.str("bgp.ext_com.value_as2")}:${c.str("bgp.ext_com.value_an4")}`;
  if (label && type === 0x01)
    return `${label}:${c.str("bgp.ext_com.value_IP4")}:${c.str("bgp.ext_com.value_an2")}`;
  if (label && type === 0x02)
    return `${label}:${c.str("bgp.ext_com.value_as4")}:${c.str("bgp.ext_com.value_an2")}`;
  return `0x${raw}`;
}

function communityText(entry: [string, unknown]): string {
  const [k, v] = entry;
  if (k === "bgp.update.path_attribute.community_wellknown") {
    const n = Number(v as string);
    return WELL_KNOWN[n] ?? `${n >>> 16}:${n & 0xffff}`;
  }
  const c = v as TObject;
  return `${c.str("bgp.update.path_attribute.community_as")}:${c.str("bgp.update.path_attribute.community_value")}`;
}

function updateView(m: TObject): View {
  const announced: string[] = nlriList(m.maybeObj("bgp.update.nlri"), /^bgp\.nlri_prefix$/);
  const withdrawn: string[] = nlriList(m.maybeObj("bgp.update.withdrawn_routes"), /^bgp\.withdrawn_prefix$/);
  const bodyWithdrawn = withdrawn.length;
  const mpAnnounced: string[] = [];
  const mpWithdrawn: string[] = [];
  const attrs: View = {};
  const list = m.maybeObj("bgp.update.path_attributes")?.objs("bgp.update.path_attribute") ?? [];
  let asPath: Segment[] | undefined;
  let as4Path: Segment[] | undefined;
  let twoOctet = false;
  let aggregator: View | undefined;
  let as4Aggregator: View | undefined;
  let mpUnreachFamily: string | undefined;
  for (const a of list) {
    const code = a.num("bgp.update.path_attribute.type_code");
    const p = "bgp.update.path_attribute.";
    switch (code) {
      case 1:
        attrs.origin = ORIGINS[a.num(`${p}origin`)] ?? a.str(`${p}origin`);
        break;
      case 2: {
        const s = segments(a);
        asPath = s.segments;
        twoOctet = s.twoOctet;
        break;
      }
      case 3:
        attrs.next_hop = a.str(`${p}next_hop`);
        break;
      case 4:
        attrs.med = a.num(`${p}multi_exit_disc`);
        break;
      case 5:
        attrs.local_pref = a.num(`${p}local_pref`);
        break;
      case 6:
        attrs.atomic_aggregate = true;
        break;
      case 7:
        aggregator = { asn: a.num(`${p}aggregator_as`), address: a.str(`${p}aggregator_origin`) };
        break;
      case 8:
        attrs.communities = a
          .obj(`${p}communities`)
          .each()
          .filter(([k]) => !k.endsWith("_raw"))
          .map(communityText);
        break;
      case 9:
        attrs.originator_id = a.str(`${p}originator_id`);
        break;
      case 10:
        attrs.cluster_list = a.obj("bgp.path_attribute.cluster_list").strs("bgp.path_attribute.cluster_id");
        break;
      case 14: {
        const afi = a.num(`${p}mp_reach_nlri.afi`);
        a.skip(`${p}mp_reach_nlri.safi`);
        // RFC 4760 3 / RFC 2545 3: the global address, then the link-local one when there are 32 bytes.
        const hops = a.obj(`${p}mp_reach_nlri.next_hop_tree`).each();
        const nextHops = hops.filter(([k]) => !k.endsWith("_raw")).map(([, v]) => v as string);
        if (nextHops.length) attrs.mp_next_hops = nextHops;
        const prefixKey = afi === 2 ? /^bgp\.mp_reach_nlri_ipv6_prefix$/ : /^bgp\.mp_reach_nlri_ipv4_prefix$/;
        const tree = a.all(`${p}mp_reach_nlri`).find((v) => typeof v !== "string") as TObject | undefined;
        mpAnnounced.push(...nlriList(tree, prefixKey));
        break;
      }
      case 15: {
        const afi = a.num(`${p}mp_unreach_nlri.afi`);
        const safi = a.num(`${p}mp_unreach_nlri.safi`);
        const prefixKey =
          afi === 2 ? /^bgp\.mp_unreach_nlri_ipv6_prefix$/ : /^bgp\.mp_unreach_nlri_ipv4_prefix$/;
        const tree = a.all(`${p}mp_unreach_nlri`).find((v) => typeof v !== "string") as TObject | undefined;
        const before = mpWithdrawn.length;
        mpWithdrawn.push(...nlriList(tree, prefixKey));
        if (mpWithdrawn.length === before) mpUnreachFamily = `${afi}/${safi}`;
        break;
      }
      case 16: {
        const ec = a.obj("bgp.ext_communities");
        const raws = ec.all("bgp.ext_community_raw").map((r) => (r as string[])[0]!);
        attrs.ext_communities = ec.objs("bgp.ext_community").map((c, i) => extCommunityText(c, raws[i]!));
        break;
      }
      case 17:
        as4Path = segments(a).segments;
        break;
      case 18:
        as4Aggregator = { asn: a.num(`${p}aggregator_as`), address: a.str(`${p}aggregator_origin`) };
        break;
      case 32:
        attrs.large_communities = a
          .objs("bgp.large_communities_tree")
          .map(
            (c) =>
              `${c.str("bgp.large_communities.ga")}:${c.str("bgp.large_communities.ldp1")}:${c.str("bgp.large_communities.ldp2")}`,
          );
        break;
      default: {
        // Not a type this test knows: routewatch must list it as unknown with its bytes.
        const unknown = (attrs.unknown ??= []) as View[];
        unknown.push({
          code,
          flags: Number(a.str("bgp.update.path_attribute.flags")),
          value: a.raw("bgp.update.path_attributes.unknown"),
        });
      }
    }
  }
  // RFC 6793 4.2.3, for a 2-octet session (tshark shows its AS_PATH as 2-octet numbers): when
  // both AGGREGATOR and AS4_AGGREGATOR came and AGGREGATOR's AS is not AS_TRANS, the AS4_
  // attributes are ignored; otherwise AS4_AGGREGATOR is the aggregator and AS4_PATH is merged in.
  if (twoOctet) {
    const as4Ignored = aggregator !== undefined && as4Aggregator !== undefined && aggregator.asn !== AS_TRANS;
    if (!as4Ignored && as4Aggregator) aggregator = as4Aggregator;
    if (!as4Ignored && asPath && as4Path) asPath = mergeAs4(asPath, as4Path);
  }
  if (asPath) attrs.as_path = asPathText(asPath);
  if (aggregator) attrs.aggregator = aggregator;
  const v: View = {
    type: "UPDATE",
    // routewatch lists the UPDATE's own fields first, then the MP attributes' (README "Commands").
    announced: [...announced, ...mpAnnounced],
    withdrawn: [...withdrawn.slice(0, bodyWithdrawn), ...mpWithdrawn],
    attributes: sortKeys(attrs),
  };
  // RFC 4724 2: End-of-RIB is an UPDATE with nothing in it (IPv4 unicast), or with only an empty
  // MP_UNREACH_NLRI (its AFI/SAFI).
  if (announced.length + withdrawn.length === 0) {
    if (list.length === 0) v.end_of_rib = "1/1";
    else if (list.length === 1 && mpUnreachFamily) v.end_of_rib = mpUnreachFamily;
  }
  return v;
}

/** Attribute objects compare regardless of key order. */
export function sortKeys(o: View): View {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

// ----------------------------------------------------------------------------------------------- BMP

/** RFC 4364 4.2 route distinguisher text; routewatch's "L" suffix for small type 2 ASNs is dropped. */
function distinguisherText(colonHex: string): string {
  const b = Buffer.from(colonHex.replace(/:/g, ""), "hex");
  const type = b.readUInt16BE(0);
  if (type === 0) return `${b.readUInt16BE(2)}:${b.readUInt32BE(4)}`;
  if (type === 1) return `${b[2]}.${b[3]}.${b[4]}.${b[5]}:${b.readUInt16BE(6)}`;
  if (type === 2) return `${b.readUInt32BE(2)}:${b.readUInt16BE(6)}`;
  return `raw:${b.toString("hex")}`;
}

/** RFC 7854 4.2 per-peer header (RFC 9069 4.1 for peer type 3, Loc-RIB). */
function peerView(h: TObject): View {
  const peerType = h.num("bmp.peer.type");
  const flags = Number(h.str("bmp.peer.flags"));
  const f = h.obj("bmp.peer.flags_tree");
  let address = h.maybe("bmp.peer.ip.addr") ?? h.str("bmp.peer.ipv6.addr");
  const bit = (k: string): boolean => f.str(k) === "1";
  let view: View;
  if (peerType === 3) {
    // RFC 9069 4.1: the address is zero-filled and the V flag does not exist; tshark 4.0 still
    // reads the F flag (same bit) as V and may show "::".
    if (address === "::") address = "0.0.0.0";
    f.skip("bmp.peer.flags.loc_rib.res");
    view = { loc_rib_filtered: bit("bmp.peer.flags.loc_rib") };
  } else {
    f.skip("bmp.peer.flags.reserved");
    view = {
      ipv6: bit("bmp.peer.flags.ipv6"),
      post_policy: bit("bmp.peer.flags.post_policy"),
      legacy_as_path: bit("bmp.peer.flags.as_path"),
      adj_rib_out: bit("bmp.peer.flags.adj_rib_out"),
    };
  }
  return sortKeys({
    ...view,
    peer_type: peerType,
    flags,
    distinguisher: distinguisherText(h.str("bmp.peer.distinguisher")),
    address,
    asn: h.num("bmp.peer.asn"),
    bgp_id: h.str("bmp.peer.id"),
    // tshark 4.0 names the second field "msec" but shows the microseconds field of RFC 7854 4.2.
    ts_micros: h.num("bmp.peer.timestamp.sec") * 1_000_000 + h.num("bmp.peer.timestamp.msec"),
  });
}

/** What RFC 7854 4.8 stat values look like on the wire, as tshark shows them (colon hex). */
function statsView(b: TObject): View[] {
  const types = b.strs("bmp.stats.type");
  const trees = b.objs("bmp.stats.type_tree");
  return types.map((t, i) => {
    const tree = trees[i]!;
    for (const [k] of tree.entries) if (k.startsWith("bmp.stats.data.")) tree.skip(k);
    return { type: Number(t), data: tree.str("bmp.stats.data").replace(/:/g, "") };
  });
}

/** RFC 7854 4.3 INITIATION information TLVs: type, then (in tshark's subtree) the text. */
function initiationTlvs(b: TObject): View[] {
  const types = b.obj("bmp.init.types");
  const trees = types.objs("bmp.init.type_tree");
  return types
    .strs("bmp.init.type")
    .map((c, i) => ({ type: Number(c), value: trees[i]!.str("bmp.init.info") }));
}

/** RFC 7854 4.5 TERMINATION TLVs: tshark 4.0 shows them flat and only the first one. */
function terminationTlvs(b: TObject): View[] {
  const t = b.obj("bmp.term.types");
  const value = t.maybe("bmp.term.reason") ?? t.str("bmp.term.info");
  return [{ type: t.num("bmp.term.type"), value }];
}

export function bmpView(b: TObject): View {
  const type = BMP_TYPES[b.num("bmp.type")] ?? `type ${b.str("bmp.type")}`;
  const v: View = { type };
  const header = b.maybeObj("bmp.peer.header");
  if (header) v.peer = peerView(header);
  const pdus = bgpPdus(b);
  switch (type) {
    case "ROUTE-MONITORING":
      v.bgp = pdus.map(bgpView);
      break;
    case "PEER-UP":
      v.local_address = b.maybe("bmp.peer.up.ip.addr") ?? b.str("bmp.peer.up.ipv6.addr");
      v.local_port = b.num("bmp.peer.up.port.local");
      v.remote_port = b.num("bmp.peer.up.port.remote");
      // RFC 7854 4.10: sent OPEN, received OPEN; tshark 4.0 does not know the information TLVs
      // after them (it would read them as a third PDU; no fixture has any).
      v.bgp = pdus.map(bgpView);
      break;
    case "PEER-DOWN": {
      v.reason = b.num("bmp.peer.down.reason");
      // RFC 7854 4.9: reason 2 carries a 2-byte FSM event code, which tshark shows only as bytes.
      const data = b.has("bmp.peer.down.data") ? b.raw("bmp.peer.down.data") : undefined;
      if (v.reason === 2 && data !== undefined) v.fsm_event = parseInt(data || "0", 16);
      // Reasons 4 and 5 carry no data (RFC 7854 4.9); routewatch shows what follows the reason.
      else if (v.reason !== 1 && v.reason !== 3) v.data = data ?? "";
      v.bgp = pdus.map(bgpView);
      break;
    }
    case "INITIATION":
      v.tlvs = initiationTlvs(b);
      break;
    case "TERMINATION":
      // tshark 4.0 shows the first TLV of a TERMINATION only (the BMP codec test found this).
      v.tlvs = terminationTlvs(b);
      break;
    case "STATISTICS-REPORT":
      v.count = b.num("bmp.stats.count");
      v.stats = statsView(b);
      break;
    case "ROUTE-MIRRORING":
      // RFC 7854 4.7: only the BGP Message TLVs; tshark 4.0 does not show Information TLVs.
      v.bgp = pdus.map(bgpView);
      break;
  }
  return v;
}
