/**
 * Checks shared by the resolution of `serve()` options (options.ts) and of the `record` option (recording.ts):
 * misuse throws {@link MisuseError} (`INVALID_OPTION`) at `serve()`, not later.
 */
import { MisuseError } from '../../core/errors.ts';

/** Throws `INVALID_OPTION` with `message` unless `condition` holds. */
export function check(condition: boolean, message: string): void {
  if (!condition) throw new MisuseError('INVALID_OPTION', message);
}

/**
 * Throws unless `value` is undefined or a plain object whose keys are all in `known`: a misspelt option (e.g.
 * `maxFrameSise`) would otherwise leave its default in force without a word.
 */
export function checkKeys(value: unknown, name: string, known: readonly string[]): void {
  if (value === undefined) return;
  check(typeof value === 'object' && value !== null && !Array.isArray(value), `${name} must be an object`);
  for (const key of Object.keys(value as object)) {
    check(known.includes(key), `${name}.${key} is not an option (known: ${known.join(', ')})`);
  }
}
