/**
 * Decoding of text messages. The core has already validated the UTF-8, so decoding need not check it;
 * runtimes may inject something faster (Node: `Buffer#toString('utf8')` over the same memory).
 */

/** Turns validated UTF-8 bytes into a string. Must not keep the bytes. */
export type TextDecodeFn = (bytes: Uint8Array) => string;

const sharedDecoder = new TextDecoder('utf-8');

/** The portable decoder: one shared `TextDecoder` (stateless calls, so sharing is safe). */
export const decodeUtf8: TextDecodeFn = (bytes) => sharedDecoder.decode(bytes);
