/**
 * Frame encoding (RFC 6455 §5.2). Server frames are never masked (RFC 6455 §5.1); the masked variant
 * exists for the conformance client and benchmarks.
 */

import { unmask } from './mask.ts';
import { allocateOutputChunk } from './output-slab.ts';

/**
 * Payloads up to this many bytes are copied behind their header into one chunk: below it, handing the
 * transport two chunks costs more than the copy (measured on Node 20, corked writes over loopback).
 * Larger payloads are passed through as their own chunk, without a copy.
 */
export const COPY_PAYLOAD_MAX_BYTES = 4 * 1024;

/** Length of the header of an unmasked frame with this payload length: 2, 4 or 10 bytes (RFC 6455 §5.2). */
export function frameHeaderLength(payloadLength: number): number {
  return payloadLength < 126 ? 2 : payloadLength < 0x10000 ? 4 : 10;
}

/**
 * Writes a frame header into `target` at `offset` and returns its length. `maskKey`, when given, sets the
 * MASK bit and is written after the length (RFC 6455 §5.2). The length uses the minimal encoding:
 * 7 bits up to 125, 16 bits up to 65535, else 64 bits with the most significant bit 0.
 */
function writeHeader(
  target: Uint8Array,
  offset: number,
  fin: boolean,
  rsv1: boolean,
  opcode: number,
  payloadLength: number,
  maskKey: Uint8Array | null,
): number {
  target[offset] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | (opcode & 0x0f);
  const maskBit = maskKey === null ? 0 : 0x80;
  let i = offset + 2;
  if (payloadLength < 126) {
    target[offset + 1] = maskBit | payloadLength;
  } else if (payloadLength < 0x10000) {
    target[offset + 1] = maskBit | 126;
    target[offset + 2] = payloadLength >>> 8;
    target[offset + 3] = payloadLength & 0xff;
    i = offset + 4;
  } else {
    target[offset + 1] = maskBit | 127;
    // Lengths are safe integers (< 2^53), so the high word fits in 21 bits and the MSB stays 0.
    const high = Math.floor(payloadLength / 0x100000000);
    const low = payloadLength >>> 0;
    target[offset + 2] = high >>> 24;
    target[offset + 3] = (high >>> 16) & 0xff;
    target[offset + 4] = (high >>> 8) & 0xff;
    target[offset + 5] = high & 0xff;
    target[offset + 6] = low >>> 24;
    target[offset + 7] = (low >>> 16) & 0xff;
    target[offset + 8] = (low >>> 8) & 0xff;
    target[offset + 9] = low & 0xff;
    i = offset + 10;
  }
  if (maskKey !== null) {
    target[i] = maskKey[0]!;
    target[i + 1] = maskKey[1]!;
    target[i + 2] = maskKey[2]!;
    target[i + 3] = maskKey[3]!;
    i += 4;
  }
  return i - offset;
}

/**
 * The header of an unmasked frame: 2, 4 or 10 bytes (RFC 6455 §5.2). `opcode` is 0–15 and
 * `payloadLength` a non-negative safe integer (not checked: callers are internal).
 */
export function encodeFrameHeader(fin: boolean, rsv1: boolean, opcode: number, payloadLength: number): Uint8Array {
  const header = allocateOutputChunk(frameHeaderLength(payloadLength));
  writeHeader(header, 0, fin, rsv1, opcode, payloadLength, null);
  return header;
}

/**
 * Appends one unmasked frame to `out` and returns the number of bytes appended. A payload of at most
 * {@link COPY_PAYLOAD_MAX_BYTES} is copied behind its header into one new chunk; a larger one is pushed
 * as-is after a separate header chunk, so the caller must not modify it until it has been written.
 * Chunks may share an ArrayBuffer with other chunks (see `output-slab.ts`): never transfer them. Frames of at
 * most `ownUpTo` bytes get an array of their own (see `Accelerators.ownArraysUpTo`).
 */
export function encodeFrame(
  fin: boolean,
  rsv1: boolean,
  opcode: number,
  payload: Uint8Array,
  out: Uint8Array[],
  ownUpTo = 0,
): number {
  const length = payload.length;
  const headerLength = frameHeaderLength(length);
  if (length <= COPY_PAYLOAD_MAX_BYTES) {
    const frame = allocateOutputChunk(headerLength + length, ownUpTo);
    writeHeader(frame, 0, fin, rsv1, opcode, length, null);
    if (length > 0) frame.set(payload, headerLength);
    out.push(frame);
  } else {
    const header = allocateOutputChunk(headerLength);
    writeHeader(header, 0, fin, rsv1, opcode, length, null);
    out.push(header, payload);
  }
  return headerLength + length;
}

/**
 * Appends one masked frame (as a client sends it, RFC 6455 §5.3) to `out` as a single new chunk and
 * returns its length. The payload is copied, never modified. `maskKey` holds 4 bytes.
 */
export function encodeMaskedFrame(
  fin: boolean,
  rsv1: boolean,
  opcode: number,
  payload: Uint8Array,
  maskKey: Uint8Array,
  out: Uint8Array[],
): number {
  const length = payload.length;
  const headerLength = frameHeaderLength(length) + 4;
  const frame = allocateOutputChunk(headerLength + length);
  writeHeader(frame, 0, fin, rsv1, opcode, length, maskKey);
  if (length > 0) {
    frame.set(payload, headerLength);
    unmask(frame, headerLength, headerLength + length, maskKey, 0);
  }
  out.push(frame);
  return headerLength + length;
}
