/**
 * OPEN (RFC 4271 4.2) with capabilities (RFC 5492) and extended optional parameters (RFC 9072),
 * and the negotiation that turns two OPENs into decoding options for each direction.
 */
import { BgpError } from "../errors.js";
import { ipv4ToString, parseIp } from "../ip.js";
import {
  AS_TRANS,
  CAP_ADD_PATH,
  CAP_AS4,
  CAP_ENHANCED_ROUTE_REFRESH,
  CAP_EXTENDED_MESSAGE,
  CAP_EXTENDED_NEXT_HOP,
  CAP_FQDN,
  CAP_GRACEFUL_RESTART,
  CAP_LLGR,
  CAP_MULTIPROTOCOL,
  CAP_ROLE,
  CAP_ROUTE_REFRESH,
  CAP_ROUTE_REFRESH_CISCO,
  ERR_OPEN,
  familyKey,
  SAFI_UNICAST,
} from "./constants.js";
import type { BgpDecodeOptions } from "./options.js";

export interface Family {
  afi: number;
  safi: number;
}

/** ADD-PATH Send/Receive field (RFC 7911 4): 1 receive, 2 send, 3 both. */
export interface AddPathFamily extends Family {
  sendReceive: number;
}

export interface GracefulRestartFamily extends Family {
  forwardingPreserved: boolean;
}

export interface LlgrFamily extends Family {
  flags: number;
  staleTime: number;
}

export type Capability =
  | { name: "multiprotocol"; code: 1; afi: number; safi: number }
  | {
      name: "route-refresh" | "enhanced-route-refresh" | "route-refresh-cisco" | "extended-message";
      code: number;
    }
  | { name: "as4"; code: 65; asn: number }
  | { name: "add-path"; code: 69; families: AddPathFamily[] }
  | {
      name: "graceful-restart";
      code: 64;
      /** R bit: the sender has restarted. */
      restarting: boolean;
      /** N bit (RFC 8538): NOTIFICATIONs are covered by graceful restart too. */
      notification: boolean;
      restartTime: number;
      families: GracefulRestartFamily[];
    }
  | { name: "long-lived-graceful-restart"; code: 71; families: LlgrFamily[] }
  | { name: "fqdn"; code: 73; hostname: string; domain: string }
  | { name: "extended-next-hop"; code: 5; entries: { afi: number; safi: number; nextHopAfi: number }[] }
  | { name: "role"; code: 9; role: number }
  | { name: "unknown"; code: number; value: Buffer };

/** An optional parameter: capabilities (type 2), or anything else kept as bytes. */
export type OptionalParameter = { type: 2; capabilities: Capability[] } | { type: number; value: Buffer };

export interface OpenMessage {
  type: "OPEN";
  version: number;
  /** The 2-octet My Autonomous System field (AS_TRANS when the real ASN is 4-octet). */
  myAsn: number;
  holdTime: number;
  bgpId: string;
  optionalParameters: OptionalParameter[];
  /** All capabilities of all optional parameters, in order. */
  capabilities: Capability[];
  /** The optional parameters used the RFC 9072 extended length encoding. */
  extendedParameters?: boolean;
}

function openError(subcode: number, message: string, off: number, data?: Buffer): BgpError {
  return new BgpError(
    `bgp.open.${subcode === 0 ? "malformed" : `subcode-${subcode}`}`,
    message,
    off,
    ERR_OPEN,
    subcode,
    "session-reset",
    data,
  );
}

function capLength(name: string, len: number, ok: boolean, off: number): void {
  if (!ok) throw openError(0, `capability ${name} has bad length ${len}`, off);
}

function decodeCapability(code: number, buf: Buffer, off: number, len: number): Capability {
  const end = off + len;
  switch (code) {
    case CAP_MULTIPROTOCOL:
      capLength("multiprotocol", len, len === 4, off);
      return { name: "multiprotocol", code, afi: buf.readUInt16BE(off), safi: buf[off + 3]! };
    case CAP_ROUTE_REFRESH:
    case CAP_ENHANCED_ROUTE_REFRESH:
    case CAP_ROUTE_REFRESH_CISCO:
    case CAP_EXTENDED_MESSAGE: {
      const name =
        code === CAP_ROUTE_REFRESH
          ? "route-refresh"
          : code === CAP_ENHANCED_ROUTE_REFRESH
            ? "enhanced-route-refresh"
            : code === CAP_ROUTE_REFRESH_CISCO
              ? "route-refresh-cisco"
              : "extended-message";
      if (len !== 0) return { name: "unknown", code, value: Buffer.from(buf.subarray(off, end)) };
      return { name, code };
    }
    case CAP_AS4:
      capLength("as4", len, len === 4, off);
      return { name: "as4", code, asn: buf.readUInt32BE(off) };
    case CAP_ADD_PATH: {
      capLength("add-path", len, len % 4 === 0, off);
      const families: AddPathFamily[] = [];
      for (let p = off; p < end; p += 4) {
        families.push({ afi: buf.readUInt16BE(p), safi: buf[p + 2]!, sendReceive: buf[p + 3]! });
      }
      return { name: "add-path", code, families };
    }
    case CAP_GRACEFUL_RESTART: {
      capLength("graceful-restart", len, len >= 2 && (len - 2) % 4 === 0, off);
      const word = buf.readUInt16BE(off);
      const families: GracefulRestartFamily[] = [];
      for (let p = off + 2; p < end; p += 4) {
        families.push({
          afi: buf.readUInt16BE(p),
          safi: buf[p + 2]!,
          forwardingPreserved: (buf[p + 3]! & 0x80) !== 0,
        });
      }
      return {
        name: "graceful-restart",
        code,
        restarting: (word & 0x8000) !== 0,
        notification: (word & 0x4000) !== 0,
        restartTime: word & 0x0fff,
        families,
      };
    }
    case CAP_LLGR: {
      capLength("long-lived-graceful-restart", len, len % 7 === 0, off);
      const families: LlgrFamily[] = [];
      for (let p = off; p < end; p += 7) {
        families.push({
          afi: buf.readUInt16BE(p),
          safi: buf[p + 2]!,
          flags: buf[p + 3]!,
          staleTime: buf.readUIntBE(p + 4, 3),
        });
      }
      return { name: "long-lived-graceful-restart", code, families };
    }
    case CAP_FQDN: {
      capLength("fqdn", len, len >= 1 && 1 + buf[off]! < len, off);
      const hostLen = buf[off]!;
      const domainLen = buf[off + 1 + hostLen]!;
      capLength("fqdn", len, 2 + hostLen + domainLen === len, off);
      return {
        name: "fqdn",
        code,
        hostname: buf.toString("utf8", off + 1, off + 1 + hostLen),
        domain: buf.toString("utf8", off + 2 + hostLen, end),
      };
    }
    case CAP_EXTENDED_NEXT_HOP: {
      capLength("extended-next-hop", len, len % 6 === 0, off);
      const entries = [];
      for (let p = off; p < end; p += 6) {
        entries.push({
          afi: buf.readUInt16BE(p),
          safi: buf.readUInt16BE(p + 2),
          nextHopAfi: buf.readUInt16BE(p + 4),
        });
      }
      return { name: "extended-next-hop", code, entries };
    }
    case CAP_ROLE:
      capLength("role", len, len === 1, off);
      return { name: "role", code, role: buf[off]! };
    default:
      return { name: "unknown", code, value: Buffer.from(buf.subarray(off, end)) };
  }
}

function decodeCapabilities(buf: Buffer, off: number, end: number): Capability[] {
  const caps: Capability[] = [];
  while (off < end) {
    if (off + 2 > end) throw openError(0, `capability header truncated at offset ${off}`, off);
    const code = buf[off]!;
    const len = buf[off + 1]!;
    if (off + 2 + len > end)
      throw openError(0, `capability ${code} length ${len} overruns its parameter`, off);
    caps.push(decodeCapability(code, buf, off + 2, len));
    off += 2 + len;
  }
  return caps;
}

/** Decodes the OPEN body buf[start, end) (after the 19-byte header). */
export function decodeOpen(buf: Buffer, start: number, end: number): OpenMessage {
  if (end - start < 10) throw openError(0, `OPEN body of ${end - start} bytes, expected at least 10`, start);
  const version = buf[start]!;
  const myAsn = buf.readUInt16BE(start + 1);
  const holdTime = buf.readUInt16BE(start + 3);
  const bgpId = ipv4ToString(buf, start + 5);
  let paramsLen = buf[start + 9]!;
  let off = start + 10;
  let extended = false;
  // RFC 9072: Non-Ext OP Len 255 and Non-Ext OP Type 255 announce 2-byte lengths.
  if (paramsLen === 255 && off < end && buf[off] === 255) {
    if (off + 3 > end) throw openError(0, "extended optional parameters length truncated", off);
    extended = true;
    paramsLen = buf.readUInt16BE(off + 1);
    off += 3;
  }
  const paramsEnd = off + paramsLen;
  if (paramsEnd !== end) {
    throw openError(0, `optional parameters length ${paramsLen} does not match the OPEN length`, start + 9);
  }
  const optionalParameters: OptionalParameter[] = [];
  const capabilities: Capability[] = [];
  const headLen = extended ? 3 : 2;
  while (off < paramsEnd) {
    if (off + headLen > paramsEnd)
      throw openError(0, `optional parameter header truncated at offset ${off}`, off);
    const type = buf[off]!;
    const len = extended ? buf.readUInt16BE(off + 1) : buf[off + 1]!;
    const valueStart = off + headLen;
    if (valueStart + len > paramsEnd) throw openError(0, `optional parameter ${type} overruns the OPEN`, off);
    if (type === 2) {
      const caps = decodeCapabilities(buf, valueStart, valueStart + len);
      optionalParameters.push({ type: 2, capabilities: caps });
      capabilities.push(...caps);
    } else {
      optionalParameters.push({ type, value: Buffer.from(buf.subarray(valueStart, valueStart + len)) });
    }
    off = valueStart + len;
  }
  const open: OpenMessage = {
    type: "OPEN",
    version,
    myAsn,
    holdTime,
    bgpId,
    optionalParameters,
    capabilities,
  };
  if (extended) open.extendedParameters = true;
  return open;
}

/**
 * RFC 4271 6.2 checks a receiver makes before accepting an OPEN: version 4, hold time 0 or >= 3,
 * a non-zero BGP Identifier (RFC 6286). Throws the BgpError to send as NOTIFICATION.
 */
export function validateOpen(open: OpenMessage): void {
  if (open.version !== 4) {
    throw openError(1, `unsupported BGP version ${open.version}`, 0, Buffer.from([0, 4]));
  }
  if (open.holdTime === 1 || open.holdTime === 2) {
    throw openError(6, `unacceptable hold time ${open.holdTime}`, 3);
  }
  if (open.bgpId === "0.0.0.0") throw openError(3, "BGP Identifier is 0.0.0.0", 5);
}

/** The speaker's real AS number: the 4-octet AS capability's, else the My AS field. */
export function openAsn(open: OpenMessage): number {
  const cap = open.capabilities.find((c) => c.name === "as4");
  return cap && cap.name === "as4" ? cap.asn : open.myAsn;
}

function encodeCapability(c: Capability): Buffer {
  let value: Buffer;
  switch (c.name) {
    case "multiprotocol":
      value = Buffer.from([c.afi >> 8, c.afi & 0xff, 0, c.safi]);
      break;
    case "route-refresh":
    case "enhanced-route-refresh":
    case "route-refresh-cisco":
    case "extended-message":
      value = Buffer.alloc(0);
      break;
    case "as4":
      value = Buffer.alloc(4);
      value.writeUInt32BE(c.asn);
      break;
    case "add-path":
      value = Buffer.concat(
        c.families.map((f) => Buffer.from([f.afi >> 8, f.afi & 0xff, f.safi, f.sendReceive])),
      );
      break;
    case "graceful-restart": {
      value = Buffer.alloc(2 + 4 * c.families.length);
      value.writeUInt16BE(
        (c.restarting ? 0x8000 : 0) | (c.notification ? 0x4000 : 0) | (c.restartTime & 0x0fff),
      );
      c.families.forEach((f, i) => {
        value.writeUInt16BE(f.afi, 2 + 4 * i);
        value[4 + 4 * i] = f.safi;
        value[5 + 4 * i] = f.forwardingPreserved ? 0x80 : 0;
      });
      break;
    }
    case "long-lived-graceful-restart": {
      value = Buffer.alloc(7 * c.families.length);
      c.families.forEach((f, i) => {
        value.writeUInt16BE(f.afi, 7 * i);
        value[7 * i + 2] = f.safi;
        value[7 * i + 3] = f.flags;
        value.writeUIntBE(f.staleTime, 7 * i + 4, 3);
      });
      break;
    }
    case "fqdn": {
      const host = Buffer.from(c.hostname, "utf8");
      const domain = Buffer.from(c.domain, "utf8");
      value = Buffer.concat([Buffer.from([host.length]), host, Buffer.from([domain.length]), domain]);
      break;
    }
    case "extended-next-hop":
      value = Buffer.alloc(6 * c.entries.length);
      c.entries.forEach((e, i) => {
        value.writeUInt16BE(e.afi, 6 * i);
        value.writeUInt16BE(e.safi, 6 * i + 2);
        value.writeUInt16BE(e.nextHopAfi, 6 * i + 4);
      });
      break;
    case "role":
      value = Buffer.from([c.role]);
      break;
    case "unknown":
      value = c.value;
      break;
  }
  if (value.length > 255) throw new Error(`capability ${c.name} value too long`);
  return Buffer.concat([Buffer.from([c.code, value.length]), value]);
}

export interface OpenFields {
  asn: number;
  holdTime: number;
  bgpId: string;
  /** Written as one Capabilities optional parameter unless `optionalParameters` is given. */
  capabilities?: Capability[];
  optionalParameters?: OptionalParameter[];
  extendedParameters?: boolean;
  version?: number;
}

/** The OPEN body (without the BGP header). */
export function encodeOpenBody(f: OpenFields): Buffer {
  const params =
    f.optionalParameters ?? (f.capabilities?.length ? [{ type: 2, capabilities: f.capabilities }] : []);
  const values = params.map((p) =>
    "capabilities" in p
      ? Buffer.concat(p.capabilities.map(encodeCapability))
      : (p as { value: Buffer }).value,
  );
  const extended = f.extendedParameters === true || values.some((v) => v.length > 255);
  const encoded = params.map((p, i) => {
    const v = values[i]!;
    const head = extended
      ? Buffer.from([p.type, v.length >> 8, v.length & 0xff])
      : Buffer.from([p.type, v.length]);
    return Buffer.concat([head, v]);
  });
  const paramBytes = Buffer.concat(encoded);
  const id = parseIp(f.bgpId);
  if (!id || id.length !== 4) throw new Error(`BGP Identifier must be an IPv4 address: "${f.bgpId}"`);
  const head = Buffer.alloc(10);
  head[0] = f.version ?? 4;
  head.writeUInt16BE(f.asn > 0xffff ? AS_TRANS : f.asn, 1);
  head.writeUInt16BE(f.holdTime, 3);
  id.copy(head, 5);
  if (extended) {
    head[9] = 255;
    return Buffer.concat([
      head,
      Buffer.from([255, paramBytes.length >> 8, paramBytes.length & 0xff]),
      paramBytes,
    ]);
  }
  if (paramBytes.length > 255) throw new Error("optional parameters too long");
  head[9] = paramBytes.length;
  return Buffer.concat([head, paramBytes]);
}

// ---------------------------------------------------------------------------------------------
// Negotiation

/** What two OPENs agree on, seen from the side that sent `local` and received `remote`. */
export interface Negotiated {
  as4: boolean;
  extendedMessage: boolean;
  /** Families both sides announced (IPv4 unicast when neither sent multiprotocol, RFC 4760 8). */
  families: Family[];
  /** Families whose UPDATEs from the remote side carry path identifiers. */
  addPathReceive: Set<number>;
  /** Families whose UPDATEs to the remote side carry path identifiers. */
  addPathSend: Set<number>;
  routeRefresh: boolean;
  enhancedRouteRefresh: boolean;
  /** The remote side's graceful restart capability, when both sent one. */
  gracefulRestart?: Extract<Capability, { name: "graceful-restart" }>;
  holdTime: number;
}

function addPathModes(open: OpenMessage): Map<number, number> {
  const modes = new Map<number, number>();
  for (const c of open.capabilities) {
    if (c.name === "add-path") for (const f of c.families) modes.set(familyKey(f.afi, f.safi), f.sendReceive);
  }
  return modes;
}

function mpFamilies(open: OpenMessage): Family[] {
  const out: Family[] = [];
  for (const c of open.capabilities) if (c.name === "multiprotocol") out.push({ afi: c.afi, safi: c.safi });
  return out;
}

export function negotiate(local: OpenMessage, remote: OpenMessage): Negotiated {
  const has = (o: OpenMessage, name: Capability["name"]): boolean =>
    o.capabilities.some((c) => c.name === name);
  // RFC 4760 8: a speaker that sends no multiprotocol capability speaks IPv4 unicast only.
  const ipv4Only: Family[] = [{ afi: 1, safi: SAFI_UNICAST }];
  const localFamilies = mpFamilies(local);
  const remoteFamilies = mpFamilies(remote);
  const remoteKeys = new Set(
    (remoteFamilies.length ? remoteFamilies : ipv4Only).map((f) => familyKey(f.afi, f.safi)),
  );
  const families = (localFamilies.length ? localFamilies : ipv4Only).filter((f) =>
    remoteKeys.has(familyKey(f.afi, f.safi)),
  );
  const localModes = addPathModes(local);
  const remoteModes = addPathModes(remote);
  const addPathReceive = new Set<number>();
  const addPathSend = new Set<number>();
  for (const [key, mode] of localModes) {
    const other = remoteModes.get(key) ?? 0;
    if (mode & 1 && other & 2) addPathReceive.add(key);
    if (mode & 2 && other & 1) addPathSend.add(key);
  }
  const gr = remote.capabilities.find((c) => c.name === "graceful-restart");
  const n: Negotiated = {
    as4: has(local, "as4") && has(remote, "as4"),
    extendedMessage: has(local, "extended-message") && has(remote, "extended-message"),
    families,
    addPathReceive,
    addPathSend,
    routeRefresh:
      (has(local, "route-refresh") || has(local, "route-refresh-cisco")) &&
      (has(remote, "route-refresh") || has(remote, "route-refresh-cisco")),
    enhancedRouteRefresh: has(local, "enhanced-route-refresh") && has(remote, "enhanced-route-refresh"),
    holdTime: Math.min(local.holdTime, remote.holdTime),
  };
  if (gr && gr.name === "graceful-restart" && has(local, "graceful-restart")) n.gracefulRestart = gr;
  return n;
}

/** Decoding options for UPDATEs received from the remote side of a negotiated session. */
export function receiveOptions(n: Negotiated): BgpDecodeOptions {
  return { as4: n.as4, addPath: n.addPathReceive, extendedMessage: n.extendedMessage };
}

/** Decoding options for UPDATEs the local side sends (BMP Adj-RIB-Out, our own encoder). */
export function sendOptions(n: Negotiated): BgpDecodeOptions {
  return { as4: n.as4, addPath: n.addPathSend, extendedMessage: n.extendedMessage };
}
