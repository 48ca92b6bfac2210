import { Watch, type KubeConfig } from "@kubernetes/client-node";

/**
 * The client's Watch, asking for bookmarks (they keep our resourceVersion current while nothing of
 * ours changes, so a dropped stream resumes instead of re-listing against a short server history)
 * and able to abort every stream it opened, including one still connecting when we stop.
 */
export class TrackingWatch extends Watch {
  private closed = false;
  private readonly open = new Set<AbortController>();

  constructor(
    kc: KubeConfig,
    private readonly hooks: { started(): void; event(): void },
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
    const handle: { controller?: AbortController; finished?: boolean } = {};
    const controller = await super.watch(
      path,
      { ...queryParams, allowWatchBookmarks: true },
      (phase, obj, raw) => {
        this.hooks.event();
        callback(phase, obj, raw);
      },
      (err) => {
        handle.finished = true;
        if (handle.controller) this.open.delete(handle.controller);
        done(err);
      },
    );
    handle.controller = controller;
    if (!handle.finished) this.open.add(controller);
    if (this.closed) controller.abort();
    return controller;
  }

  close(): void {
    this.closed = true;
    for (const c of this.open) c.abort();
    this.open.clear();
  }
}
