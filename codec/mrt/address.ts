/**
 * Address text for MRT peer fields. A recording names the same few peers on every record, so IPv4
 * text is memoised by its 32-bit value (bounded: the memo is dropped when it grows past its cap).
 */
import { ipToString, ipv4ToString, parseIp } from "../ip.js";

const MEMO_CAP = 4096;
const ipv4Memo = new Map<number, string>();

export function addressText(buf: Buffer, off: number, len: number): string {
  if (len !== 4) return ipToString(buf, off, len);
  const key = buf[off]! * 0x1000000 + ((buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!);
  let text = ipv4Memo.get(key);
  if (text === undefined) {
    if (ipv4Memo.size >= MEMO_CAP) ipv4Memo.clear();
    text = ipv4ToString(buf, off);
    ipv4Memo.set(key, text);
  }
  return text;
}

/** Address bytes for the encoders; a plain Error naming the field when the text is not an address. */
export function addressBytes(text: string, what: string): Buffer {
  const bytes = parseIp(text);
  if (!bytes) throw new Error(`${what}: not an IP address: "${text}"`);
  return bytes;
}
