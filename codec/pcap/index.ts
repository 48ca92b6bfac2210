/** pcap/pcapng captures to the BGP and BMP messages carried on their TCP connections. */
export * from "./events.js";
export { decodeCapture } from "./capture.js";
export { readRecords, type PacketRecord, type TruncatedFile, type FileRecord } from "./records.js";
export { microsConverter } from "./pcapng-file.js";
export { locateIp, type IpLocation } from "./link.js";
export { parseTcpPacket, type TcpSegment, type ParsedPacket } from "./packet.js";
export { TcpDirection, type DirectionSink, type BufferBudget } from "./reassembly.js";
export { MessageSplitter, type SplitterSink } from "./splitter.js";
