/** Split invariance: the same input, cut into different chunks, must give the same events and the same bytes. */
import { concatBytes } from '../bytes.ts';
import { eventKey } from './event-form.ts';
import { bytesOf, equalBytes, frameEventKey } from './event-keys.ts';
import type { Execution } from './execute.ts';
import type { TraceEvent } from './format.ts';
import type { Violation } from './invariants.ts';

/**
 * Event keys with streamed fragments joined per message: in `stream` mode how a message is cut into fragment
 * events follows the input chunks, and only the joined bytes must not depend on them.
 */
function chunkingFreeKeys(events: readonly TraceEvent[]): string[] {
  const keys: string[] = [];
  let parts: Uint8Array[] = [];
  for (const e of events) {
    if (e.type !== 'fragment') {
      keys.push(eventKey(e));
      continue;
    }
    if (e['first'] === true) parts = [];
    parts.push(bytesOf(e));
    if (e['fin'] === true) {
      const data = concatBytes(parts);
      keys.push(frameEventKey({ type: 'message', binary: e['binary'] === true, data }));
      parts = [];
    }
  }
  return keys;
}

/** Split invariance: two executions of the same input, chunked differently, must give the same events and bytes. */
export function compareExecutions(a: Execution, b: Execution): Violation | undefined {
  if ((a.failure === undefined) !== (b.failure === undefined)) return { kind: 'split-throw', message: 'one chunking threw, the other did not' };
  const ea = chunkingFreeKeys(a.events);
  const eb = chunkingFreeKeys(b.events);
  const n = Math.min(ea.length, eb.length);
  for (let i = 0; i < n; i++) {
    if (ea[i] !== eb[i]) return { kind: 'split-events', message: `event ${i} differs under re-chunking: ${ea[i]!.slice(0, 200)} vs ${eb[i]!.slice(0, 200)}` };
  }
  if (ea.length !== eb.length) {
    const extra = (ea.length > eb.length ? ea[n] : eb[n]) ?? '';
    return { kind: 'split-events', message: `${ea.length} vs ${eb.length} events under re-chunking; first extra event: ${extra.slice(0, 200)}` };
  }
  if (!equalBytes(a.output, b.output)) {
    let i = 0;
    while (i < a.output.length && i < b.output.length && a.output[i] === b.output[i]) i++;
    return { kind: 'split-writes', message: `writes differ under re-chunking at byte ${i} (${a.output.length} vs ${b.output.length} bytes)` };
  }
  return undefined;
}
