/**
 * Command line of the conformance suite. Runs on Node (bundled), Bun and Deno:
 *
 *   --url ws://host:port/path | wss://…   run against a server
 *   --in-process                          run against the core with an echo application, on virtual time
 *   --cases 1.*,6.4.*   --exclude 9.*     select cases (globs, comma-separated; default all)
 *   --parallel N                          cases at once over the network (default 8); in-process: worker threads
 *                                         (default: the number of CPUs)
 *   --parallel-heavy N                    of those, heavy ones (9.x, 12.x, 13.x) at once (default N/4, at least 1)
 *   --report DIR                          write index.json and index.html
 *   --record DIR                          write one trace per case (trace format v1)
 *   --expect FILE                         compare with expected verdicts; any difference exits non-zero
 *   --save-expect FILE                    write this run's verdicts as an expectations file
 *   --agent NAME                          agent name in reports (and which agent of an --expect index.json)
 *   --quiet                               print only differences and the summary
 *
 * The last line printed is "N passed, N failed" (passed = verdicts as expected, OK/OK unless --expect says otherwise).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { isMainThread, workerData } from 'node:worker_threads';
import { selectCases } from './cases/index.ts';
import { differences, expectationsOf, type ExpectedVerdicts, parseExpected, passes } from './expect.ts';
import { writeReport } from './report.ts';
import { runSuite, type Target } from './runner.ts';

/** Parsed command-line options. */
export interface CliOptions {
  url?: string;
  inProcess: boolean;
  cases: string[];
  exclude: string[];
  parallel: number;
  parallelHeavy?: number;
  report?: string;
  record?: string;
  expect?: string;
  saveExpect?: string;
  agent?: string;
  quiet: boolean;
  help: boolean;
}

const USAGE = `usage: conformance (--url ws[s]://host:port/path | --in-process) [--cases 1.*,6.4.*] [--exclude 9.*]
       [--parallel N] [--parallel-heavy N] [--report DIR] [--record DIR] [--expect FILE] [--save-expect FILE] [--agent NAME] [--quiet]`;

/** Parses `argv` (without the program name). Throws on unknown or incomplete options. */
export function parseArgs(argv: readonly string[]): CliOptions {
  const o: CliOptions = { inProcess: false, cases: [], exclude: [], parallel: 0, quiet: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    const list = () => value().split(',').map((s) => s.trim()).filter((s) => s !== '');
    switch (name) {
      case '--url': o.url = value(); break;
      case '--in-process': o.inProcess = true; break;
      case '--cases': o.cases.push(...list()); break;
      case '--exclude': o.exclude.push(...list()); break;
      case '--parallel': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1 || n > 256) throw new Error('--parallel must be an integer 1-256');
        o.parallel = n;
        break;
      }
      case '--parallel-heavy': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1 || n > 256) throw new Error('--parallel-heavy must be an integer 1-256');
        o.parallelHeavy = n;
        break;
      }
      case '--report': o.report = value(); break;
      case '--record': o.record = value(); break;
      case '--expect': o.expect = value(); break;
      case '--save-expect': o.saveExpect = value(); break;
      case '--agent': o.agent = value(); break;
      case '--quiet': o.quiet = true; break;
      case '--help': case '-h': o.help = true; break;
      default: throw new Error(`unknown option ${arg}`);
    }
  }
  if (!o.help && (o.url === undefined) === !o.inProcess) throw new Error('give exactly one of --url or --in-process');
  if (o.parallel === 0) o.parallel = o.inProcess ? cpuCount() : 8;
  return o;
}

function cpuCount(): number {
  try {
    return Math.max(1, Math.min(16, availableParallelism()));
  } catch {
    return 2;
  }
}

/** Runs the command line; resolves with the process exit code. */
export async function main(argv: readonly string[], print: (line: string) => void = (l) => console.log(l)): Promise<number> {
  let o: CliOptions;
  try {
    o = parseArgs(argv);
  } catch (err) {
    print(`error: ${(err as Error).message}`);
    print(USAGE);
    return 2;
  }
  if (o.help) {
    print(USAGE);
    return 0;
  }
  const cases = selectCases(o.cases, o.exclude);
  if (cases.length === 0) {
    print('error: no case matches the selection');
    return 2;
  }
  let expected: Map<string, ExpectedVerdicts> | undefined;
  if (o.expect !== undefined) {
    try {
      expected = parseExpected(readFileSync(o.expect, 'utf8'), o.agent);
    } catch (err) {
      print(`error: cannot read ${o.expect}: ${(err as Error).message}`);
      return 2;
    }
  }
  const target: Target = o.inProcess ? { kind: 'in-process' } : { kind: 'url', url: o.url! };
  const agent = o.agent ?? (o.inProcess ? 'websock-core' : o.url!);
  if (o.record !== undefined) mkdirSync(o.record, { recursive: true });
  const started = performance.now();
  print(`running ${cases.length} cases against ${o.inProcess ? 'the core (in-process, virtual time)' : o.url}`);
  const results = await runSuite({
    cases,
    target,
    parallel: o.parallel,
    workerEntry: new URL(import.meta.url),
    ...(o.parallelHeavy !== undefined ? { parallelHeavy: o.parallelHeavy } : {}),
    ...(o.record !== undefined ? { onTrace: (id: string, text: string) => writeFileSync(join(o.record!, `${id}.jsonl`), text) } : {}),
    onResult: (r, done, total) => {
      if (o.quiet) return;
      const ok = passes(r, expected);
      const why = ok ? '' : `  ${r.result} ${r.resultClose}${r.facts.wasNotCleanReason ? ` (${r.facts.wasNotCleanReason})` : ''}`;
      print(`${ok ? ' ' : '!'} ${r.id.padEnd(9)} ${r.behavior}/${r.behaviorClose}  ${r.duration} ms  [${done}/${total}]${why}`);
    },
  });
  if (o.report !== undefined) writeReport(o.report, agent, results);
  if (o.saveExpect !== undefined) writeFileSync(o.saveExpect, JSON.stringify(expectationsOf(results), null, 2) + '\n');
  const diffs = differences(results, expected);
  if (expected !== undefined) {
    for (const d of diffs) {
      print(`${d.kind}: ${d.id} expected ${d.expected.behavior}/${d.expected.behaviorClose}, got ${d.actual.behavior}/${d.actual.behaviorClose}`);
    }
  }
  const failed = diffs.length;
  print(`finished in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  print(`${results.length - failed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

/** The runtime's argument vector after the script (Node/Bun: process.argv, Deno: Deno.args). */
function runtimeArgs(): string[] {
  const g = globalThis as { Deno?: { args: string[] }; process?: { argv: string[] } };
  if (g.Deno !== undefined) return [...g.Deno.args];
  return g.process?.argv.slice(2) ?? [];
}

function exit(code: number): void {
  const g = globalThis as { Deno?: { exit(code: number): never }; process?: { exit(code: number): never } };
  if (g.Deno !== undefined) g.Deno.exit(code);
  else g.process?.exit(code);
}

const isWorker = !isMainThread && workerData !== null && typeof workerData === 'object' && 'websockConformanceWorker' in workerData;

const isMain = !isMainThread ? false : (() => {
  const m = import.meta as ImportMeta & { main?: boolean };
  if (typeof m.main === 'boolean') return m.main; // Bun and Deno
  // Node (no import.meta.main in v20): the entry is the bundle build/conformance.mjs, or this file.
  const argv1 = (globalThis as { process?: { argv: string[] } }).process?.argv[1] ?? '';
  const base = argv1.slice(Math.max(argv1.lastIndexOf('/'), argv1.lastIndexOf('\\')) + 1);
  return base === 'conformance.mjs' || base === 'cli.ts' || base === 'cli.js';
})();

if (isWorker) {
  // Started by inprocess/worker-pool.ts: run the cases the parent sends.
  void import('./inprocess/worker-pool.ts').then((m) => m.serveAsWorker());
} else if (isMain) {
  main(runtimeArgs()).then(exit, (err: unknown) => {
    console.error(err);
    exit(3);
  });
}
