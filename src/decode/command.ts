/** `routewatch decode FILE [--format json|text] [--summary] [--bmp-port N]`. */
import { LineWriter } from "../core/line-writer.js";
import { InputError, openInput } from "../input/open.js";
import { readItems } from "../input/read-items.js";
import { Decoder, type DecodeFormat, type DecodeSummary, type Report } from "./decoder.js";

export interface DecodeCommandOptions {
  format: DecodeFormat;
  summary: boolean;
  bmpPorts: number[];
  /** TCP ports carrying BGP in captures (default 179). */
  bgpPorts?: number[];
}

/**
 * Decodes one file to `out`; returns the counts. Throws InputError when the file cannot be read
 * or is of no known format.
 */
export async function decodeFile(
  path: string,
  opts: DecodeCommandOptions,
  out: LineWriter,
  report: Report,
): Promise<DecodeSummary> {
  const input = await openInput(path);
  const decoder = new Decoder(opts.summary ? undefined : out, opts.format, report);
  try {
    await readItems(
      input,
      { bmpPorts: opts.bmpPorts, ...(opts.bgpPorts ? { bgpPorts: opts.bgpPorts } : {}) },
      (item) => decoder.item(item),
    );
  } catch (e) {
    // A decompressor failing half way, or a read error: what was decoded so far stands.
    if (e instanceof InputError) throw e;
    if (e instanceof Error && !(e instanceof TypeError) && !(e instanceof RangeError)) {
      report("error", `${path}: reading stopped: ${e.message}`);
      decoder.summary.errors++;
    } else throw e;
  } finally {
    input.close();
  }
  if (opts.summary) {
    const s = decoder.summary;
    out.line(
      JSON.stringify({
        messages: s.messages,
        updates: s.updates,
        announced: s.announced,
        withdrawn: s.withdrawn,
        errors: s.errors,
        rib_entries: s.rib_entries,
        state_changes: s.state_changes,
        warnings: s.warnings,
      }),
    );
  }
  out.flush();
  return decoder.summary;
}
