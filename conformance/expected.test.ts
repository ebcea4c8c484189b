// The committed expected results, checked on every `npm test` (CI): the core in-process, and the current
// runtime's adapter over TLS with permessage-deflate. Any difference fails — a regression, or an improvement
// that must be committed (npm run conformance -- ... --save-expect FILE). The slow cases (most of 9.x, the
// larger 12.x/13.x) are left to `npm run conformance:full`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { detectRuntime, serveOnCurrentRuntime } from '../adapters/runtime.ts';
import { generateSelfSignedCertificate } from '../adapters/shared/self-signed.ts';
import type { ServerWebSocket } from '../adapters/shared/types.ts';
import { projectPath } from '../scripts/project-path.ts';
import { selectCases } from './cases/index.ts';
import { differences, parseExpected } from './expect.ts';
import { runInProcess } from './inprocess/run-inprocess.ts';
import { runSuite } from './runner.ts';
import type { CaseResult } from './types.ts';

/** The cases CI runs: everything but the slow ones. Light cases run in parallel, heavy ones one at a time. */
const LIGHT_CASES = ['1.*', '2.*', '3.*', '4.*', '5.*', '6.*', '7.*', '10.*'];
const HEAVY_CASES = ['9.1.1', '9.2.1', '9.3.1', '9.4.1', '9.5.1', '9.6.1', '9.7.1', '9.8.1', '12.*.1', '12.*.2', '13.*.1', '13.*.2'];
export const CI_CASES = [...LIGHT_CASES, ...HEAVY_CASES];

function expected(name: string) {
  return parseExpected(readFileSync(projectPath('conformance', 'expected', name), 'utf8'));
}

function describe(results: CaseResult[], file: string): string[] {
  return differences(results, expected(file)).map(
    (d) => `${d.kind} ${d.id}: expected ${d.expected.behavior}/${d.expected.behaviorClose}, got ${d.actual.behavior}/${d.actual.behaviorClose}`,
  );
}

test('the core in-process matches conformance/expected/in-process.json', () => {
  const results = selectCases(CI_CASES).map((c) => runInProcess(c));
  assert.ok(results.length > 270);
  assert.equal(describe(results, 'in-process.json'), []);
});

const runtime = detectRuntime();
const file = `${runtime}-wss-deflate.json`;

test(`the ${runtime} adapter over wss with permessage-deflate matches conformance/expected/${file}`, async () => {
  const MAX = 64 * 1024 * 1024;
  const server = await serveOnCurrentRuntime({
    port: 0,
    tls: await generateSelfSignedCertificate(),
    deflate: {},
    limits: { maxMessageSize: MAX, maxFrameSize: MAX, pingIntervalMs: 0 },
    websocket: {
      message(ws: ServerWebSocket<unknown>, data: string | Uint8Array) {
        ws.send(data);
      },
    },
  });
  try {
    const target = { kind: 'url', url: server.url } as const;
    // Client and server share this process: a heavy case (synchronous compression) would delay the timers of
    // cases running beside it, so heavy cases run alone, after the light ones.
    const light = await runSuite({ cases: selectCases(LIGHT_CASES), target, parallel: 8 });
    const heavy = await runSuite({ cases: selectCases(HEAVY_CASES), target, parallel: 1, parallelHeavy: 1 });
    assert.equal(describe([...light, ...heavy], file), []);
  } finally {
    await server.stop({ force: true });
  }
});

test.run();
