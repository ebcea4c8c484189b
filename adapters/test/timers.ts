/** Tracking of the global timers, for tests that check what the server leaves armed. */

/** What {@link trackTimers} saw. */
export interface TimerTracking {
  /** The delays of the timers still armed. */
  pending(): number[];
  /** The most timers armed at once. */
  maxArmed(): number;
  /** Puts the global `setTimeout`/`clearTimeout` back. */
  restore(): void;
}

/**
 * Tracks the timers set through the global `setTimeout` until `restore()` (the deadline scheduler looks it up at
 * each call, so its one timer is seen).
 */
export function trackTimers(): TimerTracking {
  const g = globalThis as { setTimeout: typeof setTimeout; clearTimeout: typeof clearTimeout };
  const originalSet = g.setTimeout;
  const originalClear = g.clearTimeout;
  const armed = new Map<unknown, number>();
  let max = 0;
  g.setTimeout = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const handle: unknown = originalSet(() => {
      armed.delete(handle);
      callback(...args);
    }, ms);
    armed.set(handle, ms ?? 0);
    max = Math.max(max, armed.size);
    return handle;
  }) as typeof setTimeout;
  g.clearTimeout = ((handle: Parameters<typeof clearTimeout>[0]) => {
    armed.delete(handle);
    originalClear(handle);
  }) as typeof clearTimeout;
  return {
    pending: () => [...armed.values()],
    maxArmed: () => max,
    restore() {
      g.setTimeout = originalSet;
      g.clearTimeout = originalClear;
    },
  };
}
