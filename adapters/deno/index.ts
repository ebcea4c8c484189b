/** websock/deno — the WebSocket server on Deno (`Deno.listen` / `Deno.listenTls`). */
export { serve } from './serve.ts';
export type * from '../shared/types.ts';
import type { AdapterCapabilities } from '../shared/types.ts';

/** What this adapter can do (see {@link AdapterCapabilities}). */
export const capabilities: AdapterCapabilities = { runtime: 'deno', tlsBackpressure: true, httpServerUpgrade: false, syncFlush: { tcp: false, tls: false } };
export { MisuseError } from '../../core/errors.ts';
