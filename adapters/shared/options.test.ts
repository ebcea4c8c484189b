import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_MAX_CONNECTIONS, resolveAddress, resolveServerConfig, serverUrl } from './options.ts';
import { MisuseError } from '../../core/errors.ts';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import type { ServeOptions } from './types.ts';

const resolve = (options: Partial<ServeOptions<unknown>>) => resolveServerConfig({ websocket: {}, ...options } as ServeOptions<unknown>, { secure: false });

test('defaults: water marks from the limits, wait policy, 1008', () => {
  const c = resolve({});
  assert.is(c.highWaterMark, DEFAULT_LIMITS.outboundHighWaterMark);
  assert.is(c.lowWaterMark, DEFAULT_LIMITS.outboundLowWaterMark);
  assert.is(c.onLimit, 'wait');
  assert.is(c.limitCloseCode, 1008);
  assert.is(c.receiveMode, 'message');
  assert.is(c.stopTimeoutMs, DEFAULT_LIMITS.closeTimeoutMs + 1000);
  assert.is(c.maxConnections, DEFAULT_MAX_CONNECTIONS);
  assert.is(resolve({ maxConnections: Infinity }).maxConnections, Infinity);
});

test('misuse throws MisuseError', () => {
  for (const bad of [
    { backpressure: { highWaterMark: 10, lowWaterMark: 20 } },
    { backpressure: { onLimit: 'explode' } },
    { backpressure: { closeCode: 1000 } },
    { receiveMode: 'bytes' },
    { protocols: [''] },
    { limits: { maxFrameSize: -1 } },
    { maxConnections: 0 },
    { maxConnections: 2.5 },
    { maxConnections: NaN },
  ]) {
    assert.throws(() => resolve(bad as Partial<ServeOptions<unknown>>), (e: unknown) => e instanceof MisuseError, JSON.stringify(bad));
  }
  assert.throws(() => resolveServerConfig({} as ServeOptions<unknown>, { secure: false }), (e: unknown) => e instanceof MisuseError);
  assert.throws(() => resolveAddress({ port: 70000 }), (e: unknown) => e instanceof MisuseError);
});

test('addresses and URLs', () => {
  assert.equal(resolveAddress({}), { port: 0, hostname: '127.0.0.1' });
  assert.is(serverUrl(true, '::1', 8443), 'wss://[::1]:8443/');
  assert.is(serverUrl(false, '127.0.0.1', 80), 'ws://127.0.0.1:80/');
});

test.run();
