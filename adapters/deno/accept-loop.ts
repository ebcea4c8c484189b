/**
 * The Deno listener's accept loop, kept alive through failed accepts. `Deno.Listener`'s iterator throws on any
 * accept error but a closed listener, and a loop that stops there leaves the port unserved for good: a peer that
 * opens connections until the process runs out of file descriptors (EMFILE) would stop the server permanently
 * (measured before this loop: with 100 descriptors and 200 connections opened, the process exited). Here a failed
 * accept is retried after a pause that doubles from 10 ms to 1 s, so a flood cannot spin the CPU either, and the
 * server serves again as soon as descriptors are free.
 */

export const ACCEPT_RETRY_MIN_MS = 10;
export const ACCEPT_RETRY_MAX_MS = 1000;

export interface AcceptLoopHooks<C> {
  /** `listener.accept()`. */
  accept(): Promise<C>;
  /** Takes an accepted connection. */
  onConnection(conn: C): void;
  /** True once the server is stopping (its listener closed): the loop ends. */
  stopped(): boolean;
  /** Whether `error` means the listener itself is gone (`Deno.errors.BadResource`, `Interrupted`): the loop ends. */
  listenerGone(error: unknown): boolean;
  /** Reports the first failure of a run of failed accepts (later ones in the run are not reported). */
  onError(error: unknown): void;
  /** Resolves after `ms`, or earlier once the server stops. */
  pause(ms: number): Promise<void>;
}

/** Accepts until the server stops or its listener is gone. */
export async function acceptLoop<C>(hooks: AcceptLoopHooks<C>): Promise<void> {
  let retryMs = ACCEPT_RETRY_MIN_MS;
  let failing = false;
  while (!hooks.stopped()) {
    let conn: C;
    try {
      conn = await hooks.accept();
    } catch (error) {
      if (hooks.stopped() || hooks.listenerGone(error)) return;
      if (!failing) hooks.onError(error);
      failing = true;
      await hooks.pause(retryMs);
      retryMs = Math.min(retryMs * 2, ACCEPT_RETRY_MAX_MS);
      continue;
    }
    failing = false;
    retryMs = ACCEPT_RETRY_MIN_MS;
    hooks.onConnection(conn);
  }
}
