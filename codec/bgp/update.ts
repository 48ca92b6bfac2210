/**
 * UPDATE (RFC 4271 4.3, RFC 4760, RFC 7911). Decoding is lazy: the constructor only checks that the
 * three length fields are consistent; prefixes are walked in place on demand and attributes are
 * decoded (once) only when asked for, so a consumer that counts or keys prefixes pays for nothing else.
 */
import { BgpError, strongerAction } from "../errors.js";
import { AFI_IPV4, prefixToString } from "../ip.js";
import {
  ATTR_AS_PATH,
  ATTR_MP_REACH_NLRI,
  ATTR_NAMES,
  ATTR_MP_UNREACH_NLRI,
  ATTR_NEXT_HOP,
  ATTR_ORIGIN,
  ERR_UPDATE,
  FLAG_EXTENDED_LENGTH,
  SAFI_MULTICAST,
  SAFI_UNICAST,
} from "./constants.js";
import {
  decodeAttributes,
  encodeAttributes,
  scanAttributes,
  type AttributesCheck,
  type AttributesDecodeResult,
  type PathAttribute,
} from "./attributes.js";
import { nlriSize, readNlri, walkNlri, writeNlri, type NlriEntry, type PrefixVisitor } from "./nlri.js";
import { hasAddPath, type BgpDecodeOptions } from "./options.js";
import type { Family } from "./open.js";

/** Where an MP attribute's NLRI lies in the buffer (IP families only; other families stay raw). */
interface MpField {
  afi: number;
  safi: number;
  start: number;
  end: number;
}

const REQUIRED_WITH_IPV4_NLRI = (1 << ATTR_ORIGIN) | (1 << ATTR_AS_PATH) | (1 << ATTR_NEXT_HOP);
const REQUIRED_WITH_MP_NLRI = (1 << ATTR_ORIGIN) | (1 << ATTR_AS_PATH);

function isIpFamily(afi: number, safi: number): boolean {
  return (afi === 1 || afi === 2) && (safi === SAFI_UNICAST || safi === SAFI_MULTICAST);
}

function malformed(message: string, off: number): BgpError {
  return new BgpError("bgp.update.lengths", message, off, ERR_UPDATE, 1, "session-reset");
}

export class UpdateMessage {
  readonly type = "UPDATE" as const;
  readonly withdrawnStart: number;
  readonly withdrawnEnd: number;
  readonly attrsStart: number;
  readonly attrsEnd: number;
  readonly nlriStart: number;
  readonly nlriEnd: number;
  private mpScanned = false;
  private mpReach: MpField | undefined;
  private mpUnreach: MpField | undefined;
  private mpReachFamily: Family | undefined;
  private mpUnreachFamily: Family | undefined;
  private decoded: AttributesDecodeResult | undefined;
  private checked: AttributesCheck | undefined;

  /** `buf[start, end)` is the UPDATE body, after the 19-byte header. */
  constructor(
    readonly buf: Buffer,
    start: number,
    end: number,
    readonly options: BgpDecodeOptions,
  ) {
    if (end - start < 4) throw malformed(`UPDATE body of ${end - start} bytes, expected at least 4`, start);
    const withdrawnLen = (buf[start]! << 8) | buf[start + 1]!;
    this.withdrawnStart = start + 2;
    this.withdrawnEnd = this.withdrawnStart + withdrawnLen;
    // RFC 7606 4: lengths that do not add up make the message unparseable: session reset.
    if (this.withdrawnEnd + 2 > end)
      throw malformed(`withdrawn routes length ${withdrawnLen} overruns the UPDATE`, start);
    const attrsLen = (buf[this.withdrawnEnd]! << 8) | buf[this.withdrawnEnd + 1]!;
    this.attrsStart = this.withdrawnEnd + 2;
    this.attrsEnd = this.attrsStart + attrsLen;
    if (this.attrsEnd > end)
      throw malformed(`total path attribute length ${attrsLen} overruns the UPDATE`, this.withdrawnEnd);
    this.nlriStart = this.attrsEnd;
    this.nlriEnd = end;
  }

  /** Finds MP_REACH_NLRI / MP_UNREACH_NLRI by walking attribute headers only. */
  private scanMp(): void {
    if (this.mpScanned) return;
    this.mpScanned = true;
    const buf = this.buf;
    let off = this.attrsStart;
    const end = this.attrsEnd;
    while (off + 3 <= end) {
      const flags = buf[off]!;
      const headerLen = flags & FLAG_EXTENDED_LENGTH ? 4 : 3;
      if (off + headerLen > end) return;
      const code = buf[off + 1]!;
      const len = headerLen === 4 ? (buf[off + 2]! << 8) | buf[off + 3]! : buf[off + 2]!;
      const v = off + headerLen;
      if (v + len > end) return; // reported by attributes()
      if (code === ATTR_MP_REACH_NLRI && this.mpReachFamily === undefined && len >= 5) {
        const afi = (buf[v]! << 8) | buf[v + 1]!;
        const safi = buf[v + 2]!;
        this.mpReachFamily = { afi, safi };
        const nlriStart = v + 5 + buf[v + 3]!;
        if (isIpFamily(afi, safi) && nlriStart <= v + len)
          this.mpReach = { afi, safi, start: nlriStart, end: v + len };
      } else if (code === ATTR_MP_UNREACH_NLRI && this.mpUnreachFamily === undefined && len >= 3) {
        const afi = (buf[v]! << 8) | buf[v + 1]!;
        const safi = buf[v + 2]!;
        this.mpUnreachFamily = { afi, safi };
        if (isIpFamily(afi, safi)) this.mpUnreach = { afi, safi, start: v + 3, end: v + len };
      }
      off = v + len;
    }
  }

  private walkMp(field: MpField | undefined, visit?: PrefixVisitor): number {
    if (!field) return 0;
    try {
      return walkNlri(
        this.buf,
        field.start,
        field.end,
        field.afi,
        hasAddPath(this.options, field.afi, field.safi),
        visit,
      );
    } catch (e) {
      if (e instanceof BgpError) {
        throw new BgpError(
          e.kind,
          `MP NLRI: ${e.message}`,
          e.offset,
          ERR_UPDATE,
          9,
          "afi-safi-disable",
          e.data,
        );
      }
      throw e;
    }
  }

  private bodyAddPathCached: boolean | undefined;

  private bodyAddPath(): boolean {
    return (this.bodyAddPathCached ??= hasAddPath(this.options, AFI_IPV4, SAFI_UNICAST));
  }

  /** Visits every announced prefix: the IPv4 NLRI field, then MP_REACH_NLRI. */
  forEachAnnounced(visit: PrefixVisitor): number {
    this.scanMp();
    return (
      walkNlri(this.buf, this.nlriStart, this.nlriEnd, AFI_IPV4, this.bodyAddPath(), visit) +
      this.walkMp(this.mpReach, visit)
    );
  }

  /** Visits every withdrawn prefix: the Withdrawn Routes field, then MP_UNREACH_NLRI. */
  forEachWithdrawn(visit: PrefixVisitor): number {
    this.scanMp();
    return (
      walkNlri(this.buf, this.withdrawnStart, this.withdrawnEnd, AFI_IPV4, this.bodyAddPath(), visit) +
      this.walkMp(this.mpUnreach, visit)
    );
  }

  announcedCount(): number {
    this.scanMp();
    return (
      walkNlri(this.buf, this.nlriStart, this.nlriEnd, AFI_IPV4, this.bodyAddPath()) +
      this.walkMp(this.mpReach)
    );
  }

  withdrawnCount(): number {
    this.scanMp();
    return (
      walkNlri(this.buf, this.withdrawnStart, this.withdrawnEnd, AFI_IPV4, this.bodyAddPath()) +
      this.walkMp(this.mpUnreach)
    );
  }

  /** Number of prefixes in the IPv4 NLRI field (not MP_REACH's). */
  bodyNlriCount(): number {
    return walkNlri(this.buf, this.nlriStart, this.nlriEnd, AFI_IPV4, this.bodyAddPath());
  }

  /** IPv4 NLRI field entries (the body's, not MP_REACH's). */
  nlri(): NlriEntry[] {
    return readNlri(this.buf, this.nlriStart, this.nlriEnd, AFI_IPV4, this.bodyAddPath());
  }

  /** Withdrawn Routes field entries (the body's, not MP_UNREACH's). */
  withdrawnRoutes(): NlriEntry[] {
    return readNlri(this.buf, this.withdrawnStart, this.withdrawnEnd, AFI_IPV4, this.bodyAddPath());
  }

  /** All announced prefixes as text, IPv4 NLRI first, then MP_REACH_NLRI. */
  announced(): NlriEntry[] {
    this.scanMp();
    const f = this.mpReach;
    const mp = f ? this.mpEntries(f) : [];
    return mp.length ? [...this.nlri(), ...mp] : this.nlri();
  }

  /** All withdrawn prefixes as text, Withdrawn Routes first, then MP_UNREACH_NLRI. */
  withdrawn(): NlriEntry[] {
    this.scanMp();
    const f = this.mpUnreach;
    const mp = f ? this.mpEntries(f) : [];
    return mp.length ? [...this.withdrawnRoutes(), ...mp] : this.withdrawnRoutes();
  }

  private mpEntries(f: MpField): NlriEntry[] {
    const out: NlriEntry[] = [];
    this.walkMp(f, (afi, buf, off, bits, pathId) => {
      const prefix = prefixToString(afi, buf, off, bits);
      out.push(pathId === undefined ? { prefix } : { prefix, pathId });
    });
    return out;
  }

  /** The family of MP_REACH_NLRI / MP_UNREACH_NLRI, when present (any family, IP or not). */
  mpFamilies(): { reach?: Family; unreach?: Family } {
    this.scanMp();
    return { reach: this.mpReachFamily, unreach: this.mpUnreachFamily };
  }

  /**
   * RFC 7606 checks of the attributes without decoding them (the fast path for consumers that only
   * need to know whether the UPDATE is usable), including a missing well-known mandatory attribute.
   * Session-reset malformations are thrown.
   */
  check(): AttributesCheck {
    if (this.checked) return this.checked;
    const result = scanAttributes(this.buf, this.attrsStart, this.attrsEnd, this.options);
    this.checked = this.withMandatoryCheck(result);
    return this.checked;
  }

  /** Decoded path attributes, with the same checks as check(). */
  attributes(): AttributesDecodeResult {
    if (this.decoded) return this.decoded;
    this.decoded = this.withMandatoryCheck(
      decodeAttributes(this.buf, this.attrsStart, this.attrsEnd, this.options),
    );
    return this.decoded;
  }

  /** RFC 7606 3.d: an UPDATE that announces routes must carry ORIGIN, AS_PATH (and NEXT_HOP for IPv4 NLRI). */
  private withMandatoryCheck<T extends AttributesCheck>(result: T): T {
    this.scanMp();
    const announcesIpv4 = this.nlriEnd > this.nlriStart;
    const reach = this.mpReach;
    const announcesMp = reach !== undefined && reach.end > reach.start;
    if (!announcesIpv4 && !announcesMp) return result;
    const required = announcesIpv4 ? REQUIRED_WITH_IPV4_NLRI : REQUIRED_WITH_MP_NLRI;
    if ((result.present & required) === required) return result;
    let errors = result.errors;
    let action = result.action;
    for (const code of [ATTR_ORIGIN, ATTR_AS_PATH, ATTR_NEXT_HOP]) {
      if ((required & (1 << code)) === 0 || result.present & (1 << code)) continue;
      // A malformed-but-present attribute was already reported; only a truly absent one is "missing".
      if (errors.some((e) => e.data.length > 1 && e.data[1] === code)) continue;
      const missing = new BgpError(
        "bgp.attr.missing-well-known",
        `missing well-known attribute ${ATTR_NAMES[code]}`,
        this.attrsStart,
        ERR_UPDATE,
        3,
        "treat-as-withdraw",
        Buffer.from([code]),
      );
      errors = [...errors, missing];
      action = strongerAction(action, "treat-as-withdraw");
    }
    return errors === result.errors ? result : { ...result, errors, action };
  }

  /**
   * The family this UPDATE marks End-of-RIB for (RFC 4724 2): an empty UPDATE for IPv4 unicast,
   * or one holding only an empty MP_UNREACH_NLRI for any other family.
   */
  endOfRib(): Family | undefined {
    if (
      this.withdrawnEnd === this.withdrawnStart &&
      this.attrsEnd === this.attrsStart &&
      this.nlriEnd === this.nlriStart
    ) {
      return { afi: AFI_IPV4, safi: SAFI_UNICAST };
    }
    if (this.withdrawnEnd !== this.withdrawnStart || this.nlriEnd !== this.nlriStart) return undefined;
    const b = this.buf;
    const s = this.attrsStart;
    // Exactly one MP_UNREACH_NLRI with a 3-byte value (AFI + SAFI, no NLRI).
    const ext = (b[s]! & FLAG_EXTENDED_LENGTH) !== 0;
    const headerLen = ext ? 4 : 3;
    const len = this.attrsEnd - s;
    if (len !== headerLen + 3 || b[s + 1] !== ATTR_MP_UNREACH_NLRI) return undefined;
    const valueLen = ext ? b.readUInt16BE(s + 2) : b[s + 2]!;
    if (valueLen !== 3) return undefined;
    return { afi: b.readUInt16BE(s + headerLen), safi: b[s + headerLen + 2]! };
  }
}

export interface UpdateFields {
  /** IPv4 unicast withdrawals in the Withdrawn Routes field. */
  withdrawn?: NlriEntry[];
  attributes?: PathAttribute[];
  /** IPv4 unicast announcements in the NLRI field. */
  nlri?: NlriEntry[];
}

/** The UPDATE body (without the BGP header). */
export function encodeUpdateBody(f: UpdateFields, opts: BgpDecodeOptions): Buffer {
  const addPath = hasAddPath(opts, AFI_IPV4, SAFI_UNICAST);
  const withdrawn = f.withdrawn ?? [];
  const nlri = f.nlri ?? [];
  const attrs = encodeAttributes(f.attributes ?? [], opts);
  const wLen = nlriSize(withdrawn, addPath);
  const nLen = nlriSize(nlri, addPath);
  const out = Buffer.alloc(4 + wLen + attrs.length + nLen);
  let off = out.writeUInt16BE(wLen, 0);
  off = writeNlri(out, off, withdrawn, AFI_IPV4, addPath);
  off = out.writeUInt16BE(attrs.length, off);
  off += attrs.copy(out, off);
  writeNlri(out, off, nlri, AFI_IPV4, addPath);
  return out;
}

/** End-of-RIB marker body for a family (RFC 4724 2). */
export function encodeEndOfRibBody(afi: number, safi: number): Buffer {
  if (afi === AFI_IPV4 && safi === SAFI_UNICAST) return Buffer.alloc(4);
  return Buffer.from([0, 0, 0, 6, 0x80, ATTR_MP_UNREACH_NLRI, 3, afi >> 8, afi & 0xff, safi]);
}
