/**
 * Errors an operator can fix (a bad flag, an unreadable file, a wrong config value): the CLI prints
 * the message (it names the thing and what was expected) and exits 2, with no stack trace.
 */
export class OperatorError extends Error {
  override name = "OperatorError";
  /** Also point at `routewatch --help` (wrong usage rather than wrong content). */
  readonly usage: boolean = false;
}

/** Wrong command-line usage: unknown option, missing argument, a flag value of the wrong form. */
export class UsageError extends OperatorError {
  override name = "UsageError";
  override readonly usage = true;
}
