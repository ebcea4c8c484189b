/**
 * websock/core — the sans-I/O WebSocket protocol engine (RFC 6455 server role, RFC 7692 permessage-deflate).
 * Bytes in, events out, bytes to write out; time enters as a number. No runtime APIs.
 */
export {
  ServerConnection,
  decodeText,
  type AcceptOptions,
  type ConnectionEventListener,
  type ConnectionState,
  type ParsedRequest,
  type RejectOptions,
  type SendOptions,
  type ServerConnectionOptions,
} from './connection.ts';
export type { ConnectionEvent, HandshakeRequest, PlainHttpRequest } from './events.ts';
export type { ExtensionOffer } from './extension-offer.ts';
export { DEFAULT_LIMITS, resolveLimits, type Limits } from './limits.ts';
export { MemoryBudget } from './memory-budget.ts';
export { MisuseError, type MisuseCode, type PeerErrorCode } from './errors.ts';
export type { DeflateOptions, DeflateParams } from './deflate/options.ts';
export type { DeflateCodec, MessageCompressor, MessageDecompressor } from './deflate/codec.ts';
export { computeAcceptKey } from './http/accept-key.ts';
export type { Accelerators, AcceleratorThresholds, AllocUninitialized, BulkUnmask } from './accelerators.ts';
export type { BulkUtf8Check } from './text/utf8.ts';
