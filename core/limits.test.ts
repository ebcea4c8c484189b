import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_LIMITS, resolveLimits } from './limits.ts';
import { ServerConnection } from './connection.ts';
import { misuseCode } from './testing.ts';

test('resolved limits are frozen, and resolving them again (as each connection does) returns the same object', () => {
  assert.is(resolveLimits(undefined), DEFAULT_LIMITS);
  const resolved = resolveLimits({ maxFrameSize: 1000 });
  assert.ok(Object.isFrozen(resolved));
  assert.is(resolved.maxFrameSize, 1000);
  assert.is(resolved.maxMessageSize, DEFAULT_LIMITS.maxMessageSize);
  assert.is(resolveLimits(resolved), resolved);
  // Two connections of one server share the server's object instead of holding copies.
  assert.is(new ServerConnection({ limits: resolved }).limits, resolved);
  assert.is(new ServerConnection().limits, DEFAULT_LIMITS);
  // A plain object with the same fields is checked and copied, not trusted as resolved.
  const plain = { ...resolved };
  assert.is.not(resolveLimits(plain), plain);
  assert.is(misuseCode(() => resolveLimits({ maxFrameSize: -1 })), 'INVALID_OPTION');
});

test('timeouts must be > 0; only the keepalive interval may be 0 (off)', () => {
  for (const key of ['handshakeTimeoutMs', 'pongTimeoutMs', 'closeTimeoutMs'] as const) {
    assert.is(misuseCode(() => resolveLimits({ [key]: 0 })), 'INVALID_OPTION', key);
    assert.is(resolveLimits({ [key]: 1 })[key], 1);
  }
  assert.is(resolveLimits({ pingIntervalMs: 0 }).pingIntervalMs, 0);
});

test('names that are not limits, and a limits value that is not an object, are misuse (a typo must not pass)', () => {
  assert.is(misuseCode(() => resolveLimits({ bogus: 1 } as Partial<typeof DEFAULT_LIMITS>)), 'INVALID_OPTION');
  assert.is(misuseCode(() => resolveLimits({ maxFrameSise: 1 } as Partial<typeof DEFAULT_LIMITS>)), 'INVALID_OPTION');
  assert.is(misuseCode(() => resolveLimits(5 as unknown as Partial<typeof DEFAULT_LIMITS>)), 'INVALID_OPTION');
  assert.is(misuseCode(() => resolveLimits(null as unknown as Partial<typeof DEFAULT_LIMITS>)), 'INVALID_OPTION');
  assert.is(misuseCode(() => new ServerConnection({ limits: { toString: 1 } as unknown as Partial<typeof DEFAULT_LIMITS> })), 'INVALID_OPTION');
});

test.run();
