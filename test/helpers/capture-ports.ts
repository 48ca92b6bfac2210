/**
 * Rewrites TCP port numbers in a pcap or pcapng capture of Ethernet frames (what fixtures/captures
 * holds), so a test can move a session to another port: BGP payloads stay byte for byte the same.
 * The TCP checksum is patched incrementally (RFC 1624 3) so the result is still a valid capture.
 */

const ETHERNET = 1;

/** Changes every TCP source or destination port found in `ports` to its mapped value; returns a copy. */
export function rewriteTcpPorts(capture: Buffer, ports: ReadonlyMap<number, number>): Buffer {
  const out = Buffer.from(capture);
  let rewritten = 0;
  const visit = (frame: Buffer, linkType: number): void => {
    if (linkType !== ETHERNET) throw new Error(`rewriteTcpPorts: link type ${linkType} is not Ethernet`);
    rewritten += rewriteFrame(frame, ports);
  };
  const magic = out.readUInt32BE(0);
  if (magic === 0x0a0d0d0a) forEachPcapngFrame(out, visit);
  else forEachPcapFrame(out, visit);
  if (rewritten === 0) throw new Error("rewriteTcpPorts: no TCP segment used those ports");
  return out;
}

/** Classic pcap: a 24-byte file header, then 16-byte record headers each followed by a frame. */
function forEachPcapFrame(buf: Buffer, visit: (frame: Buffer, linkType: number) => void): void {
  const magic = buf.readUInt32BE(0);
  const le = magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1;
  if (!le && magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error("not a pcap or pcapng file");
  const u32 = (off: number): number => (le ? buf.readUInt32LE(off) : buf.readUInt32BE(off));
  const linkType = u32(20) & 0xffff;
  for (let off = 24; off + 16 <= buf.length;) {
    const capLen = u32(off + 8);
    visit(buf.subarray(off + 16, off + 16 + capLen), linkType);
    off += 16 + capLen;
  }
}

/** pcapng: blocks of type, total length, body, total length; frames are in Enhanced Packet Blocks. */
function forEachPcapngFrame(buf: Buffer, visit: (frame: Buffer, linkType: number) => void): void {
  let le = true;
  let linkTypes: number[] = [];
  for (let off = 0; off + 12 <= buf.length;) {
    if (buf.readUInt32BE(off) === 0x0a0d0d0a) {
      // Section Header Block: its byte-order magic says how the section's numbers are written.
      le = buf.readUInt32LE(off + 8) === 0x1a2b3c4d;
      linkTypes = [];
    }
    const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
    const type = u32(off);
    const len = u32(off + 4);
    if (type === 1) linkTypes.push(le ? buf.readUInt16LE(off + 8) : buf.readUInt16BE(off + 8));
    if (type === 6) {
      const capLen = u32(off + 20);
      visit(buf.subarray(off + 28, off + 28 + capLen), linkTypes[u32(off + 8)]!);
    }
    if (type === 3) throw new Error("rewriteTcpPorts: Simple Packet Blocks are not supported");
    off += len;
  }
}

/** Rewrites one Ethernet frame in place; returns 1 when it was a TCP segment on a mapped port. */
function rewriteFrame(f: Buffer, ports: ReadonlyMap<number, number>): number {
  const etherType = f.readUInt16BE(12);
  let tcp: number;
  if (etherType === 0x0800) {
    if (f[14 + 9] !== 6) return 0;
    tcp = 14 + (f[14]! & 0x0f) * 4;
  } else if (etherType === 0x86dd) {
    if (f[14 + 6] !== 6) return 0; // next header TCP, no extension headers (none in the fixtures)
    tcp = 14 + 40;
  } else return 0;
  let changed = 0;
  for (const at of [tcp, tcp + 2]) {
    const to = ports.get(f.readUInt16BE(at));
    if (to === undefined) continue;
    patchChecksum(f, tcp + 16, f.readUInt16BE(at), to);
    f.writeUInt16BE(to, at);
    changed = 1;
  }
  return changed;
}

/** RFC 1624 eq. 3: HC' = ~(~HC + ~m + m'), in one's complement arithmetic. */
function patchChecksum(f: Buffer, at: number, from: number, to: number): void {
  let sum = (~f.readUInt16BE(at) & 0xffff) + (~from & 0xffff) + to;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  f.writeUInt16BE(~sum & 0xffff, at);
}
