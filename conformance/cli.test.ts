import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { allCases, matchesPattern, selectCases } from './cases/index.ts';
import { parseArgs } from './cli.ts';
import { differences, parseExpected, passes } from './expect.ts';
import type { CaseResult } from './types.ts';

function result(id: string, behavior: CaseResult['behavior'], behaviorClose: CaseResult['behaviorClose']): CaseResult {
  return {
    id, behavior, behaviorClose, description: '', expectation: '', result: '', resultClose: '', duration: 1, remoteCloseCode: 1000, extensions: '',
    facts: { opened: true, closedByMe: true, failedByMe: false, droppedByMe: false, wasClean: true, remoteCloseCode: 1000, remoteCloseReason: null, wasNotCleanReason: null },
  };
}

test('the catalogue holds 517 cases with unique ids in suite order', () => {
  const ids = allCases().map((c) => c.id);
  assert.is(ids.length, 517);
  assert.is(new Set(ids).size, 517);
  assert.is(ids[0], '1.1.1');
  assert.is(ids[ids.length - 1], '13.7.18');
});

test('case patterns: exact ids and globs, includes minus excludes, numeric order', () => {
  assert.ok(matchesPattern('6.4.1', '6.4.*'));
  assert.ok(!matchesPattern('6.40.1', '6.4.*'));
  assert.ok(matchesPattern('12.1.1', '*'));
  assert.ok(matchesPattern('7.13.2', '7.*.2'));
  assert.ok(!matchesPattern('7.1.1', '7.1'));
  assert.is(selectCases(['1.*']).length, 16);
  assert.is(selectCases([], ['9.*', '12.*', '13.*']).length, 247);
  assert.equal(selectCases(['6.10.*', '6.9.1']).map((c) => c.id).slice(0, 2), ['6.9.1', '6.10.1']);
});

test('arguments: url or in-process, lists, numbers; errors on anything else', () => {
  const o = parseArgs(['--url', 'wss://127.0.0.1:9/x', '--cases', '1.*,2.1', '--exclude=9.*', '--parallel', '4', '--agent', 'me']);
  assert.equal([o.url, o.cases, o.exclude, o.parallel, o.agent, o.inProcess], ['wss://127.0.0.1:9/x', ['1.*', '2.1'], ['9.*'], 4, 'me', false]);
  assert.is(parseArgs(['--in-process']).inProcess, true);
  assert.throws(() => parseArgs([]), /exactly one/);
  assert.throws(() => parseArgs(['--in-process', '--url', 'ws://x']), /exactly one/);
  assert.throws(() => parseArgs(['--in-process', '--parallel', '0']), /parallel/);
  assert.throws(() => parseArgs(['--in-process', '--bogus']), /unknown option/);
  assert.throws(() => parseArgs(['--url']), /needs a value/);
});

test('expectations: index.json shape or flat map; passes and differences', () => {
  const flat = parseExpected(JSON.stringify({ '6.4.1': { behavior: 'NON-STRICT', behaviorClose: 'OK' } }));
  assert.equal(flat.get('6.4.1'), { behavior: 'NON-STRICT', behaviorClose: 'OK' });
  const index = parseExpected(JSON.stringify({ a: { '1.1.1': { behavior: 'OK', behaviorClose: 'OK', duration: 3 } }, b: {} }), 'a');
  assert.is(index.size, 1);
  assert.throws(() => parseExpected(JSON.stringify({ a: {}, b: {} })), /choose one/);
  assert.throws(() => parseExpected(JSON.stringify({ '1.1.1': { behavior: 1 } })), /bad expected/);

  assert.ok(passes(result('6.4.1', 'NON-STRICT', 'OK'), flat));
  assert.ok(!passes(result('6.4.1', 'NON-STRICT', 'OK'), undefined));
  const diffs = differences([
    result('6.4.1', 'OK', 'OK'),          // expected NON-STRICT: improvement
    result('1.1.1', 'FAILED', 'OK'),      // expected OK/OK by default: regression
    result('6.4.1', 'FAILED', 'UNCLEAN'), // neither: changed
    result('2.1', 'OK', 'OK'),
  ], flat);
  assert.equal(diffs.map((d) => `${d.id}:${d.kind}`), ['6.4.1:improvement', '1.1.1:regression', '6.4.1:changed']);
});

test.run();
