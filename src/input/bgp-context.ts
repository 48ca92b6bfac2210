/**
 * Decoding context for BGP sessions seen from outside (a capture): the OPENs of both directions
 * decide 4-octet AS and ADD-PATH; a capture that starts mid-session gets sensible guesses instead.
 */
import {
  ATTR_AS_PATH,
  asPathLooksAs4,
  decodeHeader,
  decodeOpen,
  findAttribute,
  HEADER_LEN,
  MSG_OPEN,
  MSG_UPDATE,
  negotiate,
  receiveOptions,
  type BgpDecodeOptions,
  type OpenMessage,
} from "../../codec/bgp/index.js";
import { CodecError } from "../../codec/errors.js";

interface Session {
  opens: Map<string, OpenMessage>;
  /** Options for messages sent by each endpoint, once both OPENs are known. */
  options: Map<string, BgpDecodeOptions>;
  warned: boolean;
}

export interface ContextResult {
  options: BgpDecodeOptions;
  /** No OPEN pair was seen: the options were guessed from this message. */
  guessed: boolean;
  /** True the first time a session needs guessing (to warn once). */
  firstGuess: boolean;
}

/** Guess for a message of an unknown session: 4-octet AS if its AS_PATH parses that way; no ADD-PATH. */
export function guessOptions(bytes: Buffer): BgpDecodeOptions {
  if (bytes.length < HEADER_LEN + 4 || bytes[18] !== MSG_UPDATE) return { as4: true };
  const wLen = bytes.readUInt16BE(HEADER_LEN);
  const aStart = HEADER_LEN + 4 + wLen;
  if (aStart > bytes.length) return { as4: true };
  const aEnd = Math.min(bytes.length, aStart + bytes.readUInt16BE(aStart - 2));
  const path = findAttribute(bytes, aStart, aEnd, ATTR_AS_PATH);
  if (!path || path.end === path.start) return { as4: true };
  return { as4: asPathLooksAs4(bytes, path.start, path.end) };
}

export class BgpSessionContexts {
  private sessions = new Map<string, Session>();

  /**
   * Options to decode `bytes`, sent by endpoint `from` to `to` (e.g. "10.0.0.1:179") on connection
   * `conn`. An OPEN is remembered for the negotiation.
   */
  optionsFor(conn: string, from: string, to: string, bytes: Buffer): ContextResult {
    let s = this.sessions.get(conn);
    if (!s) {
      s = { opens: new Map(), options: new Map(), warned: false };
      this.sessions.set(conn, s);
    }
    if (bytes.length >= HEADER_LEN && bytes[18] === MSG_OPEN) this.rememberOpen(s, from, to, bytes);
    const known = s.options.get(from);
    if (known) return { options: known, guessed: false, firstGuess: false };
    // Only UPDATEs depend on the negotiated encodings.
    if (bytes.length < HEADER_LEN || bytes[18] !== MSG_UPDATE)
      return { options: { as4: true }, guessed: false, firstGuess: false };
    const firstGuess = !s.warned;
    s.warned = true;
    return { options: guessOptions(bytes), guessed: true, firstGuess };
  }

  /** Forgets a connection (closed). */
  close(conn: string): void {
    this.sessions.delete(conn);
  }

  private rememberOpen(s: Session, from: string, to: string, bytes: Buffer): void {
    let open: OpenMessage;
    try {
      const { length } = decodeHeader(bytes, 0);
      open = decodeOpen(bytes, HEADER_LEN, length);
    } catch (e) {
      if (e instanceof CodecError) return; // reported when the message itself is decoded
      throw e;
    }
    s.opens.set(from, open);
    // A new OPEN starts a new session: forget options negotiated before.
    s.options.clear();
    const other = s.opens.get(to);
    if (other) {
      s.options.set(from, receiveOptions(negotiate(other, open)));
      s.options.set(to, receiveOptions(negotiate(open, other)));
    }
  }
}
