/**
 * Typed decode errors. Every malformed input the codec meets ends in one of these, never in a
 * RangeError or an unbounded loop, so callers can count them by `kind` and react as the RFCs say.
 */

/** RFC 7606 section 2: what a receiver does about a malformed UPDATE (or any fatal error). */
export type ErrorAction = "session-reset" | "afi-safi-disable" | "treat-as-withdraw" | "attribute-discard";

/** A malformed byte sequence in any format (BGP, BMP, MRT, pcap). */
export class CodecError extends Error {
  override name = "CodecError";
  constructor(
    /** Stable machine name, e.g. "bgp.header.marker" or "mrt.truncated"; used as a metric label. */
    readonly kind: string,
    message: string,
    /** Byte offset in the buffer being decoded where the problem was found. */
    readonly offset: number,
  ) {
    super(message);
  }
}

/** A BGP error: carries the NOTIFICATION code/subcode to send and the RFC 7606 action to take. */
export class BgpError extends CodecError {
  override name = "BgpError";
  constructor(
    kind: string,
    message: string,
    offset: number,
    readonly code: number,
    readonly subcode: number,
    readonly action: ErrorAction,
    /** NOTIFICATION data (RFC 4271 6.x says what each error carries, usually the offending bytes). */
    readonly data: Buffer = Buffer.alloc(0),
  ) {
    super(kind, message, offset);
  }
}

const ACTION_RANK: Record<ErrorAction, number> = {
  "attribute-discard": 0,
  "treat-as-withdraw": 1,
  "afi-safi-disable": 2,
  "session-reset": 3,
};

/** The stronger of two actions (RFC 7606 section 3.h: the most severe one wins). */
export function strongerAction(a: ErrorAction | undefined, b: ErrorAction): ErrorAction {
  return a === undefined || ACTION_RANK[b] > ACTION_RANK[a] ? b : a;
}

/** Throws a CodecError unless `need` bytes are available at `off` before `end`. */
export function need(end: number, off: number, need: number, kind: string, what: string): void {
  if (off + need > end) {
    throw new CodecError(
      kind,
      `truncated ${what}: need ${need} bytes at offset ${off}, have ${end - off}`,
      off,
    );
  }
}
