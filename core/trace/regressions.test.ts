/**
 * Replays every trace in conformance/regressions/ (minimized failures saved by the fuzzer, and hand-made ones)
 * and checks every invariant on it, plus split invariance (byte-by-byte and halves, those runs with the
 * accelerators on). A trace whose header
 * `meta.knownFailure` is set documents a bug not fixed yet: it must still fail, so that the fix is noticed
 * (then remove the field and the trace guards the fix). Traces with recorded output must also replay identically.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isUtf8 } from 'node:buffer';
import { checkTrace, testAccelerators } from '../../scripts/fuzz/check.ts';
import { parseTrace } from './jsonl.ts';
import { formatDivergence, replayTrace } from './replay.ts';

/** The folder, from this file or from a bundle in build/ (the Node test run bundles every test into one file). */
function regressionsDir(): string {
  for (const relative of ['../../conformance/regressions/', '../conformance/regressions/']) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  throw new Error(`conformance/regressions/ not found from ${import.meta.url}`);
}

const dir = regressionsDir();
/** The re-chunked runs also use the accelerators: they must change nothing. */
const accelerators = testAccelerators(isUtf8);
const files = readdirSync(dir)
  .filter((name) => name.endsWith('.jsonl'))
  .sort();

test('the regressions folder holds traces', () => {
  assert.ok(files.length > 0, `no .jsonl in ${dir}`);
});

for (const name of files) {
  test(`regression ${name}`, () => {
    const trace = parseTrace(readFileSync(dir + name));
    const known = trace.header.meta['knownFailure'];
    const { violations } = checkTrace(trace, { splits: ['bytes', 'halves'], accelerators });
    if (typeof known === 'string' && known !== '') {
      assert.ok(violations.length > 0, `${name} is marked knownFailure but passes now: the bug looks fixed, remove meta.knownFailure`);
      return;
    }
    assert.equal(violations, [], `${name}: ${violations.map((v) => `${v.kind}: ${v.message}`).join('; ')}`);
    if (trace.records.some((r) => r.kind === 'out')) {
      const result = replayTrace(trace);
      assert.ok(result.ok, result.divergence && formatDivergence(result.divergence));
    }
  });
}

test.run();
