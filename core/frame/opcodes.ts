/**
 * Frame opcodes (RFC 6455 §5.2, §11.8). Plain numeric constants rather than a `const enum`, because
 * `isolatedModules` forbids inlining enums across files and plain `const`s are inlined by every bundler.
 */

/** Continuation frame of a fragmented message (RFC 6455 §5.4). */
export const OPCODE_CONTINUATION = 0x0;
/** Text data frame: the payload of the whole message is UTF-8 (RFC 6455 §5.6). */
export const OPCODE_TEXT = 0x1;
/** Binary data frame (RFC 6455 §5.6). */
export const OPCODE_BINARY = 0x2;
/** Close control frame (RFC 6455 §5.5.1). */
export const OPCODE_CLOSE = 0x8;
/** Ping control frame (RFC 6455 §5.5.2). */
export const OPCODE_PING = 0x9;
/** Pong control frame (RFC 6455 §5.5.3). */
export const OPCODE_PONG = 0xa;

/** Control frames are those whose opcode has the high bit set (RFC 6455 §5.5). */
export function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

/**
 * Opcodes 0x3–0x7 (data) and 0xB–0xF (control) are reserved; receiving one without a negotiated
 * extension means failing the connection (RFC 6455 §5.2).
 */
export function isReservedOpcode(opcode: number): boolean {
  return (opcode >= 0x3 && opcode <= 0x7) || opcode >= 0xb;
}
