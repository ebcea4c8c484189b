import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_MESSAGE_MEMORY, resolveAddress, resolveServerConfig, serverUrl } from './options.ts';
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
  assert.is(c.messageBudget.limit, DEFAULT_MAX_MESSAGE_MEMORY);
  assert.is(resolve({ limits: { maxMessageSize: 200 * 1024 * 1024 } }).messageBudget.limit, 400 * 1024 * 1024, 'twice a large maxMessageSize');
  assert.is(resolve({ maxMessageMemory: Infinity }).messageBudget.limit, Infinity);
  assert.is.not(resolve({}).messageBudget, c.messageBudget, 'one budget per server');
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
    { maxMessageMemory: NaN },
    { maxMessageMemory: '1e9' },
    { maxMessageMemory: 1000 }, // below the default maxMessageSize: no message of the largest size could complete
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

const isMisuse = (e: unknown) => e instanceof MisuseError && e.code === 'INVALID_OPTION';

test('deflate: checked and resolved once, here (not per connection)', () => {
  assert.is(resolve({}).deflate, false);
  assert.is(resolve({ deflate: false }).deflate, false);
  const c = resolve({ deflate: { serverMaxWindowBits: 10 } });
  assert.ok(c.deflate !== false && c.deflate.serverMaxWindowBits === 10 && c.deflate.level === 1);
  assert.ok(Object.isFrozen(c.deflate));
  for (const bad of [
    { serverMaxWindowBits: 99 },
    { clientMaxWindowBits: 7 },
    { level: 10 },
    { memLevel: 0 },
    { threshold: -1 },
    { serverNoContextTakeover: 'yes' },
    { serverMaxWindowBit: 10 }, // a typo
  ]) {
    assert.throws(() => resolve({ deflate: bad } as Partial<ServeOptions<unknown>>), isMisuse, JSON.stringify(bad));
  }
  for (const bad of [true, 5, null, 'on', [1]]) {
    assert.throws(() => resolve({ deflate: bad } as unknown as Partial<ServeOptions<unknown>>), isMisuse, String(bad));
  }
});

test('handlers and hooks must be functions', () => {
  for (const name of ['open', 'message', 'fragment', 'close', 'drain', 'ping', 'pong', 'error']) {
    for (const bad of [5, 'x', {}, null]) {
      assert.throws(() => resolve({ websocket: { [name]: bad } } as Partial<ServeOptions<unknown>>), isMisuse, `${name}: ${String(bad)}`);
    }
  }
  assert.throws(() => resolve({ websocket: { publishToSelf: 1 } } as unknown as Partial<ServeOptions<unknown>>), isMisuse);
  assert.throws(() => resolve({ upgrade: 5 } as unknown as Partial<ServeOptions<unknown>>), isMisuse);
  assert.throws(() => resolve({ fetch: {} } as unknown as Partial<ServeOptions<unknown>>), isMisuse);
  const ok = resolve({ websocket: { open() {}, message: () => undefined, publishToSelf: true }, upgrade: () => undefined, fetch: () => ({ status: 200 }) });
  assert.type(ok.handlers.open, 'function');
});

test('unknown keys of limits, pubsub, backpressure and deflate are refused (typos)', () => {
  for (const bad of [
    { limits: { bogus: 1 } },
    { limits: { maxFrameSise: 1 } },
    { limits: 5 },
    { limits: null },
    { pubsub: { maxTopics: 5 } },
    { origins: [/example\.com/] },
    { origins: 'https://example.com' },
    { backpressure: { highWatermark: 5 } },
    { deflate: { windowBits: 10 } },
  ]) {
    assert.throws(() => resolve(bad as unknown as Partial<ServeOptions<unknown>>), isMisuse, JSON.stringify(bad));
  }
  assert.is(resolve({ limits: { maxFrameSize: 10 } }).limits.maxFrameSize, 10);
  assert.is(resolve({ pubsub: { maxTopicsPerSocket: 5 } }).topicLimits.maxTopicsPerSocket, 5);
  // An option given as undefined takes its default (as backpressure's do).
  assert.equal(resolve({ pubsub: { maxTopicsPerSocket: undefined } }).topicLimits, resolve({}).topicLimits);
});

test.run();
