// scripts/replay.ts as a command on the runtime running the test: each file fails on its own (the valid traces
// after a malformed one still replay), a missing path is one FAIL line without a stack, a refused command fails.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingConnection } from '../core/trace/recorder.ts';
import { encodeFrame } from '../adapters/test/raw-client.ts';

const root = process.cwd(); // scripts/test.mjs runs the tests from the repository root
const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined';
const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;

/** Runs `replay ARGS` on this runtime: `{ status, out }` (stdout and stderr together). */
function replay(args: string[]): { status: number | null; out: string } {
  let command: string;
  let argv: string[];
  if (isBun) [command, argv] = [process.execPath, [join(root, 'scripts/replay.ts'), ...args]];
  else if (deno !== undefined) [command, argv] = [deno.execPath(), ['run', '-A', '--quiet', join(root, 'scripts/replay.ts'), ...args]];
  else {
    // Under the repository, where node_modules (pako) resolves.
    const bundle = join(root, 'build', `replay-test-${process.pid}.mjs`);
    const built = spawnSync(join(root, 'node_modules/.bin/esbuild'), [join(root, 'scripts/replay.ts'), '--bundle', '--platform=node', '--format=esm', '--packages=external', `--outfile=${bundle}`, '--log-level=error'], { cwd: root, encoding: 'utf8' });
    assert.is(built.status, 0, built.stderr);
    try {
      const run = spawnSync(process.execPath, [bundle, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
      return { status: run.status, out: `${run.stdout}${run.stderr}` };
    } finally {
      rmSync(bundle, { force: true });
    }
  }
  const run = spawnSync(command, argv, { cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  return { status: run.status, out: `${run.stdout}${run.stderr}` };
}

/** A recorded echo connection: request, one text message echoed, a client close. */
function goodTrace(): string {
  const conn = new RecordingConnection({ onEvent: (e) => { if (e.type === 'request') conn.accept(); else if (e.type === 'message') conn.send(e.data); } }, { label: 'good' });
  const head = 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
  conn.receive(new TextEncoder().encode(head), 0);
  conn.takeWrites();
  conn.receive(encodeFrame(1, new TextEncoder().encode('hi')), 1);
  conn.takeWrites();
  conn.receive(encodeFrame(8, new Uint8Array([3, 232])), 2);
  conn.takeWrites();
  return conn.recorder.serialize();
}

test('replay: malformed options, refused commands and missing paths are FAIL lines; the rest replays; exit 1', () => {
  const work = mkdtempSync(join(tmpdir(), 'websock-replay-'));
  try {
    const dir = join(work, 'traces');
    mkdirSync(dir);
    writeFileSync(join(dir, 'a-bad-limits.jsonl'), '{"websockTrace":1,"options":{"limits":{"maxMessageSize":-1}},"app":"echo"}\n{"t":0,"in":"AAAA"}\n');
    writeFileSync(join(dir, 'b-bad-deflate.jsonl'), '{"websockTrace":1,"options":{"deflate":{"serverMaxWindowBits":99}},"app":"echo"}\n');
    writeFileSync(join(dir, 'c-good.jsonl'), goodTrace());
    writeFileSync(join(dir, 'd-bad-close.jsonl'), '{"websockTrace":1,"label":"x","options":{},"meta":{}}\n{"t":0,"cmd":{"type":"close","code":99999,"reason":"x"}}\n');
    const missing = join(work, 'does-not-exist.jsonl');
    const { status, out } = replay([dir, missing]);
    assert.is(status, 1, out);
    assert.match(out, /FAIL \S*a-bad-limits\.jsonl: trace line 1: options: limits\.maxMessageSize/);
    assert.match(out, /FAIL \S*b-bad-deflate\.jsonl: trace line 1: options: deflate\.serverMaxWindowBits/);
    assert.match(out, /ok {3}\S*c-good\.jsonl/);
    assert.match(out, /FAIL \S*d-bad-close\.jsonl[^\n]*\n {2}command refused/);
    assert.match(out, `FAIL ${missing}: no such file or directory`);
    assert.match(out, '1 of 4 traces replayed without divergence');
    assert.not.match(out, /^\s+at /m, 'no stack trace');
    assert.not.match(out, 'MisuseError');
    // The good trace alone: exit 0.
    const alone = replay([join(dir, 'c-good.jsonl')]);
    assert.is(alone.status, 0, alone.out);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
