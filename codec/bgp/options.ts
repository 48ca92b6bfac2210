/**
 * What a BGP decoder must know about the session a message came from: the encodings that
 * OPEN negotiation (or an MRT subtype, or a BMP peer header) decided.
 */
import { familyKey } from "./constants.js";

export interface BgpDecodeOptions {
  /** AS_PATH and AGGREGATOR carry 4-octet AS numbers (both sides sent capability 65). */
  as4: boolean;
  /** Families (familyKey(afi, safi)) whose NLRI carry ADD-PATH path identifiers in this direction. */
  addPath?: ReadonlySet<number>;
  /** Every family carries path identifiers (MRT *_ADDPATH subtypes, RFC 8050). */
  addPathAll?: boolean;
  /** Messages up to 65535 bytes are allowed (RFC 8654, both sides sent capability 6). */
  extendedMessage?: boolean;
}

/** Modern defaults: 4-octet AS, no ADD-PATH, 4096-byte messages. */
export const DEFAULT_DECODE_OPTIONS: BgpDecodeOptions = Object.freeze({ as4: true });

export function hasAddPath(opts: BgpDecodeOptions, afi: number, safi: number): boolean {
  return opts.addPathAll === true || (opts.addPath?.has(familyKey(afi, safi)) ?? false);
}
