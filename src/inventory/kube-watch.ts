import { Watch, type KubeConfig } from "@kubernetes/client-node";

/** client-go's reflector asks for 5 to 10 minutes; one fixed value keeps a replayed log readable. */
export const DEFAULT_WATCH_TIMEOUT_SECONDS = 300;

/** A watch stream the server should have ended long ago: the connection is presumed dead. */
export class WatchStalledError extends Error {
  readonly code = "WATCH_STALLED";
  constructor(seconds: number) {
    super(`watch stream still open after ${seconds} s although the server was asked to end it sooner`);
  }
}

/**
 * The client's Watch, asking for bookmarks (they keep our resourceVersion current while nothing of
 * ours changes, so a dropped stream resumes instead of re-listing against a short server history)
 * and able to abort every stream it opened, including one still connecting when we stop.
 *
 * Each stream asks the server to end it after `timeoutSeconds` (it then resumes from the last
 * resourceVersion, as client-go's reflector does), and is aborted if it outlives that by half again:
 * a connection that died without a FIN or RST (an API server failover behind a VIP, a conntrack
 * entry dropped) would otherwise leave the view frozen with no error at all.
 */
export class TrackingWatch extends Watch {
  private closed = false;
  private readonly open = new Set<AbortController>();

  constructor(
    kc: KubeConfig,
    private readonly hooks: { started(): void; event(): void },
    private readonly timeoutSeconds = DEFAULT_WATCH_TIMEOUT_SECONDS,
  ) {
    super(kc);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    if (this.closed) {
      const c = new AbortController();
      c.abort();
      return c;
    }
    // The informer only watches after a successful list (or to resume one).
    this.hooks.started();
    // `done` can run before super.watch returns (a refused connection), so no const binding here.
    const handle: { controller?: AbortController; finished?: boolean; stalled?: boolean } = {};
    let watchdog: NodeJS.Timeout | undefined;
    const controller = await super.watch(
      path,
      { ...queryParams, allowWatchBookmarks: true, timeoutSeconds: this.timeoutSeconds },
      (phase, obj, raw) => {
        this.hooks.event();
        callback(phase, obj, raw);
      },
      (err) => {
        handle.finished = true;
        clearTimeout(watchdog);
        if (handle.controller) this.open.delete(handle.controller);
        done(handle.stalled ? new WatchStalledError(this.timeoutSeconds * 1.5) : err);
      },
    );
    handle.controller = controller;
    if (!handle.finished) this.open.add(controller);
    if (!handle.finished) {
      watchdog = setTimeout(() => {
        handle.stalled = true;
        controller.abort();
      }, this.timeoutSeconds * 1500);
      watchdog.unref();
    }
    if (this.closed) controller.abort();
    return controller;
  }

  close(): void {
    this.closed = true;
    for (const c of this.open) c.abort();
    this.open.clear();
  }
}
