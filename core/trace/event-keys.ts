/** Helpers shared by the invariant checks: event payloads, byte comparison, and comparison keys of frame-level events. */
import { decodeBase64Strict } from '../http/base64.ts';
import type { TraceEvent } from './format.ts';

const EMPTY = new Uint8Array(0);

/** The bytes of an event form's base64 field (`data` by default); empty when absent. */
export function bytesOf(event: TraceEvent, field = 'data'): Uint8Array {
  const value = event[field];
  return typeof value === 'string' ? (decodeBase64Strict(value) ?? EMPTY) : EMPTY;
}

/** Whether two byte arrays hold the same bytes. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The key of a frame-level event, for comparing the core with the oracle. */
export function frameEventKey(e: { type: string; binary?: boolean; data?: Uint8Array; code?: number; reason?: string; closeCode?: number }): string {
  switch (e.type) {
    case 'message':
      return `message ${e.binary ? 'binary' : 'text'} ${hexPreview(e.data ?? EMPTY)} (${(e.data ?? EMPTY).length} bytes)`;
    case 'ping':
    case 'pong':
      return `${e.type} ${hexPreview(e.data ?? EMPTY)}`;
    case 'peer-close':
      return `peer-close ${e.code} ${JSON.stringify(e.reason)}`;
    case 'error':
      return `error close ${e.closeCode}`;
    default:
      return e.type;
  }
}

function hexPreview(bytes: Uint8Array): string {
  // Full content hashed in, so that equal keys mean equal bytes; a preview keeps messages readable.
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
  const preview = Array.from(bytes.subarray(0, 12), (b) => b.toString(16).padStart(2, '0')).join('');
  return `${preview}${bytes.length > 12 ? '…' : ''}#${(h >>> 0).toString(16)}`;
}
