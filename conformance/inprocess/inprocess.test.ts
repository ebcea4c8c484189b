// The in-process suite against the core: sections 1–7 and 10 (and the fast part of 9) on virtual time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { selectCases } from '../cases/index.ts';
import type { CaseResult } from '../types.ts';
import { runSuite } from '../runner.ts';

import { runInProcess } from './run-inprocess.ts';

/** Verdicts the suite defines as not OK/OK for any server: informational cases. */
const INFORMATIONAL = new Set(['7.1.6', '7.13.1', '7.13.2']);

function check(results: CaseResult[]): void {
  const bad = results.filter((r) => {
    if (INFORMATIONAL.has(r.id)) return r.behavior !== 'INFORMATIONAL';
    return r.behavior !== 'OK' || r.behaviorClose !== 'OK';
  });
  assert.equal(bad.map((r) => `${r.id} ${r.behavior}/${r.behaviorClose}: ${r.result} ${r.resultClose}`), []);
}

test('sections 1–7 and 10 pass in-process', () => {
  const cases = selectCases(['1.*', '2.*', '3.*', '4.*', '5.*', '6.*', '7.*', '10.*']);
  assert.is(cases.length, 247);
  check(cases.map((c) => runInProcess(c)));
});

test('section 9 (large messages, fragments, chops, round trips) passes in-process', () => {
  check(selectCases(['9.1.1', '9.1.2', '9.2.1', '9.2.2', '9.3.1', '9.4.1', '9.5.6', '9.7.1', '9.8.3']).map((c) => runInProcess(c)));
});

test('compression cases run when the server accepts permessage-deflate, UNIMPLEMENTED when it does not', () => {
  const [c12] = selectCases(['12.4.1']);
  const [c13] = selectCases(['13.7.2']);
  check([runInProcess(c12!), runInProcess(c13!)]);
  const declined = runInProcess(c12!, { serverOptions: {} });
  assert.is(declined.behavior, 'UNIMPLEMENTED');
  assert.is(declined.behaviorClose, 'OK');
});

test('virtual time: waits cost nothing, and runs are deterministic (same bytes on the wire)', () => {
  const [c] = selectCases(['6.4.1']);
  const traces: string[] = [];
  for (let i = 0; i < 2; i++) {
    const lines: string[] = [];
    const r = runInProcess(c!, { onWire: (e) => lines.push(JSON.stringify({ ...e, bytes: 'bytes' in e ? [...e.bytes] : null })) });
    assert.is(r.behavior, 'OK');
    traces.push(lines.join('\n'));
  }
  assert.is(traces[0], traces[1]);
});

test('worker threads give the same results as one thread (Bun and Deno: workers load the .ts entry)', async () => {
  const g = globalThis as { Bun?: unknown; Deno?: unknown };
  if (g.Bun === undefined && g.Deno === undefined) return; // Node runs tests bundled; a worker cannot load cli.ts
  const cases = selectCases(['2.*', '5.*', '7.9.*']);
  const traces = new Map<string, string>();
  const parallel = await runSuite({
    cases, target: { kind: 'in-process' }, parallel: 3, workerEntry: new URL('../cli.ts', import.meta.url),
    onTrace: (id, text) => { traces.set(id, text); },
  });
  const sequential = cases.map((c) => runInProcess(c));
  assert.equal(parallel.map((r) => [r.id, r.behavior, r.behaviorClose]), sequential.map((r) => [r.id, r.behavior, r.behaviorClose]));
  assert.is(traces.size, cases.length);
});

test.run();
