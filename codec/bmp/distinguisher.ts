/**
 * The 8-byte peer distinguisher as route distinguisher text (RFC 4364 4.2), and back.
 *   type 0: "asn:nn"   2-byte ASN, 4-byte number (all zeros is "0:0", the global instance)
 *   type 1: "ip:nn"    IPv4 address, 2-byte number
 *   type 2: "asn:nn"   4-byte ASN, 2-byte number; "asnL:nn" when the ASN would also fit type 0
 *                      (the Junos "L" suffix), so that the text maps back to the same bytes
 *   other:  "raw:" and the 16 hex digits (RFC 7854 4.2 allows any locally defined value)
 */
import { ipv4ToString, parseIp } from "../ip.js";

export function distinguisherToString(buf: Buffer, off: number): string {
  const type = buf.readUInt16BE(off);
  switch (type) {
    case 0:
      return `${buf.readUInt16BE(off + 2)}:${buf.readUInt32BE(off + 4)}`;
    case 1:
      return `${ipv4ToString(buf, off + 2)}:${buf.readUInt16BE(off + 6)}`;
    case 2: {
      const asn = buf.readUInt32BE(off + 2);
      return `${asn}${asn <= 0xffff ? "L" : ""}:${buf.readUInt16BE(off + 6)}`;
    }
    default:
      return `raw:${buf.toString("hex", off, off + 8)}`;
  }
}

function uint(text: string, max: number): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= max ? n : undefined;
}

/** Writes the distinguisher text at `off`; throws a plain Error naming the text when it is malformed. */
export function writeDistinguisher(text: string, out: Buffer, off: number): void {
  const bad = (): Error => new Error(`not a peer distinguisher: "${text}"`);
  if (text.startsWith("raw:")) {
    const hex = text.slice(4);
    if (!/^[0-9a-fA-F]{16}$/.test(hex)) throw bad();
    out.write(hex, off, "hex");
    return;
  }
  const colon = text.lastIndexOf(":");
  if (colon < 0) throw bad();
  const admin = text.slice(0, colon);
  const numberText = text.slice(colon + 1);
  if (admin.includes(".")) {
    const ip = parseIp(admin);
    const n = uint(numberText, 0xffff);
    if (!ip || ip.length !== 4 || n === undefined) throw bad();
    out.writeUInt16BE(1, off);
    ip.copy(out, off + 2);
    out.writeUInt16BE(n, off + 6);
    return;
  }
  const long = admin.endsWith("L");
  const asn = uint(long ? admin.slice(0, -1) : admin, 0xffffffff);
  if (asn === undefined) throw bad();
  if (!long && asn <= 0xffff) {
    const n = uint(numberText, 0xffffffff);
    if (n === undefined) throw bad();
    out.writeUInt16BE(0, off);
    out.writeUInt16BE(asn, off + 2);
    out.writeUInt32BE(n, off + 4);
    return;
  }
  const n = uint(numberText, 0xffff);
  if (n === undefined) throw bad();
  out.writeUInt16BE(2, off);
  out.writeUInt32BE(asn, off + 2);
  out.writeUInt16BE(n, off + 6);
}
