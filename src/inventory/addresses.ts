/**
 * Address arithmetic for the inventory: IPv4/IPv6 text to integers and back (RFC 5952 text, the
 * same form the codec prints), CIDRs with host bits cleared, and MetalLB's "first-last" ranges as
 * the minimal list of CIDRs that covers exactly the range.
 */

export type Family = 4 | 6;

export interface Address {
  family: Family;
  value: bigint;
}

/** A prefix with its host bits cleared. */
export interface Cidr {
  family: Family;
  value: bigint;
  len: number;
}

export const FAMILY_BITS: Record<Family, number> = { 4: 32, 6: 128 };

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    // No leading zeros: "010" is octal to some parsers and decimal to others.
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(p);
  }
  return v;
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string, allowV4: boolean): bigint[] | undefined => {
    if (s === "") return [];
    const out: bigint[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (allowV4 && i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIpv4(p);
        if (v4 === undefined) return undefined;
        out.push(v4 >> 16n, v4 & 0xffffn);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(BigInt(parseInt(p, 16)));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? groups(halves[1]!, true) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  let v = 0n;
  for (const g of [...head, ...new Array<bigint>(halves.length === 2 ? missing : 0).fill(0n), ...tail]) {
    v = (v << 16n) | g;
  }
  return v;
}

/** Parses IPv4 (dotted decimal) or IPv6 text; undefined when it is not an address. */
export function parseAddress(text: string): Address | undefined {
  if (text.includes(":")) {
    const value = parseIpv6(text);
    return value === undefined ? undefined : { family: 6, value };
  }
  const value = parseIpv4(text);
  return value === undefined ? undefined : { family: 4, value };
}

function formatIpv4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join(".");
}

/** RFC 5952: lower case, no leading zeros, the longest run (first if tied) of >= 2 zero groups as "::". */
function formatIpv6(v: bigint): string {
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((v >> BigInt(16 * i)) & 0xffffn));
  // IPv4-mapped addresses keep the dotted quad (RFC 5952 section 5).
  if (v >> 32n === 0xffffn) return "::ffff:" + formatIpv4(v & 0xffffffffn);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(":");
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

export function formatAddress(a: Address): string {
  return a.family === 4 ? formatIpv4(a.value) : formatIpv6(a.value);
}

/** The canonical text of an address ("2001:DB8:0::1" -> "2001:db8::1"); undefined when it is not one. */
export function canonicalAddress(text: string): string | undefined {
  const a = parseAddress(text);
  return a && formatAddress(a);
}

function hostMask(family: Family, len: number): bigint {
  return (1n << BigInt(FAMILY_BITS[family] - len)) - 1n;
}

/** Parses "addr/len" (host bits are cleared, as Go's net.ParseCIDR does); undefined when it is not one. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const a = parseAddress(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (!a || !/^(0|[1-9]\d{0,2})$/.test(lenText)) return undefined;
  const len = Number(lenText);
  if (len > FAMILY_BITS[a.family]) return undefined;
  return { family: a.family, value: a.value & ~hostMask(a.family, len), len };
}

export function formatCidr(c: Cidr): string {
  return `${formatAddress(c)}/${c.len}`;
}

export function cidrContains(c: Cidr, a: Address): boolean {
  return c.family === a.family && (a.value & ~hostMask(c.family, c.len)) === c.value;
}

/** The fewest CIDRs that cover exactly first..last (inclusive, same family, first <= last). */
export function rangeToCidrs(first: Address, last: Address): Cidr[] {
  if (first.family !== last.family || first.value > last.value) {
    throw new Error("rangeToCidrs: expected first <= last in one family");
  }
  const bits = FAMILY_BITS[first.family];
  const out: Cidr[] = [];
  let start = first.value;
  while (start <= last.value) {
    // The largest block aligned at `start` (its lowest set bit) that does not run past `last`.
    let size = 0;
    while (size < bits && ((start >> BigInt(size)) & 1n) === 0n) size++;
    while (start + (1n << BigInt(size)) - 1n > last.value) size--;
    out.push({ family: first.family, value: start, len: bits - size });
    start += 1n << BigInt(size);
  }
  return out;
}

/**
 * One entry of a MetalLB IPAddressPool's spec.addresses: a CIDR, a "first-last" range (spaces
 * around the dash allowed) or a single address; undefined when it is none of these.
 */
export function parsePoolAddresses(text: string): Cidr[] | undefined {
  const t = text.trim();
  if (t.includes("-")) {
    const [a, b, ...rest] = t.split("-");
    if (rest.length) return undefined;
    const first = parseAddress(a!.trim());
    const last = parseAddress(b!.trim());
    if (!first || !last || first.family !== last.family || first.value > last.value) return undefined;
    return rangeToCidrs(first, last);
  }
  if (t.includes("/")) {
    const c = parseCidr(t);
    return c && [c];
  }
  const a = parseAddress(t);
  return a && [{ ...a, len: FAMILY_BITS[a.family] }];
}
