/**
 * Inflating the server's permessage-deflate payloads in tests (node:zlib, on every runtime). Moved here from
 * adapter.test.ts so that the pub/sub suite uses the same helpers.
 */
import { inflateRawSync, constants as zlibConstants } from 'node:zlib';

/** RFC 7692 §7.2.2: the 4 octets the sender strips from the end of each compressed message. */
export const SYNC_TAIL = Buffer.from([0, 0, 0xff, 0xff]);

/** Inflates one compressed message payload (a message that does not refer back into earlier ones). */
export const inflate = (payload: Uint8Array): Uint8Array => inflateRawSync(Buffer.concat([payload, SYNC_TAIL]), { finishFlush: zlibConstants.Z_SYNC_FLUSH });

/**
 * The last of several messages compressed with context takeover: it may refer back into the earlier ones, so the
 * payloads are inflated as one stream (each ends with a sync flush) and the earlier messages' output is cut off.
 */
export const inflateLast = (payloads: Uint8Array[]): Uint8Array => {
  const before = payloads.length > 1 ? inflateRawSync(Buffer.concat(payloads.slice(0, -1).flatMap((p) => [p, SYNC_TAIL])), { finishFlush: zlibConstants.Z_SYNC_FLUSH }).length : 0;
  return inflateRawSync(Buffer.concat(payloads.flatMap((p) => [p, SYNC_TAIL])), { finishFlush: zlibConstants.Z_SYNC_FLUSH }).subarray(before);
};
