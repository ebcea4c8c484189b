/** The failures already saved as regression traces, by signature, so that a fuzz run reports only new ones. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTrace } from '../../core/trace/jsonl.ts';
import { violationSignature } from './engine.ts';

/**
 * Signatures of the traces in `dir` that document an open bug: `meta.knownFailure` set, and `violation` and
 * `message` naming what they showed. Fixed ones (no `knownFailure`) are not known failures: if the bug comes
 * back, the fuzzer reports it.
 */
export function knownSignatures(dir: string): Set<string> {
  const known = new Set<string>();
  if (!existsSync(dir)) return known;
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.jsonl')) continue;
    try {
      const meta = parseTrace(readFileSync(join(dir, name))).header.meta;
      if (typeof meta['knownFailure'] !== 'string' || meta['knownFailure'] === '') continue;
      const kind = meta['violation'];
      const message = meta['message'];
      if (typeof kind === 'string' && typeof message === 'string') known.add(violationSignature({ kind, message }));
    } catch {
      // not a trace: ignored here (the regression test reports it)
    }
  }
  return known;
}
