/**
 * `--inventory FILE`: the cluster from a file instead of the API. Two forms, told apart by content:
 *
 * - a snapshot: a kubectl-style List (`kubectl get svc,endpointslices,nodes,ipaddresspools,
 *   bgpconfigurations -A -o json`, or YAML), a single object, or a YAML multi-document stream. Every
 *   object is ADDED at one time (`atMicros`, default 0) and the view is synced right after.
 * - a timeline: JSON Lines of watch events `{"ts": RFC 3339, "type": "ADDED"|"MODIFIED"|"DELETED",
 *   "object": {...}}`, sorted by ts. The view counts as synced once the lines at the first timestamp
 *   are applied (they are the initial listing, like an informer's first list), unless a line
 *   `{"ts": ..., "type": "SYNCED"}` says when (a recorder that stamps the initial objects with the
 *   times they arrived writes one).
 *
 * The file is only read here; the events are returned with their times and the caller (live run or
 * replay on a virtual clock, see file-replay.ts) decides when to apply them.
 */
import { readFileSync } from "node:fs";
import { LineCounter, parseAllDocuments } from "yaml";
import { z } from "zod";
import { formatTimestamp, parseTimestamp } from "../core/time.js";
import { kindOf } from "./kinds.js";
import { ObjectError, formatPath, readObject } from "./objects.js";
import type { InventoryEvent, KubeObject } from "./types.js";

export interface InventoryFile {
  /** The file name as given (used in messages). */
  path: string;
  format: "snapshot" | "timeline";
  /** In time order. */
  events: InventoryEvent[];
  /** The view is synced once the events at or before this time are applied. */
  syncedAtMicros: number;
}

export interface LoadOptions {
  /** Time stamped on a snapshot's events (a snapshot carries no time of its own). */
  atMicros?: number;
}

/** Input that is not an inventory: names the file, where (line, or path in the document) and what was expected. */
export class InventoryFileError extends Error {
  constructor(
    readonly file: string,
    /** "12", "12:5", or "items[3]" */
    readonly location: string | undefined,
    readonly detail: string,
  ) {
    super(`${file}${location ? `:${location}` : ""}: ${detail}`);
    this.name = "InventoryFileError";
  }
}

export function loadInventoryFile(path: string, options: LoadOptions = {}): InventoryFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new InventoryFileError(path, undefined, `cannot read the inventory: ${(e as Error).message}`);
  }
  return parseInventory(text, path, options);
}

/** Parses inventory text; `name` is used in messages. */
export function parseInventory(text: string, name: string, options: LoadOptions = {}): InventoryFile {
  if (text.trim() === "")
    throw new InventoryFileError(
      name,
      undefined,
      "empty file: expected a List, objects or a JSON Lines timeline",
    );
  return isTimeline(text) ? parseTimeline(text, name) : parseSnapshot(text, name, options.atMicros ?? 0);
}

/** A timeline's first line is a complete JSON object with a "ts" or an "object" field. */
function isTimeline(text: string): boolean {
  const first = text.split("\n").find((l) => l.trim() !== "")!;
  try {
    const v: unknown = JSON.parse(first);
    return v !== null && typeof v === "object" && !Array.isArray(v) && ("ts" in v || "object" in v);
  } catch {
    return false;
  }
}

// ---- timeline ----

const EVENT_TYPES = ["ADDED", "MODIFIED", "DELETED", "SYNCED"] as const;

const envelope = z.strictObject({
  ts: z.string(),
  type: z.enum(EVENT_TYPES),
  object: z.record(z.string(), z.unknown()).optional(),
});

function envelopeProblem(error: z.ZodError, value: unknown): string {
  const issue = error.issues[0]!;
  const path = formatPath(issue.path);
  const got = path && value && typeof value === "object" ? (value as Record<string, unknown>)[path] : value;
  switch (issue.code) {
    case "unrecognized_keys":
      return `unexpected field ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}: a line is {"ts", "type", "object"}`;
    case "invalid_value":
      return `${path}: expected one of ${EVENT_TYPES.join(", ")}, got ${JSON.stringify(got)}`;
    case "invalid_type":
      return `${path || "line"}: expected ${issue.expected === "object" || issue.expected === "record" ? "an object" : `a ${issue.expected}`}, got ${got === undefined ? "nothing" : JSON.stringify(got)}`;
    default:
      return `${path}: ${issue.message}`;
  }
}

function parseTimeline(text: string, name: string): InventoryFile {
  const events: InventoryEvent[] = [];
  let synced: { micros: number; line: number } | undefined;
  let previous: { micros: number; line: number } | undefined;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === "") continue;
    const line = i + 1;
    const fail = (detail: string): never => {
      throw new InventoryFileError(name, String(line), detail);
    };
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      fail(`invalid JSON (${(e as Error).message.split("\n")[0]}): each line must be one watch event object`);
    }
    const r = envelope.safeParse(value);
    if (!r.success) fail(envelopeProblem(r.error, value));
    const { ts, type, object } = r.data!;
    const micros = parseTimestamp(ts);
    if (Number.isNaN(micros))
      fail(`ts: expected an RFC 3339 timestamp like 2026-11-25T14:01:37.123456Z, got ${JSON.stringify(ts)}`);
    if (previous && micros < previous.micros) {
      fail(
        `ts ${ts} is earlier than line ${previous.line}'s ${formatTimestamp(previous.micros)}: lines must be sorted by ts`,
      );
    }
    previous = { micros, line };
    if (type === "SYNCED") {
      if (synced) fail(`a second SYNCED line (the first is line ${synced.line})`);
      if (object) fail(`a SYNCED line has no object`);
      synced = { micros, line };
      continue;
    }
    if (!object) fail(`object: expected the Kubernetes object of this ${type} event`);
    const problem = checkObject(object as KubeObject, type === "DELETED");
    if (problem) fail(`object: ${problem}`);
    events.push({ tsMicros: micros, type, object: object as KubeObject });
  }
  if (events.length === 0) throw new InventoryFileError(name, undefined, "a timeline without events");
  return { path: name, format: "timeline", events, syncedAtMicros: synced?.micros ?? events[0]!.tsMicros };
}

/**
 * Checks an object's identity (kind, metadata.name) and, for kinds the view uses, the fields it
 * reads; a deleted object needs only its identity. Returns what is wrong, if anything.
 */
function checkObject(object: KubeObject, identityOnly: boolean): string | undefined {
  if (typeof object.kind !== "string") return "kind: expected a string (the object's kind, e.g. Service)";
  if (typeof object.metadata?.name !== "string") return `${object.kind}: metadata.name: expected a string`;
  const kind = kindOf(object);
  if (!kind || identityOnly) return undefined;
  try {
    readObject(kind, object);
    return undefined;
  } catch (e) {
    if (e instanceof ObjectError) return e.message;
    throw e;
  }
}

// ---- snapshot ----

interface Located {
  object: KubeObject;
  /** Document index and path inside it, for finding the line. */
  doc: number;
  path: (string | number)[];
}

const document = z.looseObject({
  kind: z.string(),
  apiVersion: z.string().optional(),
  items: z.array(z.unknown()).nullish(),
});

function parseSnapshot(text: string, name: string, atMicros: number): InventoryFile {
  const docs = parseDocuments(text, name);
  const fail = (doc: number, path: (string | number)[], detail: string): never => {
    const at = [docs.length > 1 ? `document ${doc + 1}` : "", formatPath(path)].filter((s) => s).join(" ");
    throw new InventoryFileError(name, locate(text, doc, path), at ? `${at}: ${detail}` : detail);
  };
  const objects: Located[] = [];
  docs.forEach((value, doc) => {
    if (value === null || value === undefined) return; // an empty document ("---" at the end)
    const r = document.safeParse(value);
    if (!r.success) {
      fail(
        doc,
        [],
        "expected a List (kind: List, items: [...]), a Kubernetes object (kind, metadata) or a JSON Lines timeline",
      );
    }
    const { kind, apiVersion, items } = r.data!;
    if (!kind.endsWith("List") || items === undefined) {
      objects.push({ object: value as KubeObject, doc, path: [] });
      return;
    }
    // The API's typed lists (ServiceList) leave kind and apiVersion out of their items.
    const itemKind = kind === "List" ? undefined : kind.slice(0, -"List".length);
    (items ?? []).forEach((item, i) => {
      if (item === null || typeof item !== "object" || Array.isArray(item))
        fail(doc, ["items", i], "expected an object");
      const object = item as KubeObject;
      const typed =
        itemKind && object.kind === undefined
          ? { ...object, kind: itemKind, ...(apiVersion ? { apiVersion } : {}) }
          : object;
      objects.push({ object: typed, doc, path: ["items", i] });
    });
  });
  for (const { object, doc, path } of objects) {
    const problem = checkObject(object, false);
    if (problem) fail(doc, path, problem);
  }
  return {
    path: name,
    format: "snapshot",
    events: objects.map(({ object }) => ({ tsMicros: atMicros, type: "ADDED", object })),
    syncedAtMicros: atMicros,
  };
}

/** JSON (fast) or else YAML, one value per document. */
function parseDocuments(text: string, name: string): unknown[] {
  try {
    return [JSON.parse(text)];
  } catch {
    // YAML (a superset of JSON) also says where broken JSON breaks.
  }
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter });
  if (!Array.isArray(docs)) return []; // only comments
  for (const d of docs) {
    const e = d.errors[0];
    if (e) {
      const pos = e.linePos?.[0];
      throw new InventoryFileError(
        name,
        pos ? `${pos.line}:${pos.col}` : undefined,
        `invalid JSON/YAML: ${e.message.split("\n")[0]}`,
      );
    }
  }
  return docs.map((d) => d.toJS() as unknown);
}

/** The line of the node at `path` in document `doc` (parsing again: only done for an error). */
function locate(text: string, doc: number, path: (string | number)[]): string | undefined {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter });
  if (!Array.isArray(docs)) return undefined;
  const node = path.length ? docs[doc]?.getIn(path, true) : docs[doc]?.contents;
  const start = (node as { range?: [number, number, number] } | undefined)?.range?.[0];
  return start === undefined ? undefined : String(lineCounter.linePos(start).line);
}
