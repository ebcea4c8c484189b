/**
 * Loads the native binary of an optional Node-API addon (bufferutil, utf-8-validate: the addons `ws` uses), or
 * returns null. Node, Bun and Deno (with `--allow-ffi`) all load Node-API addons.
 *
 * The binary is loaded through `node-gyp-build` directly, as the addons' own entry points do, because those entry
 * points fall back silently to JavaScript loops that are slower than the core's own.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const cache = new Map<string, unknown>();

/** The addon's native exports, or null when it is not installed, has no binary here, or may not be loaded. */
export function loadNativeAddon(name: 'bufferutil' | 'utf-8-validate'): unknown {
  if (cache.has(name)) return cache.get(name);
  let exports: unknown = null;
  try {
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve(`${name}/package.json`));
    const build = createRequire(`${dir}/index.js`)('node-gyp-build') as (dir: string) => unknown;
    exports = build(dir);
  } catch {
    // Not installed, no prebuilt binary for this platform, or loading native code is not permitted.
  }
  cache.set(name, exports);
  return exports;
}
