/** The canonical JSON-able form of connection events, used to record and compare them. */
import type { ConnectionEvent } from '../events.ts';
import { encodeBase64 } from '../http/base64.ts';
import type { TraceEvent } from './format.ts';

/**
 * The canonical form of `event`: bytes as base64, keys in a fixed order, the error message (prose) left out.
 * Two events are equivalent iff `JSON.stringify` of their forms is equal.
 */
export function eventToTrace(event: ConnectionEvent): TraceEvent {
  switch (event.type) {
    case 'request':
    case 'http-request': {
      const r = event.request;
      return { type: event.type, method: r.method, target: r.target, httpVersion: r.httpVersion, rawHeaders: r.rawHeaders.map((h) => [h[0], h[1]]) };
    }
    case 'open':
      return { type: 'open', protocol: event.protocol, extensions: event.extensions };
    case 'message':
      return { type: 'message', binary: event.binary, data: encodeBase64(event.data) };
    case 'fragment':
      return { type: 'fragment', binary: event.binary, data: encodeBase64(event.data), first: event.first, fin: event.fin };
    case 'ping':
    case 'pong':
      return { type: event.type, data: encodeBase64(event.data) };
    case 'peer-close':
      return { type: 'peer-close', code: event.code, reason: event.reason };
    case 'error': {
      const form: Record<string, unknown> = { type: 'error', code: event.code };
      if (event.closeCode !== undefined) form['closeCode'] = event.closeCode;
      if (event.status !== undefined) form['status'] = event.status;
      return form as TraceEvent;
    }
    case 'closed':
      return { type: 'closed', code: event.code, reason: event.reason, wasClean: event.wasClean };
  }
}

/** The comparison key of an event form. */
export function eventKey(event: TraceEvent): string {
  return JSON.stringify(event);
}
