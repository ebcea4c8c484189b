import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nativeAddonsAllowed, type DenoNamespace } from './deno-api.ts';

/** A stand-in for the Deno namespace whose permission queries answer from `states`. */
function denoWith(states: Record<string, string>): DenoNamespace {
  const unused = (): never => {
    throw new Error('not used');
  };
  return {
    listen: unused,
    listenTls: unused,
    readTextFile: unused,
    errors: { BadResource: class extends Error {}, Interrupted: class extends Error {} },
    permissions: { querySync: ({ name }) => ({ state: states[name] ?? 'prompt' }) },
  };
}

test('native addons load only when ffi, read and env are all granted already (never a permission prompt)', () => {
  assert.ok(nativeAddonsAllowed(denoWith({ ffi: 'granted', read: 'granted', env: 'granted' })));
  assert.not.ok(nativeAddonsAllowed(denoWith({ read: 'granted', env: 'granted' })), 'ffi would prompt');
  assert.not.ok(nativeAddonsAllowed(denoWith({ ffi: 'granted', env: 'granted' })), 'read would prompt');
  assert.not.ok(nativeAddonsAllowed(denoWith({ ffi: 'granted', read: 'granted', env: 'denied' })), 'env denied');
});

test.run();
