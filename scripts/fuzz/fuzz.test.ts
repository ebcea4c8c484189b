/**
 * A short, fixed-seed fuzz run as part of `npm test` (a bounded number of executions), and a check that the fuzzer
 * does find an injected bug. Long runs are `npm run fuzz -- --seconds N`.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { ServerConnection, type ServerConnectionOptions } from '../../core/connection.ts';
import type { ConnectionEvent } from '../../core/events.ts';
import { builtinCorpus } from './corpus.ts';
import { runFuzz } from './engine.ts';
import { knownSignatures } from './known.ts';
import { testAccelerators } from './check.ts';
import { isUtf8 } from 'node:buffer';

const SEED = 20261124;
const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined' ? 'bun' : typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined' ? 'deno' : 'node';

function regressionsDir(): string {
  for (const relative of ['../../conformance/regressions/', '../conformance/regressions/']) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  return '';
}

const fuzz = suite('fuzz (short run)');

fuzz('a fixed-seed run finds no new invariant violation', () => {
  const stats = runFuzz({
    seed: SEED,
    maxExecs: 2000,
    seconds: 5, // a cap for a slow or busy machine; the run is normally bounded by maxExecs
    clock: () => performance.now(),
    corpus: builtinCorpus(),
    knownSignatures: knownSignatures(regressionsDir()),
    accelerators: testAccelerators(isUtf8),
  });
  const rate = Math.round((stats.execs / Math.max(1, stats.elapsedMs)) * 1000);
  console.log(`  fuzz on ${runtime}: ${stats.execs} executions, ${rate} exec/s, ${stats.features} behaviour features, ${stats.knownHits} hits of known failures`);
  assert.ok(stats.execs > 100);
  assert.ok(stats.features > 50, `only ${stats.features} features`);
  assert.equal(
    stats.finds.map((f) => `${f.signature}: ${f.violation.message}`),
    [],
  );
});

fuzz('the fuzzer finds an injected bug (a core that loses every 4th message)', () => {
  // The bug lives in this harness, not in core/: the connection hides some message events from the application.
  const createConnection = (options: ServerConnectionOptions, now: number): ServerConnection => {
    let messages = 0;
    const deliver = options.onEvent as (event: ConnectionEvent) => void;
    return new ServerConnection({ ...options, onEvent: (event) => (event.type === 'message' && ++messages % 4 === 0 ? undefined : deliver(event)) }, now);
  };
  const stats = runFuzz({ seed: SEED, maxExecs: 2000, maxFinds: 1, minimize: true, corpus: builtinCorpus(), createConnection });
  assert.is(stats.finds.length, 1);
  const find = stats.finds[0]!;
  assert.ok(['oracle', 'echo'].includes(find.violation.kind), find.signature);
  assert.ok(find.reproducible);
  assert.ok(find.trace.records.length <= find.originalRecords);
});

fuzz.run();
