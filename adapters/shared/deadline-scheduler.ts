/**
 * One runtime timer for many deadlines: an indexed binary min-heap of entries keyed by their deadline, and a
 * single `setTimeout` armed at the earliest one. When it fires, every entry that is due is fired in one batch
 * (earliest first), then the timer is re-armed once.
 *
 * Why a heap and not a timing wheel: the adapters need the exact earliest deadline (to arm the one timer) and
 * "never fire before due"; a heap gives both with O(1) peek and O(log n) insert/move/remove, stores nothing but
 * one array slot per entry plus two fields on the entry, and has no tick granularity or cascading to tune.
 * Deadlines move rarely (the session only moves its entry earlier; a wake-up that finds a later deadline re-arms),
 * so the log n factor (≈ 17 steps at 100k entries) is not on a per-message path.
 */

/** The state the scheduler keeps on each entry (written by the scheduler only; read it, never set it). */
export interface DeadlineEntry {
  /** When the entry is due, on the scheduler's clock; `Infinity` while not scheduled. */
  deadlineAt: number;
  /** The entry's index in the heap; {@link NOT_SCHEDULED}, or {@link DUE_IN_BATCH} while its batch is being fired. */
  deadlineSlot: number;
}

/** {@link DeadlineEntry.deadlineSlot} of an entry that is not scheduled. */
export const NOT_SCHEDULED = -1;
/** {@link DeadlineEntry.deadlineSlot} of an entry taken out of the heap to be fired in the current batch. */
export const DUE_IN_BATCH = -2;

/** The runtime timer the scheduler uses (injectable for tests). Handles are opaque. */
export interface TimerApi {
  /** Calls `callback` once after at least `delayMs` milliseconds. */
  set(callback: () => void, delayMs: number): unknown;
  /** Cancels a timer returned by {@link TimerApi.set}. */
  clear(handle: unknown): void;
}

/**
 * The global `setTimeout`/`clearTimeout`, looked up at each call (so a test that wraps them sees the scheduler).
 * Not unref'd: as the per-connection timers it replaces, a pending deadline keeps the process alive; the timer is
 * cleared when no entry is left.
 */
export const runtimeTimers: TimerApi = {
  set: (callback, delayMs) => setTimeout(callback, delayMs),
  clear: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
};

/** Longest delay every runtime's `setTimeout` takes as is (2^31 − 1 ms); later deadlines re-arm on wake-up. */
export const MAX_TIMER_DELAY_MS = 0x7fffffff;

/** Reports an error thrown by one entry's callback without stopping the batch (uncaught, as from its own timer). */
function reportLater(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

/** Deadlines of many entries behind one runtime timer. */
export class DeadlineScheduler<E extends DeadlineEntry> {
  private readonly heap: E[] = [];
  /** Entries of the batch being fired (emptied after each batch: it must not retain closed entries). */
  private readonly batch: E[] = [];
  private readonly fire: (entry: E) => void;
  private readonly now: () => number;
  private readonly timers: TimerApi;
  private readonly onTimer = (): void => {
    this.handle = undefined; // it fired: nothing to clear
    this.fireDue();
  };
  private handle: unknown = undefined;
  /** The deadline the runtime timer was armed for; `Infinity` when none is armed. */
  private armedAt = Infinity;
  private firing = false;

  /**
   * @param fire called once per due entry, after the entry was unscheduled (it may schedule itself again, or
   *   schedule and remove others: an entry removed or moved before its turn in the batch is not fired).
   * @param now the clock deadlines are on (the adapters pass `monotonicNow` from clock.ts).
   * @param timers the runtime timer; the global `setTimeout` by default.
   */
  constructor(fire: (entry: E) => void, now: () => number, timers: TimerApi = runtimeTimers) {
    this.fire = fire;
    this.now = now;
    this.timers = timers;
  }

  /** Number of scheduled entries (those of a batch being fired are no longer counted). */
  get size(): number {
    return this.heap.length;
  }

  /** The earliest scheduled deadline; `Infinity` when none is. */
  get nextAt(): number {
    return this.heap.length > 0 ? this.heap[0]!.deadlineAt : Infinity;
  }

  /**
   * Schedules `entry` at `at`, or moves it there (earlier or later), in O(log n). A non-finite `at`
   * (`Infinity`, `NaN`) removes it. The entry fires no earlier than `at` on the clock.
   */
  schedule(entry: E, at: number): void {
    if (!(at < Infinity)) {
      this.remove(entry);
      return;
    }
    const heap = this.heap;
    const slot = entry.deadlineSlot;
    if (slot >= 0) {
      const before = entry.deadlineAt;
      entry.deadlineAt = at;
      if (at < before) this.siftUp(slot);
      else if (at > before) this.siftDown(slot);
    } else {
      entry.deadlineAt = at;
      entry.deadlineSlot = heap.length;
      heap.push(entry);
      this.siftUp(heap.length - 1);
    }
    if (heap[0] === entry) this.rearm();
  }

  /** Unschedules `entry` in O(log n); nothing if it is not scheduled. The scheduler keeps no reference to it. */
  remove(entry: E): void {
    const slot = entry.deadlineSlot;
    entry.deadlineAt = Infinity;
    entry.deadlineSlot = NOT_SCHEDULED; // also takes an entry of the current batch out of it
    if (slot < 0) return;
    const heap = this.heap;
    const last = heap.pop()!;
    if (last !== entry) {
      heap[slot] = last;
      last.deadlineSlot = slot;
      // The moved entry may belong above or below the slot.
      this.siftUp(slot);
      this.siftDown(last.deadlineSlot);
    }
    // An earlier wake-up than needed is harmless (it re-arms); a timer with nothing left must not hold the process.
    if (heap.length === 0) this.rearm();
  }

  /**
   * Fires every entry due at the clock's current time, earliest first, then re-arms the timer once. The runtime
   * timer calls it; tests may call it directly. Entries scheduled during the batch fire in a later batch, even
   * if already due, so that an entry re-scheduling itself at "now" cannot loop.
   */
  fireDue(): void {
    if (this.firing) return;
    if (this.handle !== undefined) this.timers.clear(this.handle); // a direct call: drop the armed timer
    this.handle = undefined;
    this.armedAt = Infinity;
    const heap = this.heap;
    const batch = this.batch;
    const now = this.now();
    while (heap.length > 0 && heap[0]!.deadlineAt <= now) {
      const entry = heap[0]!;
      this.removeTop();
      entry.deadlineSlot = DUE_IN_BATCH;
      batch.push(entry);
    }
    this.firing = true;
    try {
      for (let i = 0; i < batch.length; i++) {
        const entry = batch[i]!;
        if (entry.deadlineSlot !== DUE_IN_BATCH) continue; // removed or moved by an earlier callback of this batch
        entry.deadlineSlot = NOT_SCHEDULED;
        entry.deadlineAt = Infinity;
        try {
          this.fire(entry);
        } catch (error) {
          reportLater(error);
        }
      }
    } finally {
      batch.length = 0;
      this.firing = false;
      this.rearm();
    }
  }

  /** Arms the runtime timer at the earliest deadline if it is not armed that early already; clears it when empty. */
  private rearm(): void {
    if (this.firing) return; // the batch re-arms once, at its end
    const heap = this.heap;
    if (heap.length === 0) {
      if (this.handle !== undefined) this.timers.clear(this.handle);
      this.handle = undefined;
      this.armedAt = Infinity;
      return;
    }
    const at = heap[0]!.deadlineAt;
    if (at >= this.armedAt) return; // that earlier wake-up finds nothing due and re-arms then
    if (this.handle !== undefined) this.timers.clear(this.handle);
    this.armedAt = at;
    // Rounded up: a runtime that wakes on time never wakes before the deadline; one that wakes early re-arms.
    const delay = Math.min(MAX_TIMER_DELAY_MS, Math.max(0, Math.ceil(at - this.now())));
    this.handle = this.timers.set(this.onTimer, delay);
  }

  private removeTop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      last.deadlineSlot = 0;
      this.siftDown(0);
    }
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    const entry = heap[index]!;
    const at = entry.deadlineAt;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (parent.deadlineAt <= at) break;
      heap[index] = parent;
      parent.deadlineSlot = index;
      index = parentIndex;
    }
    heap[index] = entry;
    entry.deadlineSlot = index;
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    const length = heap.length;
    const entry = heap[index]!;
    const at = entry.deadlineAt;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && heap[right]!.deadlineAt < heap[left]!.deadlineAt ? right : left;
      const childEntry = heap[child]!;
      if (childEntry.deadlineAt >= at) break;
      heap[index] = childEntry;
      childEntry.deadlineSlot = index;
      index = child;
    }
    heap[index] = entry;
    entry.deadlineSlot = index;
  }
}
