/**
 * Bad results of the `fetch` and `upgrade` hooks (application values) are answered 500 and logged, like a hook that
 * throws: never a connection closed without an answer, and never a silent accept. Sessions over a fake transport.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveServerConfig } from './options.ts';
import { ServerState } from './server-state.ts';
import { FakeTransport } from '../test/fake-transport.ts';
import type { ServeOptions } from './types.ts';

const encoder = new TextEncoder();

const UPGRADE = 'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
const PLAIN = 'GET /page HTTP/1.1\r\nHost: x\r\n\r\n';

/** Runs one request through a session; returns what was written, what was logged and whether `open` ran. */
async function exchange(options: Partial<ServeOptions<unknown>>, request: string): Promise<{ text: string; logged: unknown[]; opened: boolean; closed: boolean }> {
  const logged: unknown[] = [];
  let opened = false;
  const original = console.error;
  console.error = (...args: unknown[]) => void logged.push(args[args.length - 1]);
  try {
    const config = resolveServerConfig<unknown>({ websocket: { open: () => void (opened = true) }, ...options } as ServeOptions<unknown>, { secure: false });
    const state = new ServerState<unknown>(config);
    const transport = new FakeTransport();
    const session = state.connect(transport);
    session.onData(encoder.encode(request));
    for (let i = 0; i < 5; i++) await Promise.resolve(); // async hooks settle
    const result = { text: transport.text(), logged: [...logged], opened, closed: transport.closed };
    session.terminate();
    return result;
  } finally {
    console.error = original;
  }
}

const status = (text: string) => text.slice(9, 12);

test('fetch: a body that is an object, a number or an array answers 500 and is logged', async () => {
  for (const body of [{ a: 1 }, 5, [1, 2], null]) {
    for (const async of [false, true]) {
      const response = { status: 200, body: body as unknown as string };
      const r = await exchange({ fetch: () => (async ? Promise.resolve(response) : response) }, PLAIN);
      assert.is(status(r.text), '500', `${JSON.stringify(body)} async=${async}: ${r.text}`);
      assert.is(r.logged.length, 1);
      assert.ok(r.closed);
    }
  }
  const ok = await exchange({ fetch: () => ({ status: 200, body: new Uint8Array([0x68, 0x69]) }) }, PLAIN);
  assert.is(status(ok.text), '200');
  assert.ok(ok.text.endsWith('\r\n\r\nhi'));
});

test('upgrade: a refusal whose body is not text or bytes answers 500 and is logged', async () => {
  for (const body of [{ a: 1 }, 5, [1, 2]]) {
    const r = await exchange({ upgrade: () => ({ status: 403, body: body as unknown as string }) }, UPGRADE);
    assert.is(status(r.text), '500', JSON.stringify(body));
    assert.is(r.logged.length, 1);
    assert.not.ok(r.opened);
  }
});

test('upgrade: headers that are not a record or pairs answer 500 (accept and refusal)', async () => {
  for (const decision of [{ headers: 5 }, { status: 403, headers: 'x' }]) {
    const r = await exchange({ upgrade: () => decision as unknown as undefined }, UPGRADE);
    assert.is(status(r.text), '500', JSON.stringify(decision));
    assert.is(r.logged.length, 1);
    assert.not.ok(r.opened);
  }
});

test('upgrade: a result that is not undefined, an accept or a 400–599 refusal answers 500, logged, not opened', async () => {
  const bad: unknown[] = ['yes', 42, null, true, [], { status: 200 }, { status: 399 }, { status: 101 }, { status: 600 }, { status: '403' }, { protocol: 5 }];
  for (const decision of bad) {
    for (const async of [false, true]) {
      const r = await exchange({ upgrade: () => (async ? Promise.resolve(decision) : decision) as undefined }, UPGRADE);
      assert.is(status(r.text), '500', `${JSON.stringify(decision)} async=${async}: ${r.text}`);
      assert.is(r.logged.length, 1);
      assert.not.ok(r.opened);
      assert.ok(r.closed);
    }
  }
  const refused = await exchange({ upgrade: () => ({ status: 451, body: 'no' }) }, UPGRADE);
  assert.is(status(refused.text), '451');
  const accepted = await exchange({ upgrade: () => ({ data: 1 }) }, UPGRADE);
  assert.is(status(accepted.text), '101');
  assert.ok(accepted.opened);
});

test.run();
