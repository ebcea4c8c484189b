import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ACCEPT_RETRY_MAX_MS, ACCEPT_RETRY_MIN_MS, acceptLoop } from './accept-loop.ts';

class Gone extends Error {}

/**
 * Drives the loop with a scripted listener: each step is a connection name, an error to reject with, or 'gone'
 * (the listener closed). Records what the loop did, in order.
 */
async function run(steps: readonly (string | Error)[], stopAfter?: number) {
  const log: string[] = [];
  const pauses: number[] = [];
  let next = 0;
  let stopped = false;
  await acceptLoop<string>({
    accept: async () => {
      const step = steps[next++];
      if (step === undefined || step === 'gone') throw new Gone('listener closed');
      if (step instanceof Error) throw step;
      return step;
    },
    onConnection: (conn) => {
      log.push(`conn ${conn}`);
      if (stopAfter !== undefined && log.length >= stopAfter) stopped = true;
    },
    stopped: () => stopped,
    listenerGone: (error) => error instanceof Gone,
    onError: (error) => log.push(`error ${(error as Error).message}`),
    pause: async (ms) => {
      pauses.push(ms);
    },
  });
  return { log, pauses, accepted: next };
}

test('a failed accept (EMFILE) does not end the loop: it pauses, then accepts again', async () => {
  const emfile = new Error('Too many open files (os error 24)');
  const { log, pauses } = await run(['a', emfile, emfile, emfile, 'b', 'gone']);
  assert.equal(log, ['conn a', 'error Too many open files (os error 24)', 'conn b']);
  assert.equal(pauses, [ACCEPT_RETRY_MIN_MS, ACCEPT_RETRY_MIN_MS * 2, ACCEPT_RETRY_MIN_MS * 4]);
});

test('the pause doubles up to its maximum and starts over after a success; one report per run of failures', async () => {
  const failures = Array.from({ length: 12 }, () => new Error('EMFILE'));
  const { log, pauses } = await run([...failures, 'a', new Error('ECONNABORTED'), 'b', 'gone']);
  assert.equal(log, ['error EMFILE', 'conn a', 'error ECONNABORTED', 'conn b']);
  assert.is(pauses.length, 13);
  assert.is(Math.max(...pauses), ACCEPT_RETRY_MAX_MS);
  assert.is(pauses[11], ACCEPT_RETRY_MAX_MS);
  assert.is(pauses[12], ACCEPT_RETRY_MIN_MS, 'reset after the accepted connection');
  for (let i = 1; i < 12; i++) assert.is(pauses[i], Math.min(pauses[i - 1]! * 2, ACCEPT_RETRY_MAX_MS));
});

test('the loop ends when the listener is gone, or once the server stops', async () => {
  const gone = await run(['a', 'gone', 'b']);
  assert.equal(gone.log, ['conn a']);
  const stopped = await run(['a', 'b', 'c'], 2);
  assert.equal(stopped.log, ['conn a', 'conn b']);
  assert.is(stopped.accepted, 2, 'no accept after the stop');
});

test.run();
