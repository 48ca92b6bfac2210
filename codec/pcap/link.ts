/**
 * Link-layer headers: where the IP header starts in a captured packet, for the link types a
 * BGP/BMP capture is taken on (https://www.tcpdump.org/linktypes.html).
 */

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LINUX_SLL2 = 276;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
/** 802.1Q, 802.1ad (QinQ) and the older 0x9100 QinQ outer tag: 4 bytes each, then the next type. */
const VLAN_TYPES = new Set([0x8100, 0x88a8, 0x9100]);

/** Where the IP header starts, or why there is none. */
export type IpLocation =
  | { ip: 4 | 6 | "any"; offset: number }
  | { ip: "none" }
  | { ip: "truncated"; need: number }
  | { ip: "unsupported" };

const NONE: IpLocation = Object.freeze({ ip: "none" });
const UNSUPPORTED: IpLocation = Object.freeze({ ip: "unsupported" });

export function locateIp(linkType: number, data: Buffer): IpLocation {
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return data.length < 14
        ? { ip: "truncated", need: 14 }
        : afterEthertype(data, data.readUInt16BE(12), 14);
    case LINKTYPE_LINUX_SLL:
      // cooked v1: packet type, ARPHRD, address length, 8 address bytes, protocol (ethertype).
      return data.length < 16
        ? { ip: "truncated", need: 16 }
        : afterEthertype(data, data.readUInt16BE(14), 16);
    case LINKTYPE_LINUX_SLL2:
      // cooked v2: protocol first, then reserved, ifindex, ARPHRD, packet type, address length+bytes.
      return data.length < 20
        ? { ip: "truncated", need: 20 }
        : afterEthertype(data, data.readUInt16BE(0), 20);
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      if (data.length < 4) return { ip: "truncated", need: 4 };
      // NULL holds the family in the writer's byte order, LOOP in network order; like Wireshark,
      // a value with bits in the upper half is taken as the other byte order.
      let family = linkType === LINKTYPE_LOOP ? data.readUInt32BE(0) : data.readUInt32LE(0);
      if (family > 0xffff) family = linkType === LINKTYPE_LOOP ? data.readUInt32LE(0) : data.readUInt32BE(0);
      if (family === 2) return { ip: 4, offset: 4 };
      // AF_INET6 is 10 on Linux, 24 on NetBSD/OpenBSD, 28 on FreeBSD, 30 on macOS.
      if (family === 10 || family === 24 || family === 28 || family === 30) return { ip: 6, offset: 4 };
      return NONE;
    }
    // 12 and 14 are the DLT_RAW values some systems wrote into files before LINKTYPE_RAW existed.
    case LINKTYPE_RAW:
    case 12:
    case 14:
      return { ip: "any", offset: 0 };
    case LINKTYPE_IPV4:
      return { ip: 4, offset: 0 };
    case LINKTYPE_IPV6:
      return { ip: 6, offset: 0 };
    default:
      return UNSUPPORTED;
  }
}

function ipForEthertype(type: number): 4 | 6 | undefined {
  return type === ETHERTYPE_IPV4 ? 4 : type === ETHERTYPE_IPV6 ? 6 : undefined;
}

/** Follows VLAN tags from ethertype `type`, whose payload starts at `off`, to the IP header. */
function afterEthertype(data: Buffer, type: number, off: number): IpLocation {
  while (VLAN_TYPES.has(type)) {
    if (data.length - off < 4) return { ip: "truncated", need: off + 4 };
    type = data.readUInt16BE(off + 2);
    off += 4;
  }
  const ip = ipForEthertype(type);
  return ip === undefined ? NONE : { ip, offset: off };
}
