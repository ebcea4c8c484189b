/** The shared deadline scheduler: heap order, moves, removal, batches, re-entrancy; and sessions driven by it. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DeadlineScheduler, DUE_IN_BATCH, NOT_SCHEDULED, type DeadlineEntry, type TimerApi } from './deadline-scheduler.ts';
import { monotonicNow } from './clock.ts';
import { resolveServerConfig } from './options.ts';
import { ServerState } from './server-state.ts';
import type { Transport } from './transport.ts';
import type { ServeOptions } from './types.ts';

/** A clock and a timer that only move when the test says so. */
class FakeTime implements TimerApi {
  now = 0;
  armed: { callback: () => void; at: number; id: number } | undefined;
  sets = 0;
  clears = 0;
  private nextId = 1;
  set(callback: () => void, delayMs: number): unknown {
    assert.ok(this.armed === undefined, 'one runtime timer at most');
    assert.ok(delayMs >= 0 && Number.isInteger(delayMs), `delay ${delayMs}`);
    this.sets++;
    this.armed = { callback, at: this.now + delayMs, id: this.nextId++ };
    return this.armed.id;
  }
  clear(handle: unknown): void {
    assert.is(handle, this.armed?.id, 'clears the armed timer');
    this.clears++;
    this.armed = undefined;
  }
  /** The armed timer's time, if one is armed. */
  get armedAt(): number | undefined {
    return this.armed?.at;
  }
  /** Fires the armed timer at the current clock reading, early or late (as a busy or coarse runtime would). */
  wake(): void {
    const timer = this.armed;
    assert.ok(timer !== undefined, 'a timer is armed');
    this.armed = undefined;
    timer.callback();
  }
  /** Moves the clock to `to`, firing the timer as a runtime would (at or after its time). */
  advance(to: number): void {
    for (let i = 0; i < 100_000; i++) {
      const timer = this.armed;
      if (timer === undefined || timer.at > to) break;
      this.now = Math.max(this.now, timer.at);
      this.armed = undefined;
      timer.callback();
    }
    this.now = to;
  }
}

class Item implements DeadlineEntry {
  deadlineAt = Infinity;
  deadlineSlot = NOT_SCHEDULED;
  constructor(readonly name: string) {}
}

interface Harness {
  time: FakeTime;
  scheduler: DeadlineScheduler<Item>;
  fired: string[];
  /** Fire time of each firing, with the deadline the item had just before. */
  late: number[];
  onFire: Map<Item, (item: Item) => void>;
}

function harness(): Harness {
  const time = new FakeTime();
  const fired: string[] = [];
  const late: number[] = [];
  const onFire = new Map<Item, (item: Item) => void>();
  const due = new Map<Item, number>();
  const scheduler = new DeadlineScheduler<Item>(
    (item) => {
      fired.push(item.name);
      late.push(time.now - (due.get(item) ?? -Infinity));
      onFire.get(item)?.(item);
    },
    () => time.now,
    time,
  );
  // Remember the deadline each item had when scheduled, to check it never fires before it.
  const schedule = scheduler.schedule.bind(scheduler);
  scheduler.schedule = (item: Item, at: number) => {
    due.set(item, at);
    schedule(item, at);
  };
  return { time, scheduler, fired, late, onFire };
}

// ---- heap ------------------------------------------------------------------------------------------

const heap = suite('deadline scheduler');

heap('fires in deadline order, never before due, with one timer at the earliest deadline', () => {
  const h = harness();
  const items = ['a', 'b', 'c', 'd', 'e'].map((n) => new Item(n));
  const at = [50, 10, 30, 10.5, 70];
  items.forEach((item, i) => h.scheduler.schedule(item, at[i]!));
  assert.is(h.scheduler.size, 5);
  assert.is(h.scheduler.nextAt, 10);
  assert.is(h.time.armedAt, 10);
  h.time.advance(9.9);
  assert.equal(h.fired, []);
  h.time.advance(200);
  assert.equal(h.fired, ['b', 'd', 'c', 'a', 'e']);
  for (const l of h.late) assert.ok(l >= 0, `fired ${l} ms early`);
  assert.is(h.scheduler.size, 0);
  assert.is(h.time.armed, undefined, 'no timer left when nothing is scheduled');
  for (const item of items) {
    assert.is(item.deadlineSlot, NOT_SCHEDULED);
    assert.is(item.deadlineAt, Infinity);
  }
});

heap('a fractional deadline: the timer is rounded up, and an early wake-up re-arms without firing', () => {
  const h = harness();
  const item = new Item('x');
  h.time.now = 0.4;
  h.scheduler.schedule(item, 5.2);
  assert.is(h.time.armedAt, 0.4 + 5); // ceil(4.8)
  // A runtime that wakes early (its clock is coarser than ours): nothing fires, the timer is set again.
  h.time.now = 5.1;
  h.time.wake();
  assert.equal(h.fired, []);
  assert.ok(h.time.armed !== undefined);
  h.time.advance(7);
  assert.equal(h.fired, ['x']);
});

heap('moving earlier re-arms; moving later does not fire at the old time', () => {
  const h = harness();
  const a = new Item('a');
  const b = new Item('b');
  h.scheduler.schedule(a, 100);
  h.scheduler.schedule(b, 200);
  h.scheduler.schedule(b, 20); // earlier: becomes the first
  assert.is(h.scheduler.nextAt, 20);
  assert.is(h.time.armedAt, 20);
  h.scheduler.schedule(b, 300); // later: the timer stays early; that wake-up finds nothing and re-arms
  assert.is(h.scheduler.nextAt, 100);
  h.time.advance(50);
  assert.equal(h.fired, []);
  assert.is(h.time.armedAt, 100);
  h.time.advance(150);
  assert.equal(h.fired, ['a']);
  h.scheduler.schedule(b, 250); // moved again while scheduled (no duplicate entry)
  assert.is(h.scheduler.size, 1);
  h.time.advance(1000);
  assert.equal(h.fired, ['a', 'b']);
  for (const l of h.late) assert.ok(l >= 0);
});

heap('remove: never fires, keeps no reference; the last removal clears the timer; Infinity and NaN remove', () => {
  const h = harness();
  const a = new Item('a');
  const b = new Item('b');
  const c = new Item('c');
  h.scheduler.schedule(a, 10);
  h.scheduler.schedule(b, 20);
  h.scheduler.schedule(c, 30);
  h.scheduler.remove(a);
  h.scheduler.remove(a); // twice: nothing
  assert.is(a.deadlineSlot, NOT_SCHEDULED);
  assert.is(a.deadlineAt, Infinity);
  assert.is(h.scheduler.size, 2);
  assert.ok(h.time.armed !== undefined, 'other entries: the timer may stay armed early');
  h.scheduler.schedule(b, Infinity);
  h.scheduler.schedule(c, Number.NaN);
  assert.is(h.scheduler.size, 0);
  assert.is(h.time.armed, undefined);
  assert.is(h.time.sets, h.time.clears, 'every timer set was cleared');
  h.time.advance(100);
  assert.equal(h.fired, []);
  h.scheduler.remove(new Item('never scheduled'));
  assert.is(h.scheduler.size, 0);
});

heap('due entries fire in one batch with one re-arm; entries not yet due wait', () => {
  const h = harness();
  const items = Array.from({ length: 20 }, (_, i) => new Item(String(i)));
  items.forEach((item, i) => h.scheduler.schedule(item, i < 10 ? 10 + i * 0.1 : 50 + i));
  const setsBefore = h.time.sets;
  // A late wake-up (the process was busy): all ten due entries fire in that one callback.
  h.time.now = 40;
  h.time.wake();
  assert.equal(h.fired, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.is(h.time.sets - setsBefore, 1, 'one re-arm for the batch');
  assert.is(h.time.armedAt, 60);
  assert.is(h.scheduler.size, 10);
  // No leak: the fired entries (closed sessions, typically) are not kept by the batch's scratch list.
  assert.is((Reflect.get(h.scheduler, 'batch') as unknown[]).length, 0);
});

heap('re-entrancy: a callback removes, moves, schedules others and itself during the batch', () => {
  const h = harness();
  const [a, b, c, d, e, f] = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => new Item(n)) as [Item, Item, Item, Item, Item, Item];
  h.scheduler.schedule(a, 10);
  h.scheduler.schedule(b, 11); // due in the same batch; removed by a before its turn
  h.scheduler.schedule(c, 12); // due in the same batch; moved later by a
  h.scheduler.schedule(d, 13); // due in the same batch; moved to "now" by a: fires in the next batch, once
  h.scheduler.schedule(f, 100);
  let setsInBatch = -1;
  h.onFire.set(a, () => {
    assert.is(b.deadlineSlot, DUE_IN_BATCH);
    const sets = h.time.sets;
    h.scheduler.remove(b);
    h.scheduler.schedule(c, 30);
    h.scheduler.schedule(d, h.time.now);
    h.scheduler.schedule(e, h.time.now); // a new entry, already due
    h.scheduler.schedule(a, h.time.now); // itself, already due: not fired again in this batch
    h.scheduler.remove(f); // not due: taken out of the heap
    setsInBatch = h.time.sets - sets;
  });
  h.time.now = 15;
  h.time.wake();
  assert.equal(h.fired, ['a']);
  assert.is(setsInBatch, 0, 'no timer set from inside a batch');
  assert.is(h.time.armedAt, 15, 'the batch re-armed for what is due now');
  h.onFire.delete(a);
  h.time.advance(15);
  assert.equal(h.fired.slice(1).sort(), ['a', 'd', 'e']);
  h.time.advance(100);
  assert.equal(h.fired.slice(4), ['c']);
  assert.is(h.scheduler.size, 0);
  assert.ok(!h.fired.includes('b') && !h.fired.includes('f'));
  for (const l of h.late) assert.ok(l >= 0);
});

heap('a callback that re-schedules itself at now cannot loop within a batch', () => {
  const h = harness();
  const a = new Item('a');
  let count = 0;
  h.onFire.set(a, () => {
    if (++count < 5) h.scheduler.schedule(a, h.time.now);
  });
  h.scheduler.schedule(a, 1);
  h.time.now = 1;
  h.time.wake(); // one batch: one firing
  assert.is(count, 1);
});

/** Deterministic PRNG (mulberry32) for the randomized comparison with a plain model. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

heap('many entries: random schedules, moves and removals agree with a model, and fire in order', () => {
  const h = harness();
  const rand = random(42);
  const items = Array.from({ length: 3000 }, (_, i) => new Item(String(i)));
  const model = new Map<Item, number>();
  for (let op = 0; op < 20_000; op++) {
    const item = items[Math.floor(rand() * items.length)]!;
    const r = rand();
    if (r < 0.7) {
      const at = h.time.now + 1 + Math.floor(rand() * 5000) + (rand() < 0.3 ? 0.5 : 0);
      h.scheduler.schedule(item, at);
      model.set(item, at);
    } else {
      h.scheduler.remove(item);
      model.delete(item);
    }
    if (op % 997 === 0) {
      let min = Infinity;
      for (const at of model.values()) min = Math.min(min, at);
      assert.is(h.scheduler.nextAt, min);
      assert.is(h.scheduler.size, model.size);
    }
  }
  for (const [item, at] of model) assert.is(item.deadlineAt, at);
  const expected = [...model].sort((x, y) => x[1] - y[1]).map(([item]) => item);
  let fires = 0;
  const order: number[] = [];
  const unfired = new Set(model.keys());
  for (const item of expected) h.onFire.set(item, (it) => {
    fires++;
    order.push(model.get(it)!);
    unfired.delete(it);
  });
  h.time.advance(h.time.now + 10_000);
  assert.is(fires, expected.length);
  assert.is(unfired.size, 0);
  for (let i = 1; i < order.length; i++) assert.ok(order[i - 1]! <= order[i]!, 'fired in deadline order');
  for (const l of h.late) assert.ok(l >= 0);
  assert.is(h.scheduler.size, 0);
  assert.is(h.time.armed, undefined);
  assert.is(h.fired.length, expected.length, 'nothing removed fired');
});

heap('real runtime timer and clock: fires each entry no earlier than due, then lets go', async () => {
  const fired: { name: string; at: number; due: number }[] = [];
  const due = new Map<Item, number>();
  let done: () => void = () => {};
  const all = new Promise<void>((resolve) => (done = resolve));
  const scheduler = new DeadlineScheduler<Item>((item) => {
    fired.push({ name: item.name, at: monotonicNow(), due: due.get(item)! });
    if (fired.length === 3) done();
  }, monotonicNow);
  const now = monotonicNow();
  const offsets: [string, number][] = [['late', 25.5], ['soon', 1.2], ['mid', 10]];
  for (const [name, offset] of offsets) {
    const item = new Item(name);
    due.set(item, now + offset);
    scheduler.schedule(item, now + offset);
  }
  const bound = new Promise<void>((resolve) => setTimeout(resolve, 5000));
  await Promise.race([all, bound]);
  assert.equal(fired.map((f) => f.name), ['soon', 'mid', 'late']);
  for (const f of fired) assert.ok(f.at >= f.due, `${f.name} fired ${f.due - f.at} ms early`);
  assert.is(scheduler.size, 0);
});

heap.run();

// ---- sessions on the shared scheduler ---------------------------------------------------------------

class FakeTransport implements Transport {
  remoteAddress = '127.0.0.1';
  bufferedAmount = 0;
  calls: string[] = [];
  written = '';
  private settled: (() => void) | undefined;
  write(chunks: readonly Uint8Array[]): void {
    for (const c of chunks) this.written += new TextDecoder().decode(c);
  }
  flushNow(): void {}
  requestDrain(): void {}
  pause(): void {}
  resume(): void {}
  close(): void {
    this.calls.push('close');
  }
  destroy(): void {
    this.calls.push('destroy');
    this.settled?.();
  }
  /** Resolves at the transport's destruction (bounded by `ms` of real time, so a failure cannot hang). */
  destroyed(ms: number): Promise<boolean> {
    if (this.calls.includes('destroy')) return Promise.resolve(true);
    return new Promise((resolve) => {
      const bound = setTimeout(() => resolve(false), ms);
      this.settled = () => {
        clearTimeout(bound);
        resolve(true);
      };
    });
  }
}

const REQUEST = new TextEncoder().encode(
  'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
);

const sessions = suite('sessions on the shared scheduler');

sessions('handshake timeout, then the close timeout destroys a transport that never finishes closing', async () => {
  const state = new ServerState<undefined>(
    resolveServerConfig<undefined>({ websocket: {}, limits: { handshakeTimeoutMs: 20, closeTimeoutMs: 20 } } as ServeOptions<undefined>, { secure: false }),
  );
  const slow = new FakeTransport();
  const session = state.connect(slow);
  session.onData(REQUEST.slice(0, 20)); // an incomplete request head
  assert.ok(session.deadlineSlot >= 0, 'scheduled at the handshake deadline');
  assert.ok(await slow.destroyed(5000), 'destroyed after the handshake timeout and the close timeout');
  assert.match(slow.written, 'HTTP/1.1 408');
  assert.equal(slow.calls, ['close', 'destroy']);
  session.onClosed(); // what the runtime reports after destroy
  assert.is(session.deadlineSlot, NOT_SCHEDULED);
  assert.is(session.deadlineAt, Infinity);
});

sessions('an open connection without keepalive leaves the scheduler; a closed one is never kept', () => {
  const state = new ServerState<undefined>(
    resolveServerConfig<undefined>({ websocket: {}, limits: { pingIntervalMs: 0 } } as ServeOptions<undefined>, { secure: false }),
  );
  const idle = state.connect(new FakeTransport());
  assert.ok(idle.deadlineSlot >= 0, 'the handshake deadline');
  idle.onData(REQUEST.slice());
  assert.is(idle.readyState, 1);
  assert.is(idle.deadlineSlot, NOT_SCHEDULED, 'no deadline once open without keepalive');

  const keepalive = new ServerState<undefined>(
    resolveServerConfig<undefined>({ websocket: {}, limits: { pingIntervalMs: 60_000 } } as ServeOptions<undefined>, { secure: false }),
  );
  const live = keepalive.connect(new FakeTransport());
  live.onData(REQUEST.slice());
  assert.ok(live.deadlineSlot >= 0, 'the keepalive deadline');
  live.terminate();
  live.onClosed();
  assert.is(live.deadlineSlot, NOT_SCHEDULED);
  idle.terminate();
  idle.onClosed();
});

sessions.run();
