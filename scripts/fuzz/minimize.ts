/**
 * Delta debugging (Zeller's ddmin, greedy variant) of a failing trace: drop records, then drop byte ranges inside
 * input chunks, then merge chunks and zero the times, keeping whatever still fails the same way.
 */
import type { Trace, TraceRecord } from '../../core/trace/format.ts';

/** Whether a candidate still fails (the same way). */
export type StillFails = (trace: Trace) => boolean;

/** Options of {@link minimizeTrace}. */
export interface MinimizeOptions {
  /** Bound on predicate calls (default 4000). */
  maxChecks?: number;
}

/** ddmin over a list: removes chunks of decreasing size while `test` holds. */
function ddmin<T>(items: T[], test: (candidate: T[]) => boolean, budget: { left: number }): T[] {
  let current = items;
  let granularity = 2;
  while (current.length >= 1 && budget.left > 0) {
    const size = Math.max(1, Math.ceil(current.length / granularity));
    let removed = false;
    for (let start = 0; start < current.length && budget.left > 0; start += size) {
      const candidate = current.slice(0, start).concat(current.slice(start + size));
      budget.left--;
      if (test(candidate)) {
        current = candidate;
        granularity = Math.max(granularity - 1, 2);
        removed = true;
        break;
      }
    }
    if (!removed) {
      if (size === 1) break;
      granularity = Math.min(granularity * 2, current.length);
    }
  }
  return current;
}

/** A smaller trace that still fails (the input when nothing could be removed). */
export function minimizeTrace(trace: Trace, stillFails: StillFails, options: MinimizeOptions = {}): Trace {
  const budget = { left: options.maxChecks ?? 4000 };
  const header = trace.header;
  const make = (records: TraceRecord[]): Trace => ({ header, records });
  let records: TraceRecord[] = trace.records.filter((r) => r.kind !== 'out' && r.kind !== 'ev' && r.kind !== 'truncated');

  // 1. Records.
  records = ddmin(records, (c) => stillFails(make(c)), budget);

  // 2. Bytes of each input chunk (as single bytes, ddmin groups them).
  for (let i = 0; i < records.length && budget.left > 0; i++) {
    const r = records[i]!;
    if (r.kind !== 'in' || r.data.length <= 1) continue;
    const bytes = Array.from(r.data);
    const kept = ddmin(
      bytes,
      (c) => {
        if (c.length === 0) return false;
        const copy = records.slice();
        copy[i] = { kind: 'in', t: r.t, data: Uint8Array.from(c) };
        return stillFails(make(copy));
      },
      budget,
    );
    records = records.slice();
    records[i] = { kind: 'in', t: r.t, data: Uint8Array.from(kept) };
  }

  // 3. Merge adjacent input chunks.
  for (let i = 0; i + 1 < records.length && budget.left > 0; ) {
    const a = records[i]!;
    const b = records[i + 1]!;
    if (a.kind === 'in' && b.kind === 'in') {
      const merged = new Uint8Array(a.data.length + b.data.length);
      merged.set(a.data);
      merged.set(b.data, a.data.length);
      const copy = records.slice();
      copy.splice(i, 2, { kind: 'in', t: b.t, data: merged });
      budget.left--;
      if (stillFails(make(copy))) {
        records = copy;
        continue;
      }
    }
    i++;
  }

  // 4. Simpler times: all zero, else leave them.
  if (budget.left > 0 && records.some((r) => r.t !== 0)) {
    const zeroed = records.map((r) => ({ ...r, t: 0 }) as TraceRecord);
    budget.left--;
    if (stillFails(make(zeroed))) records = zeroed;
  }
  return make(records);
}
