/**
 * Expected results: load a committed file (the suite's index.json shape, agent → case → verdicts, or a flat
 * case → verdicts map), compare a run with it, and count what passed.
 */
import type { CaseResult } from './types.ts';

/** The verdict pair expected for one case. */
export interface ExpectedVerdicts {
  readonly behavior: string;
  readonly behaviorClose: string;
}

/** A difference between a run and the expectations. */
export interface Difference {
  readonly id: string;
  readonly expected: ExpectedVerdicts;
  readonly actual: ExpectedVerdicts;
  /** improvement: now OK/OK; regression: was OK/OK; changed: anything else. */
  readonly kind: 'improvement' | 'regression' | 'changed';
}

const OK_OK: ExpectedVerdicts = { behavior: 'OK', behaviorClose: 'OK' };
const CASE_ID = /^[0-9]+(\.[0-9]+)+$/;

/**
 * Reads expectations from JSON text. With several agents in an index.json, `agent` picks one (else the only one).
 * Throws if the shape is not recognised.
 */
export function parseExpected(text: string, agent?: string): Map<string, ExpectedVerdicts> {
  const json: unknown = JSON.parse(text);
  if (json === null || typeof json !== 'object') throw new Error('expected results must be a JSON object');
  const top = json as Record<string, unknown>;
  const keys = Object.keys(top);
  let table: Record<string, unknown>;
  if (keys.length > 0 && keys.every((k) => CASE_ID.test(k))) table = top;
  else {
    const pick = agent !== undefined && agent in top ? agent : keys.length === 1 ? keys[0]! : undefined;
    if (pick === undefined) throw new Error(`expected results hold agents ${keys.join(', ')}; choose one with --agent`);
    table = top[pick] as Record<string, unknown>;
  }
  const out = new Map<string, ExpectedVerdicts>();
  for (const [id, v] of Object.entries(table)) {
    const e = v as Partial<ExpectedVerdicts> | null;
    if (!CASE_ID.test(id) || e === null || typeof e !== 'object' || typeof e.behavior !== 'string' || typeof e.behaviorClose !== 'string') {
      throw new Error(`bad expected entry for ${id}`);
    }
    out.set(id, { behavior: e.behavior, behaviorClose: e.behaviorClose });
  }
  return out;
}

/** The expectation of a case: from the map, else OK/OK. */
export function expectedFor(id: string, expected: ReadonlyMap<string, ExpectedVerdicts> | undefined): ExpectedVerdicts {
  return expected?.get(id) ?? OK_OK;
}

/** True if the result has the expected verdicts. */
export function passes(r: CaseResult, expected: ReadonlyMap<string, ExpectedVerdicts> | undefined): boolean {
  const e = expectedFor(r.id, expected);
  return r.behavior === e.behavior && r.behaviorClose === e.behaviorClose;
}

/** Every case of the run whose verdicts differ from the expectations. */
export function differences(results: readonly CaseResult[], expected: ReadonlyMap<string, ExpectedVerdicts> | undefined): Difference[] {
  const out: Difference[] = [];
  for (const r of results) {
    if (passes(r, expected)) continue;
    const e = expectedFor(r.id, expected);
    const nowOk = r.behavior === 'OK' && r.behaviorClose === 'OK';
    const wasOk = e.behavior === 'OK' && e.behaviorClose === 'OK';
    out.push({ id: r.id, expected: e, actual: { behavior: r.behavior, behaviorClose: r.behaviorClose }, kind: nowOk ? 'improvement' : wasOk ? 'regression' : 'changed' });
  }
  return out;
}

/** The flat expectations file of a run (case → verdicts), for committing. */
export function expectationsOf(results: readonly CaseResult[]): Record<string, ExpectedVerdicts> {
  const out: Record<string, ExpectedVerdicts> = {};
  for (const r of results) out[r.id] = { behavior: r.behavior, behaviorClose: r.behaviorClose };
  return out;
}
