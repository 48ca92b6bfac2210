/** What a failed list or watch of @kubernetes/client-node was, for logs, status and metric labels. */

/** The HTTP status of a client error: ApiException has `code`, a failed watch `statusCode`. */
export function httpStatus(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | undefined;
  if (typeof e?.code === "number") return e.code;
  if (typeof e?.statusCode === "number") return e.statusCode;
  return undefined;
}

/** A one-line description: "HTTP 403: services is forbidden: ..." or "connect ECONNREFUSED 127.0.0.1:6443". */
export function describeError(err: unknown): string {
  const status = httpStatus(err);
  if (status !== undefined) {
    let body = (err as { body?: unknown }).body;
    if (typeof body === "string") {
      try {
        body = JSON.parse(body);
      } catch {
        // not a Status object
      }
    }
    const message = (body as { message?: unknown } | undefined)?.message;
    return `HTTP ${status}${typeof message === "string" ? `: ${message}` : ""}`;
  }
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^request to \S+ failed, reason: /, "");
}

/** A metric label: "http_403", "ECONNREFUSED", "ERR_STREAM_PREMATURE_CLOSE", or "error". */
export function errorReason(err: unknown): string {
  const status = httpStatus(err);
  if (status !== undefined) return `http_${status}`;
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : "error";
}
