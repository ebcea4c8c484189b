import { test } from 'uvu';
import * as assert from 'uvu/assert';
// @ts-expect-error plain ESM helpers of the bench harness, without type declarations
import { compact, median, ratio } from './stats.mjs';
// @ts-expect-error plain ESM helpers of the bench harness, without type declarations
import { renderMarkdown, sizeLabel } from './report.mjs';

test('median ignores non-finite values and averages the middle pair', () => {
  assert.is(median([3, 1, 2]), 2);
  assert.is(median([4, 1, 3, 2]), 2.5);
  assert.is(median([NaN, 5, Infinity]), 5);
  assert.ok(Number.isNaN(median([])));
});

test('compact and ratio format figures for the tables', () => {
  assert.is(compact(1_234_567), '1.23M');
  assert.is(compact(12_345), '12.3k');
  assert.is(compact(512), '512');
  assert.is(compact(NaN), '–');
  assert.is(ratio(300, 100), '3.00×');
  assert.is(ratio(1, 400), '0.0025×');
  assert.is(ratio(250, 10), '25.0×');
  assert.is(ratio(1, 0), '–');
  assert.is(ratio(NaN, 1), '–');
});

test('sizeLabel names the payload sizes', () => {
  assert.is(sizeLabel(16), '16 B');
  assert.is(sizeLabel(1024), '1 KiB');
  assert.is(sizeLabel(65536), '64 KiB');
  assert.is(sizeLabel(1048576), '1 MiB');
  assert.is(sizeLabel(1500), '1500 B');
});

function run(msgs: number, cpuUs: number, clientPct = 40) {
  return {
    msgs_per_s: msgs, p50_us: 50, p99_us: 90, client_cpu_pct: clientPct, server_cpu_pct: 99,
    server_us_per_msg: cpuUs, sys_idle_pct: 10, others_cpu_pct: 5, errors: 0,
  };
}

test('renderMarkdown puts websock as a ratio to the reference and the raw echo, and flags generator-bound runs', () => {
  const config = { id: '1x32', conns: 1, inflight: 32, latency: false };
  const cell = {
    id: 'plain 1x32 1KiB binary', transport: 'plain', config, size: 1024, kind: 'binary',
    servers: {
      'node/websock': { runs: [run(300_000, 2)], median: run(300_000, 2) },
      'node/reference': { runs: [run(100_000, 6)], median: run(100_000, 6) },
      'node/raw': { runs: [run(400_000, 1, 95)], median: run(400_000, 1, 95) },
    },
  };
  const md: string = renderMarkdown({
    meta: {
      date: 'today', command: 'node scripts/bench.mjs', machine: '2 cores', versions: 'node', pinned: true,
      reps: 1, durationS: 1, warmupS: 0.2, idleConns: 10, missing: [], notes: [],
    },
    cells: [cell],
    memory: [
      { runtime: 'node', kind: 'websock', perConnKiB: 10, open: 10 },
      { runtime: 'node', kind: 'reference', perConnKiB: 20, open: 10 },
    ],
    core: {},
  });
  assert.match(md, '## Throughput — plain TCP, 1 connection × 32 in flight');
  assert.match(md, '| 1 KiB | node | 300.0k | 100.0k | 400.0k ‡ | **3.00×** | 0.75× | 2.00 / 6.00 | 0.33× |');
  assert.match(md, '| node | 10.00 | 20.00 | – | **0.50×** |');
});

test.run();
