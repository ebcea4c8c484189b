/**
 * Virtual time for in-process runs: a task queue plus timers on a clock that jumps to the next timer as soon as
 * nothing else is pending. Waits and timeouts cost no real time, and every run is deterministic.
 */
import type { Clock, TimerHandle } from '../client/clock.ts';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** A {@link Clock} driven by {@link VirtualClock.run}. */
export class VirtualClock implements Clock {
  private t = 0;
  private seq = 0;
  private readonly tasks: Array<() => void> = [];
  /** Sorted by (at, seq); small (a handful of timers per connection). */
  private timers: Timer[] = [];

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1]!.at > timer.at) i--;
    this.timers.splice(i, 0, timer);
    return { cancel: () => { timer.cancelled = true; } };
  }

  defer(fn: () => void): void {
    this.tasks.push(fn);
  }

  /** Queues `fn` to run before time advances (in FIFO order). */
  post(fn: () => void): void {
    this.tasks.push(fn);
  }

  /**
   * Runs tasks, and timers in time order, until `done()` is true or nothing is left.
   * `maxSteps` bounds the loop (a runaway case cannot spin forever).
   */
  run(done: () => boolean, maxSteps = 50_000_000): void {
    let steps = 0;
    while (!done() && steps++ < maxSteps) {
      const task = this.tasks.shift();
      if (task !== undefined) {
        task();
        continue;
      }
      const timer = this.timers.shift();
      if (timer === undefined) return;
      if (timer.cancelled) continue;
      if (timer.at > this.t) this.t = timer.at;
      timer.fn();
    }
  }
}
