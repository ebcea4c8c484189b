/**
 * Decoding of text messages. The core has already validated the UTF-8, so decoding need not check it;
 * runtimes may inject something faster (Node: `Buffer#toString('utf8')` over the same memory).
 */

import { decodeText } from '../../core/connection.ts';

/** Turns validated UTF-8 bytes into a string. Must not keep the bytes. */
export type TextDecodeFn = (bytes: Uint8Array) => string;

/** The portable decoder: the core's (one shared `TextDecoder`). */
export const decodeUtf8: TextDecodeFn = decodeText;
