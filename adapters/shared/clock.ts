/**
 * The single monotonic clock of the adapters. The core takes time as an input (`now`); every adapter reads
 * it here, once per event batch, so that deadlines computed by the core and timers armed by the adapter agree.
 * `performance.now()` exists on Node, Bun and Deno and never jumps with wall-clock changes.
 */
export function monotonicNow(): number {
  return performance.now();
}
