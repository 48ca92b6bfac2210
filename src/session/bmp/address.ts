/** Router addresses as seen on TCP sockets, and the allow list (bmp.allowRouters). */
import { parseIp, parsePrefix, prefixCovers, type PrefixBytes } from "../../../codec/ip.js";

/** "::ffff:127.0.0.1" (an IPv4 client on a dual-stack listener) as "127.0.0.1"; others unchanged. */
export function socketAddress(address: string | undefined): string {
  if (!address) return "";
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/** Which routers may stream: CIDRs, empty for any. */
export class RouterAllowList {
  private readonly prefixes: PrefixBytes[];

  constructor(cidrs: readonly string[]) {
    this.prefixes = cidrs.map((c) => parsePrefix(c));
  }

  allows(address: string): boolean {
    if (this.prefixes.length === 0) return true;
    const ip = parseIp(address);
    if (!ip) return false;
    const host: PrefixBytes = { afi: ip.length === 4 ? 1 : 2, addr: ip, len: ip.length * 8 };
    return this.prefixes.some((p) => prefixCovers(p, host));
  }
}
