/**
 * What our OPEN says and which OPENs we accept (RFC 4271 4.2, 6.2), and what two OPENs agree on.
 */
import {
  AS_TRANS,
  ERR_OPEN,
  openAsn,
  SAFI_UNICAST,
  validateOpen,
  type Capability,
  type OpenFields,
  type OpenMessage,
} from "../../../codec/bgp/index.js";
import { BgpError } from "../../../codec/errors.js";
import { AFI_IPV4, AFI_IPV6, parseIp } from "../../../codec/ip.js";
import type { Config } from "../../core/config.js";

export interface OurOpen {
  fields: OpenFields;
  /** The same OPEN as the peer decodes it, for negotiation (a unit test checks they agree). */
  message: OpenMessage;
}

const UNICAST_FAMILIES = [
  { afi: AFI_IPV4, safi: SAFI_UNICAST },
  { afi: AFI_IPV6, safi: SAFI_UNICAST },
];

/**
 * Our OPEN: version 4, our ASN (AS_TRANS in the 2-octet field above 65535, RFC 6793), the
 * configured hold time, and the capabilities a passive receiver wants: IPv4+IPv6 unicast, route
 * refresh, 4-octet AS, ADD-PATH receive, graceful restart as receiver (no F bit: we forward
 * nothing) and extended messages.
 */
export function buildOurOpen(config: Pick<Config, "asn" | "routerId" | "bgp">): OurOpen {
  const capabilities: Capability[] = [
    ...UNICAST_FAMILIES.map((f) => ({ name: "multiprotocol" as const, code: 1 as const, ...f })),
    { name: "route-refresh", code: 2 },
    { name: "as4", code: 65, asn: config.asn },
    {
      name: "add-path",
      code: 69,
      families: UNICAST_FAMILIES.map((f) => ({ ...f, sendReceive: 1 })),
    },
    {
      name: "graceful-restart",
      code: 64,
      restarting: false,
      notification: false,
      restartTime: config.bgp.gracefulRestartTime,
      families: UNICAST_FAMILIES.map((f) => ({ ...f, forwardingPreserved: false })),
    },
    { name: "extended-message", code: 6 },
  ];
  const fields: OpenFields = {
    asn: config.asn,
    holdTime: config.bgp.holdTime,
    bgpId: config.routerId,
    capabilities,
  };
  const message: OpenMessage = {
    type: "OPEN",
    version: 4,
    myAsn: config.asn > 0xffff ? AS_TRANS : config.asn,
    holdTime: fields.holdTime,
    bgpId: fields.bgpId,
    optionalParameters: [{ type: 2, capabilities }],
    capabilities,
  };
  return { fields, message };
}

/** RFC 4271 10: KeepaliveTime is a third of the hold time (none when the hold time is 0). */
export function keepaliveSeconds(holdTime: number): number {
  return holdTime === 0 ? 0 : Math.max(1, Math.floor(holdTime / 3));
}

function bgpIdNumber(id: string): number {
  return parseIp(id)!.readUInt32BE(0);
}

/** RFC 4271 6.8: compares BGP Identifiers as 4-octet unsigned integers. */
export function compareBgpIds(a: string, b: string): number {
  return bgpIdNumber(a) - bgpIdNumber(b);
}

/**
 * RFC 4271 6.2 checks of a received OPEN: validateOpen() (version, hold time, identifier), the
 * ASN a configured peer must have (Bad Peer AS), and an identifier different from ours (RFC 6286 2.2).
 * Throws the BgpError to send as NOTIFICATION.
 */
export function checkPeerOpen(open: OpenMessage, expectedAsn: number | undefined, ourBgpId: string): void {
  validateOpen(open);
  const asn = openAsn(open);
  if (expectedAsn !== undefined && asn !== expectedAsn) {
    const data = Buffer.alloc(2);
    data.writeUInt16BE(open.myAsn);
    throw new BgpError(
      "bgp.open.bad-peer-as",
      `peer AS ${asn} is not the configured ${expectedAsn}`,
      1,
      ERR_OPEN,
      2,
      "session-reset",
      data,
    );
  }
  if (open.myAsn === AS_TRANS && !open.capabilities.some((c) => c.name === "as4")) {
    throw new BgpError(
      "bgp.open.bad-peer-as",
      "peer AS is AS_TRANS without a 4-octet AS capability",
      1,
      ERR_OPEN,
      2,
      "session-reset",
    );
  }
  if (open.bgpId === ourBgpId) {
    throw new BgpError(
      "bgp.open.bad-bgp-id",
      `peer BGP Identifier ${open.bgpId} equals ours`,
      5,
      ERR_OPEN,
      3,
      "session-reset",
      parseIp(open.bgpId)!,
    );
  }
}
