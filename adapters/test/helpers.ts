/** Helpers of the adapter integration suite: runtime detection, the adapter under test, waiting. */
import { serve as serveNode, capabilities as nodeCapabilities } from '../node/index.ts';
import { serve as serveBun, capabilities as bunCapabilities } from '../bun/index.ts';
import { serve as serveDeno, capabilities as denoCapabilities } from '../deno/index.ts';
import type { AdapterCapabilities, ServeOptions, Server } from '../shared/types.ts';

/** The runtime running the suite. */
export const runtime: 'node' | 'bun' | 'deno' =
  typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined' ? 'bun' : typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined' ? 'deno' : 'node';

const override = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.['WEBSOCK_ADAPTER'];

/**
 * The adapter under test: the current runtime's, or `WEBSOCK_ADAPTER=node` to run the Node adapter on Bun's
 * or Deno's node:net compatibility layer.
 */
export const adapter: 'node' | 'bun' | 'deno' = override === 'node' || override === 'bun' || override === 'deno' ? override : runtime;

/** `serve()` of the adapter under test. */
export const serve: <T>(options: ServeOptions<T>) => Promise<Server> = adapter === 'bun' ? serveBun : adapter === 'deno' ? serveDeno : serveNode;

export { sleep, waitUntil } from './wait.ts';

/** Runs `fn` with console.error silenced (for tests that make handlers throw on purpose). */
export async function quietly<R>(fn: () => Promise<R>): Promise<R> {
  const original = console.error;
  console.error = () => {};
  try {
    return await fn();
  } finally {
    console.error = original;
  }
}

/** Bytes of a given size with a recognisable pattern. */
export function pattern(size: number, seed = 0): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Capabilities of the adapter under test. */
export const capabilities: AdapterCapabilities = adapter === 'bun' ? bunCapabilities : adapter === 'deno' ? denoCapabilities : nodeCapabilities;
