/**
 * `routewatch decode`: every BGP and BMP message of a capture or dump, as JSON lines, as text lines
 * (one per route), or only counted (`--summary`, the benchmark path: full decode, no output).
 */
import {
  decodeMessage,
  MESSAGE_NAMES,
  routeAttributes,
  UpdateMessage,
  type BgpMessage,
} from "../../codec/bgp/index.js";
import { BmpSessionTracker, decodeBmp, MESSAGE_TYPES, type BmpMessage } from "../../codec/bmp/index.js";
import { BgpError, CodecError } from "../../codec/errors.js";
import { prefixToString } from "../../codec/ip.js";
import type { LineWriter } from "../core/line-writer.js";
import { formatTimestamp } from "../core/time.js";
import type { BgpItem, BmpItem, InputItem, RibItem } from "../input/items.js";
import {
  writeAttributesJson,
  bgpMessageJson,
  errorJson,
  writeUpdateFields,
  type JsonObject,
} from "./bgp-json.js";
import { bmpMessageJson, peerHeaderJson } from "./bmp-json.js";
import { messageLine, routeTail } from "./text.js";

export type DecodeFormat = "json" | "text";

export interface DecodeSummary {
  messages: number;
  updates: number;
  announced: number;
  withdrawn: number;
  errors: number;
  rib_entries: number;
  state_changes: number;
  warnings: number;
}

/** A problem worth telling the operator about (printed on stderr by the CLI). */
export type Report = (level: "warning" | "error", message: string) => void;

const BMP_TYPE_NAMES = Object.fromEntries(Object.entries(MESSAGE_TYPES).map(([name, n]) => [n, name]));

function bmpViewName(m: BmpMessage): string {
  if (!("peer" in m)) return "";
  const p = m.peer;
  if (p.peerType === 3) return "loc-rib";
  return p.adjRibOut ? (p.postPolicy ? "out-post" : "out-pre") : p.postPolicy ? "post" : "pre";
}

export class Decoder {
  readonly summary: DecodeSummary = {
    messages: 0,
    updates: 0,
    announced: 0,
    withdrawn: 0,
    errors: 0,
    rib_entries: 0,
    state_changes: 0,
    warnings: 0,
  };
  private readonly bmp = new BmpSessionTracker();

  constructor(
    /** Undefined for `--summary`: count only. */
    private readonly out: LineWriter | undefined,
    private readonly format: DecodeFormat,
    private readonly report: Report,
  ) {}

  item(item: InputItem): void {
    switch (item.kind) {
      case "bgp":
        return this.bgpItem(item);
      case "bmp":
        return this.bmpItem(item);
      case "rib":
        return this.ribItem(item);
      case "state":
        this.summary.state_changes++;
        if (!this.out) return;
        if (this.format === "json") {
          this.out.line(
            JSON.stringify({
              ts: formatTimestamp(item.tsMicros),
              transport: "bgp",
              src: item.peer,
              dst: item.local,
              type: "STATE",
              peer_as: item.peerAs,
              local_as: item.localAs,
              old_state: item.oldState,
              new_state: item.newState,
            }),
          );
        } else {
          this.out.line(
            `${formatTimestamp(item.tsMicros)}|BGP|STATE|${item.peer}|${item.peerAs}|${item.oldState}|${item.newState}`,
          );
        }
        return;
      case "closed":
        return; // a decode shows messages; the end of a connection is not one
      case "problem":
        if (item.warning) this.summary.warnings++;
        else this.summary.errors++;
        this.report(item.warning ? "warning" : "error", item.message);
        return;
    }
  }

  private fail(e: unknown, where: string): void {
    if (!(e instanceof CodecError)) throw e;
    this.summary.errors++;
    this.report("error", `${where}: ${e.message}`);
  }

  /**
   * Counts an UPDATE's prefixes and checks its attributes (reporting what is malformed, with the
   * RFC 7606 action); returns it for output. `where` names the message for the report.
   */
  private countUpdate(u: UpdateMessage, where: () => string): UpdateMessage {
    this.summary.updates++;
    this.summary.announced += u.announcedCount();
    this.summary.withdrawn += u.withdrawnCount();
    // Output modes decode the attributes anyway; counting only needs the RFC 7606 checks.
    const { errors } = this.out ? u.attributes() : u.check();
    if (errors.length) {
      this.summary.errors += errors.length;
      for (const e of errors)
        this.report("error", `${where()}: ${e.message} (UPDATE error ${e.code}/${e.subcode}, ${e.action})`);
    }
    return u;
  }

  /** "2026-11-25T14:35:43.196090Z frame 55 BGP message from 127.0.1.1" */
  private static where(transport: string, item: BgpItem | BmpItem): string {
    const frame = item.frame !== undefined ? ` frame ${item.frame}` : "";
    return `${formatTimestamp(item.tsMicros)}${frame} ${transport} message from ${item.src || "?"}`;
  }

  private bgpItem(item: BgpItem): void {
    this.summary.messages++;
    let msg: BgpMessage;
    try {
      msg = decodeMessage(item.bytes, item.offset, item.options);
      if (msg instanceof UpdateMessage) this.countUpdate(msg, () => Decoder.where("BGP", item));
    } catch (e) {
      const ts = formatTimestamp(item.tsMicros);
      this.fail(e, Decoder.where("BGP", item));
      if (this.out && this.format === "json")
        this.out.line(JSON.stringify(this.errorLine(ts, "bgp", item, e)));
      return;
    }
    if (!this.out) return;
    if (this.format === "json") {
      const w = this.out;
      w.ascii('{"ts":"').timestamp(item.tsMicros).ascii('","transport":"bgp","src":"').ascii(item.src);
      w.ascii('","dst":"').ascii(item.dst).char(34);
      if (item.frame !== undefined) w.ascii(`,"frame":`).int(item.frame);
      if (item.srcAs !== undefined) w.ascii(`,"src_as":`).int(item.srcAs);
      if (item.dstAs !== undefined) w.ascii(`,"dst_as":`).int(item.dstAs);
      w.char(44);
      if (msg instanceof UpdateMessage) {
        writeUpdateFields(w, msg);
        w.char(125);
      } else w.text(JSON.stringify(bgpMessageJson(msg)).slice(1));
      w.newline();
      return;
    }
    const head = `${formatTimestamp(item.tsMicros)}|BGP`;
    if (msg instanceof UpdateMessage) this.updateLines(head, item.src, item.srcAs, msg, "");
    else this.out.line(messageLine(`${head}|${item.src}|${item.dst}`, msg));
  }

  private errorLine(ts: string, transport: string, item: BgpItem | BmpItem, e: unknown): JsonObject {
    const type =
      transport === "bgp"
        ? (MESSAGE_NAMES[item.bytes[(item as BgpItem).offset + 18] ?? 0] ?? "UNKNOWN")
        : (BMP_TYPE_NAMES[item.bytes[5] ?? 255] ?? "UNKNOWN");
    const error: JsonObject =
      e instanceof BgpError
        ? errorJson(e)
        : { kind: (e as CodecError).kind, message: (e as CodecError).message };
    const line: JsonObject = { ts, transport, src: item.src, dst: item.dst, type, error };
    if (item.frame !== undefined) line.frame = item.frame;
    return line;
  }

  /** Text lines of an UPDATE: one per withdrawn and announced prefix. */
  private updateLines(
    head: string,
    peer: string,
    peerAs: number | undefined,
    u: UpdateMessage,
    tail: string,
  ): void {
    const out = this.out!;
    const as = peerAs ?? "";
    u.forEachWithdrawn((afi, buf, off, bits) =>
      out.line(`${head}|W|${peer}|${as}|${prefixToString(afi, buf, off, bits)}${tail}`),
    );
    if (u.announcedCount() === 0) return;
    const bodyCount = u.bodyNlriCount();
    const decoded = u.attributes();
    const attrs = routeAttributes(decoded.attributes, u.options);
    const lead = `${head}|${decoded.action === "treat-as-withdraw" ? "W!" : "A"}|${peer}|${as}|`;
    const bodyTail = `|${routeTail(attrs, false)}${tail}`;
    const mpTail = `|${routeTail(attrs, true)}${tail}`;
    let i = 0;
    u.forEachAnnounced((afi, buf, off, bits) => {
      out.line(lead + prefixToString(afi, buf, off, bits) + (i++ < bodyCount ? bodyTail : mpTail));
    });
  }

  private bmpItem(item: BmpItem): void {
    this.summary.messages++;
    const ts = formatTimestamp(item.tsMicros);
    let msg: BmpMessage;
    let update: UpdateMessage | undefined;
    try {
      msg = decodeBmp(item.bytes, 0);
      this.bmp.observe(item.src, msg);
      if (msg.type === "ROUTE-MONITORING") {
        const options = this.bmp.optionsFor(item.src, msg.peer);
        const inner = decodeMessage(msg.bgp, 0, options);
        if (inner instanceof UpdateMessage)
          update = this.countUpdate(
            inner,
            () =>
              `${Decoder.where("BMP", item)} (peer ${msg.type === "ROUTE-MONITORING" ? msg.peer.address : "?"})`,
          );
        else
          throw new CodecError(
            "bmp.route-monitoring",
            `ROUTE-MONITORING carries a ${inner.type}, not an UPDATE`,
            0,
          );
      }
    } catch (e) {
      this.fail(e, Decoder.where("BMP", item));
      if (this.out && this.format === "json")
        this.out.line(JSON.stringify(this.errorLine(ts, "bmp", item, e)));
      return;
    }
    if (msg.type === "TERMINATION") this.bmp.routerGone(item.src);
    if (!this.out) return;
    if (this.format === "json") {
      const w = this.out;
      w.ascii(`{"ts":"${ts}","transport":"bmp","src":"${item.src}","dst":"${item.dst}"`);
      if (item.frame !== undefined) w.ascii(`,"frame":`).int(item.frame);
      if (update && msg.type === "ROUTE-MONITORING") {
        w.ascii(`,"peer":${JSON.stringify(peerHeaderJson(msg.peer))},`);
        writeUpdateFields(w, update, msg.type);
        w.char(125);
      } else w.char(44).text(JSON.stringify(bmpMessageJson(msg)).slice(1));
      w.newline();
      return;
    }
    if (update && msg.type === "ROUTE-MONITORING") {
      this.updateLines(
        `${ts}|BMP`,
        msg.peer.address,
        msg.peer.asn,
        update,
        `|${item.src}|${bmpViewName(msg)}`,
      );
    } else {
      const peer = "peer" in msg ? `|${msg.peer.address}|${msg.peer.asn}` : "";
      this.out.line(`${ts}|BMP|${msg.type}|${item.src}${peer}`);
    }
  }

  private ribItem(item: RibItem): void {
    this.summary.rib_entries++;
    this.summary.announced++;
    let decoded;
    try {
      decoded = item.attributes();
    } catch (e) {
      this.fail(e, `RIB entry ${item.prefix} of ${item.peer}`);
      return;
    }
    this.summary.errors += decoded.errors.length;
    if (!this.out) return;
    const attrs = routeAttributes(decoded.attributes, item.options);
    const ts = formatTimestamp(item.tsMicros);
    if (this.format === "json") {
      const w = this.out;
      w.ascii(`{"ts":"${ts}","transport":"mrt","src":"${item.peer}","dst":null,"type":"RIB","src_as":`).int(
        item.peerAs,
      );
      w.ascii(`,"originated":"`)
        .timestamp(item.originatedMicros)
        .ascii(`","announced":["${item.prefix}"],"withdrawn":[]`);
      if (item.pathId !== undefined) w.ascii(`,"announced_path_ids":[`).int(item.pathId).char(93);
      w.ascii(`,"attributes":`);
      writeAttributesJson(w, attrs);
      if (decoded.errors.length) w.text(`,"errors":${JSON.stringify(decoded.errors.map(errorJson))}`);
      w.char(125).newline();
    } else {
      this.out.line(
        `${ts}|RIB|B|${item.peer}|${item.peerAs}|${item.prefix}|${routeTail(attrs, item.afi === 2)}`,
      );
    }
  }
}
