/**
 * The case catalogue: sections 1–7, 9, 10, 12 and 13 of the Autobahn TestSuite's fuzzing client, same ids,
 * same frames, same chopping, waits and expectations, in the suite's order.
 */
import type { CaseDef } from './api.ts';
import { section1, section2 } from './section1-2.ts';
import { section3, section4, section5 } from './section3-5.ts';
import { section6 } from './section6.ts';
import { section7 } from './section7.ts';
import { section10, section9 } from './section9-10.ts';
import { section12, section13 } from './section12-13.ts';

export type { CaseDef } from './api.ts';

let all: CaseDef[] | null = null;

/** Every case, in order (517). */
export function allCases(): readonly CaseDef[] {
  all ??= [
    ...section1(), ...section2(), ...section3(), ...section4(), ...section5(), ...section6(), ...section7(),
    ...section9(), ...section10(), ...section12(), ...section13(),
  ];
  return all;
}

/** Compares case ids numerically part by part ("6.10.1" after "6.9.2"). */
export function compareCaseIds(a: string, b: string): number {
  const pa = a.split('.').map(Number), pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? -1) - (pb[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

/** True if `id` matches a pattern: exact id, or `*` wildcards ("6.4.*", "12.*", "*"). */
export function matchesPattern(id: string, pattern: string): boolean {
  if (!pattern.includes('*')) return id === pattern;
  // A simple glob, matched without regexes: split at '*' and find the parts in order.
  const parts = pattern.split('*');
  if (!id.startsWith(parts[0]!)) return false;
  let pos = parts[0]!.length;
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    if (i === parts.length - 1) return part === '' || (id.length - part.length >= pos && id.endsWith(part));
    const at = id.indexOf(part, pos);
    if (at < 0) return false;
    pos = at + part.length;
  }
  return true;
}

/** The cases selected by include patterns (default all) minus exclude patterns, in catalogue order. */
export function selectCases(include: readonly string[], exclude: readonly string[] = []): CaseDef[] {
  const inc = include.length === 0 ? ['*'] : include;
  return allCases()
    .filter((c) => inc.some((p) => matchesPattern(c.id, p)) && !exclude.some((p) => matchesPattern(c.id, p)))
    .slice()
    .sort((a, b) => compareCaseIds(a.id, b.id));
}
