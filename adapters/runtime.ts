/**
 * Runtime detection and a `serve()` that picks the adapter of the runtime it runs on — for scripts and tests
 * that run unchanged everywhere. Applications normally import `websock/node`, `websock/bun` or `websock/deno`.
 * Also the few process-level helpers (signals, exit) whose APIs differ between runtimes.
 */
import type { ServeOptions, Server } from './shared/types.ts';

/** The JavaScript runtimes websock supports. */
export type RuntimeName = 'node' | 'bun' | 'deno';

interface DenoProcessApi {
  addSignalListener(signal: string, handler: () => void): void;
  exit(code?: number): never;
}
interface NodeProcessApi {
  on(event: string, handler: () => void): unknown;
  exit(code?: number): never;
  argv: string[];
}

const denoApi = (globalThis as { Deno?: DenoProcessApi & { args: string[] } }).Deno;
const nodeProcess = (globalThis as { process?: NodeProcessApi }).process;

/** The runtime executing this code (Bun and Deno also define `process`, so they are checked first). */
export function detectRuntime(): RuntimeName {
  if (typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined') return 'bun';
  if (denoApi !== undefined) return 'deno';
  return 'node';
}

/** `serve()` of the current runtime's adapter. */
export async function serveOnCurrentRuntime<T>(options: ServeOptions<T>): Promise<Server<T>> {
  switch (detectRuntime()) {
    case 'bun':
      return (await import('./bun/index.ts')).serve(options);
    case 'deno':
      return (await import('./deno/index.ts')).serve(options);
    default:
      return (await import('./node/index.ts')).serve(options);
  }
}

/** Command-line arguments after the script name, on every runtime. */
export function scriptArguments(): string[] {
  if (denoApi !== undefined) return [...denoApi.args];
  return nodeProcess ? nodeProcess.argv.slice(2) : [];
}

/** Calls `handler` once on SIGINT or SIGTERM. */
export function onTerminationSignal(handler: (signal: string) => void): void {
  let called = false;
  const once = (signal: string) => () => {
    if (called) return;
    called = true;
    handler(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    if (denoApi !== undefined) denoApi.addSignalListener(signal, once(signal));
    else nodeProcess?.on(signal, once(signal));
  }
}

/** Ends the process with `code`. */
export function exitProcess(code: number): never {
  if (denoApi !== undefined) return denoApi.exit(code);
  if (nodeProcess !== undefined) return nodeProcess.exit(code);
  throw new Error(`exit ${code}`);
}
