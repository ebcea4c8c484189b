/** Time as the case scripts and the client see it: a real clock over timers, or a virtual one (see inprocess/). */

/** A handle to cancel a timer. */
export interface TimerHandle {
  cancel(): void;
}

/** The only source of time and delay for the client and the case scripts. */
export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  /** Calls `fn` after `ms` milliseconds (0 = as soon as other pending work allows). */
  setTimer(ms: number, fn: () => void): TimerHandle;
  /** Calls `fn` after one turn of the event loop (I/O included): the suite's "reenter the reactor". */
  defer(fn: () => void): void;
}

/** Wall-clock time with the runtime's timers (works on Node, Bun and Deno). */
export class RealClock implements Clock {
  now(): number {
    return performance.now();
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const id = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(id) };
  }

  defer(fn: () => void): void {
    // setImmediate runs after the I/O poll phase (Node, Bun and Deno all provide it); setTimeout(0) otherwise.
    const g = globalThis as { setImmediate?: (f: () => void) => unknown };
    if (typeof g.setImmediate === 'function') g.setImmediate(fn);
    else setTimeout(fn, 0);
  }
}

/** A source of random bytes (masks, keys): the platform's CSPRNG, or a seeded generator for reproducible runs. */
export interface RandomSource {
  fill(bytes: Uint8Array): void;
}

/** Cryptographic randomness (crypto.getRandomValues, present on all three runtimes). */
export const CRYPTO_RANDOM: RandomSource = {
  fill(bytes) {
    crypto.getRandomValues(bytes);
  },
};

/** A deterministic xorshift32 generator, so in-process runs write the same bytes every time. */
export class SeededRandom implements RandomSource {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }

  fill(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      let x = this.s;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.s = x >>> 0;
      bytes[i] = this.s & 0xff;
    }
  }
}
