/**
 * Closing a socket without losing the NOTIFICATION just written to it. Destroying a socket with
 * unread input makes Linux send a RST that can discard queued output, so we half-close (FIN after
 * the data), keep reading until the peer closes, and destroy only after a bounded grace period.
 * The grace period is I/O plumbing, not protocol time, so it uses a real timer even when the
 * session logic runs on a virtual clock.
 */
import type { Socket } from "node:net";

const GRACE_MS = 2000;

export function closeSocket(socket: Socket, graceMs = GRACE_MS): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    const timer = setTimeout(() => socket.destroy(), graceMs);
    timer.unref();
    socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    socket.on("error", () => socket.destroy());
    socket.resume(); // drain whatever the peer still sends so the FIN is not turned into a RST
    socket.end();
  });
}
