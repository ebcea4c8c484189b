/** A small command-line flag parser for the scripts (no dependency, same on every runtime). */

/** Parsed flags: `--name value`, `--name=value`, and boolean `--name`. */
export interface ParsedFlags {
  /** Flag values by name (without dashes); `true` for a flag without a value. */
  readonly values: ReadonlyMap<string, string | true>;
  /** Arguments that are not flags. */
  readonly positional: readonly string[];
}

/**
 * Parses `args`. Names in `booleans` never take a value; any other flag takes the next argument as its value
 * unless that argument starts with `--`.
 */
export function parseFlags(args: readonly string[], booleans: readonly string[] = []): ParsedFlags {
  const values = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--') || arg === '--') {
      if (arg !== '--') positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq !== -1) {
      values.set(arg.slice(2, eq), arg.slice(eq + 1));
      continue;
    }
    const name = arg.slice(2);
    const next = args[i + 1];
    if (!booleans.includes(name) && next !== undefined && !next.startsWith('--')) {
      values.set(name, next);
      i++;
    } else {
      values.set(name, true);
    }
  }
  return { values, positional };
}

/** A string flag, or `fallback`. Throws if the flag was given without a value. */
export function stringFlag(flags: ParsedFlags, name: string, fallback: string): string;
export function stringFlag(flags: ParsedFlags, name: string, fallback?: undefined): string | undefined;
export function stringFlag(flags: ParsedFlags, name: string, fallback?: string): string | undefined {
  const value = flags.values.get(name);
  if (value === undefined) return fallback;
  if (value === true) throw new Error(`--${name} needs a value`);
  return value;
}

/** A port flag (0–65535), or `fallback`. */
export function portFlag(flags: ParsedFlags, name: string, fallback: number): number {
  const text = stringFlag(flags, name);
  if (text === undefined) return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--${name} must be a port number (0-65535)`);
  return port;
}
