/** One entry point for every record kind this codec reads; undefined means "skipped, not an error". */
import { decodeBgp4mp, type Bgp4mpRecord } from "./bgp4mp.js";
import { MRT_BGP4MP, MRT_BGP4MP_ET, MRT_TABLE_DUMP, MRT_TABLE_DUMP_V2 } from "./constants.js";
import type { MrtRecord } from "./reader.js";
import { decodeTableDump, type TableDumpEntry } from "./table-dump.js";
import { decodeTableDumpV2, type TableDumpV2Record } from "./table-dump-v2.js";

export type DecodedMrtRecord = Bgp4mpRecord | TableDumpV2Record | TableDumpEntry;

/** Decodes a BGP4MP(_ET), TABLE_DUMP_V2 or TABLE_DUMP record; undefined for any other type or subtype. */
export function decodeMrtRecord(record: MrtRecord): DecodedMrtRecord | undefined {
  switch (record.type) {
    case MRT_BGP4MP:
    case MRT_BGP4MP_ET:
      return decodeBgp4mp(record);
    case MRT_TABLE_DUMP_V2:
      return decodeTableDumpV2(record);
    case MRT_TABLE_DUMP:
      return decodeTableDump(record);
    default:
      return undefined;
  }
}
