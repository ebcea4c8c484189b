/**
 * websock — a secure WebSocket server for Node, Bun and Deno over a sans-I/O RFC 6455 / RFC 7692 core.
 *
 * This entry holds the runtime-neutral user API (types, errors, limits). `serve()` comes from the adapter
 * of your runtime, with the same options and socket API everywhere:
 *
 *   import { serve } from 'websock/node';   // or 'websock/bun', 'websock/deno'
 *   const server = await serve({ port: 8443, tls: { cert, key }, websocket: { message: (ws, data) => ws.send(data) } });
 *
 * The protocol engine alone is `websock/core`.
 */
export type {
  BackpressureOptions,
  HeadersInit,
  HttpRequest,
  HttpResponse,
  PeerFailure,
  ServeOptions,
  Server,
  ServerWebSocket,
  TlsConfig,
  UpgradeAccept,
  UpgradeContext,
  UpgradeDecision,
  UpgradeReject,
  UpgradeRequest,
  WebSocketHandlers,
} from './adapters/shared/types.ts';
export type { Transport, TransportSink } from './adapters/shared/transport.ts';
export { MisuseError, type MisuseCode, type PeerErrorCode } from './core/errors.ts';
export { DEFAULT_LIMITS, type Limits } from './core/limits.ts';
export type { DeflateOptions, DeflateParams } from './core/deflate/options.ts';
export type { ExtensionOffer } from './core/extension-offer.ts';
/** WebAssembly SIMD unmasking for the core's `accelerators` option (what the adapters use). */
export { wasmRunUnmask, wasmUnmask } from './adapters/shared/wasm-unmask.ts';
export { nativeUnmask } from './adapters/shared/native-unmask.ts';
