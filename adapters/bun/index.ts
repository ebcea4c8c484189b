/**
 * websock/bun — the WebSocket server on Bun (`Bun.listen` raw sockets; see serve.ts for why not Bun.serve).
 * `serve()`'s options mirror Bun.serve's shape: `port`, `hostname`, `tls`, `websocket: { open, message, close, drain, … }`.
 */
export { serve } from './serve.ts';
export type * from '../shared/types.ts';
import type { AdapterCapabilities } from '../shared/types.ts';

/** What this adapter can do (see {@link AdapterCapabilities}). */
export const capabilities: AdapterCapabilities = { runtime: 'bun', tlsBackpressure: true, httpServerUpgrade: false, syncFlush: { tcp: true, tls: true } };
export { MisuseError } from '../../core/errors.ts';
