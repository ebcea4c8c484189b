/**
 * websock/node — the WebSocket server on Node (node:net / node:tls), and an upgrade handler for an existing
 * node:http(s) server.
 */
export { serve, decodeUtf8Buffer, type NodeServeOptions, type NodeTlsConfig } from './serve.ts';
export { createUpgradeHandler, type UpgradeHandler, type UpgradeHandlerOptions } from './upgrade-handler.ts';
export type * from '../shared/types.ts';
import type { AdapterCapabilities } from '../shared/types.ts';

/** What this adapter can do (see {@link AdapterCapabilities}). */
export const capabilities: AdapterCapabilities = { runtime: 'node', tlsBackpressure: true, httpServerUpgrade: true, syncFlush: { tcp: true, tls: false } };
export { MisuseError } from '../../core/errors.ts';
