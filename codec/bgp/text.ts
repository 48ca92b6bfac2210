/** Conventional text forms of attribute values, as operators read them in router CLIs and bgpdump. */
import {
  AS_CONFED_SEQUENCE,
  AS_CONFED_SET,
  AS_SEQUENCE,
  AS_SET,
  WELL_KNOWN_COMMUNITIES,
} from "./constants.js";
import type { AsPathSegment } from "./attributes.js";

/** "64512 65001 {1,2}": sets in braces, confederation sequences in (), confederation sets in []. */
export function asPathToString(segments: readonly AsPathSegment[]): string {
  if (segments.length === 1 && segments[0]!.type === AS_SEQUENCE) return segments[0]!.asns.join(" ");
  return segments
    .map((s) => {
      switch (s.type) {
        case AS_SET:
          return `{${s.asns.join(",")}}`;
        case AS_CONFED_SEQUENCE:
          return `(${s.asns.join(" ")})`;
        case AS_CONFED_SET:
          return `[${s.asns.join(",")}]`;
        default:
          return s.asns.join(" ");
      }
    })
    .join(" ");
}

/** "64512:100", or the RFC name of a well-known community ("NO_EXPORT"). */
export function communityToString(c: number): string {
  return WELL_KNOWN_COMMUNITIES[c] ?? `${c >>> 16}:${c & 0xffff}`;
}

export function largeCommunityToString(c: readonly [number, number, number]): string {
  return `${c[0]}:${c[1]}:${c[2]}`;
}

/**
 * RFC 4360 / RFC 5668 text for the common extended communities (route target "RT:", route origin
 * "SoO:"); anything else as "0x" and its 16 hex digits.
 */
export function extCommunityToString(hex: string): string {
  const b = Buffer.from(hex, "hex");
  if (b.length !== 8) return `0x${hex}`;
  const type = b[0]! & 0xbf; // transitivity bit does not change the meaning
  const sub = b[1]!;
  const label = sub === 0x02 ? "RT" : sub === 0x03 ? "SoO" : undefined;
  if (label) {
    if (type === 0x00) return `${label}:${b.readUInt16BE(2)}:${b.readUInt32BE(4)}`;
    if (type === 0x01) return `${label}:${b[2]}.${b[3]}.${b[4]}.${b[5]}:${b.readUInt16BE(6)}`;
    if (type === 0x02) return `${label}:${b.readUInt32BE(2)}:${b.readUInt16BE(6)}`;
  }
  return `0x${hex}`;
}
