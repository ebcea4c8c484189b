/**
 * The few `Deno.*` APIs the Deno adapter uses, typed locally so that the project type-checks without Deno's
 * global declarations (tsc runs with Node and Bun types), and reached through `globalThis` at call time.
 */
import { MisuseError } from '../../core/errors.ts';

/** A network address as Deno reports it. */
export interface DenoNetAddr {
  readonly transport: string;
  readonly hostname: string;
  readonly port: number;
}

/** `Deno.Conn` / `Deno.TlsConn`, as used here. */
export interface DenoConn {
  readonly remoteAddr: DenoNetAddr;
  read(buffer: Uint8Array): Promise<number | null>;
  write(data: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  setNoDelay?(noDelay?: boolean): void;
}

/** `Deno.Listener`, as used here. */
export interface DenoListener {
  readonly addr: DenoNetAddr;
  accept(): Promise<DenoConn>;
  close(): void;
}

/** The `Deno` namespace, as used here. */
export interface DenoNamespace {
  listen(options: { hostname: string; port: number; transport?: 'tcp' }): DenoListener;
  listenTls(options: { hostname: string; port: number; cert: string; key: string; alpnProtocols?: string[] }): DenoListener;
  readTextFile(path: string): Promise<string>;
  /** Error classes; `BadResource` and `Interrupted` are what a closed listener's `accept()` rejects with. */
  readonly errors: { readonly BadResource: abstract new () => Error; readonly Interrupted: abstract new () => Error };
  readonly permissions: { querySync(descriptor: { name: 'env' | 'ffi' | 'read' }): { readonly state: string } };
}

/**
 * Whether native addons (Node-API, e.g. bufferutil) can be loaded without Deno asking the user: that needs
 * `--allow-ffi`, plus reading files and environment variables, all granted already.
 */
export function nativeAddonsAllowed(deno: DenoNamespace): boolean {
  return (['ffi', 'read', 'env'] as const).every((name) => deno.permissions.querySync({ name }).state === 'granted');
}

/** The `Deno` global; throws {@link MisuseError} on another runtime. */
export function denoNamespace(): DenoNamespace {
  const deno = (globalThis as { Deno?: DenoNamespace }).Deno;
  if (deno === undefined) throw new MisuseError('INVALID_STATE', 'websock/deno needs the Deno runtime');
  return deno;
}
