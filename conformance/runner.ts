/**
 * Runs a selection of cases against a server URL (TCP/TLS, real time, several cases at once) or in-process
 * against the core (virtual time, one after the other), optionally recording a trace per case.
 */
import type { CaseDef } from './cases/api.ts';
import { CRYPTO_RANDOM, RealClock } from './client/clock.ts';
import { runCase, type WireEvent } from './client/fuzzing-client.ts';
import { parseWsUrl, TcpTransport } from './client/tcp-transport.ts';
import { TraceRecorder } from './trace-writer.ts';
import type { CaseResult } from './types.ts';

/** Where the cases go. */
export type Target =
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'in-process'; readonly serverOptions?: Readonly<Record<string, unknown>> };

/** Options of {@link runSuite}. */
export interface SuiteOptions {
  readonly cases: readonly CaseDef[];
  readonly target: Target;
  /** Cases run at once: connections over the network, or worker threads in-process (with `workerEntry`). Default 8. */
  readonly parallel?: number;
  /** Heavy cases (9.x, 12.x, 13.x) run at once over the network. Default parallel / 4, at least 1. */
  readonly parallelHeavy?: number;
  /**
   * In-process only: the entry module for worker threads (it must serve as a worker, see inprocess/worker-pool.ts).
   * With it and `parallel` > 1, cases run on that many threads; without it, one after the other.
   */
  readonly workerEntry?: URL;
  /** Called with each trace when recording (case id, trace text). */
  readonly onTrace?: (id: string, text: string) => void | Promise<void>;
  /** Called after each case. */
  readonly onResult?: (result: CaseResult, done: number, total: number) => void;
}

/** Runs the cases and returns their results in catalogue order. */
export async function runSuite(options: SuiteOptions): Promise<CaseResult[]> {
  const { cases, target } = options;
  const results: CaseResult[] = new Array(cases.length);
  let done = 0;
  const finished = async (i: number, r: CaseResult, trace: TraceRecorder | null) => {
    results[i] = r;
    done++;
    if (trace !== null && options.onTrace) await options.onTrace(r.id, trace.text());
    options.onResult?.(r, done, cases.length);
  };
  if (target.kind === 'in-process' && options.workerEntry !== undefined && (options.parallel ?? 1) > 1 && cases.length > 1) {
    const { runInWorkers } = await import('./inprocess/worker-pool.ts');
    await runInWorkers(cases.map((c) => c.id), {
      entry: options.workerEntry,
      workers: options.parallel ?? 1,
      record: options.onTrace !== undefined,
      ...(target.serverOptions ? { serverOptions: target.serverOptions } : {}),
      onResult: async (i, r, trace) => {
        results[i] = r;
        done++;
        if (trace !== null && options.onTrace) await options.onTrace(r.id, trace);
        options.onResult?.(r, done, cases.length);
      },
    });
    return results;
  }
  if (target.kind === 'in-process') {
    // Loaded on demand: URL runs do not depend on the core.
    const { runInProcess } = await import('./inprocess/run-inprocess.ts');
    for (let i = 0; i < cases.length; i++) {
      const def = cases[i]!;
      const trace = options.onTrace ? new TraceRecorder({ label: def.id, options: {}, meta: {} }) : null;
      const r = runInProcess(def, {
        ...(target.serverOptions ? { serverOptions: target.serverOptions } : {}),
        ...(trace ? { onWire: (e: WireEvent) => trace.add(e), onTraceHeader: (h: Record<string, unknown>) => trace.setOptions(h) } : {}),
      });
      await finished(i, r, trace);
      // Yield between cases so timers and I/O of the host (e.g. a test runner) are not starved.
      if (i % 16 === 15) await new Promise<void>((resolve) => setTimeout(resolve, 0));
    }
    return results;
  }
  const { target: tcp, path, hostHeader } = parseWsUrl(target.url);
  const clock = new RealClock();
  // Two pools: light cases many at once; heavy ones (9.x, 12.x, 13.x) few at once, since a neighbour's big
  // synchronous work (compression, 16 MiB buffers) delays the event loop of time-judged cases.
  const light: number[] = [], heavy: number[] = [];
  cases.forEach((c, i) => (c.heavy ? heavy : light).push(i));
  const worker = (queue: number[]) => async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
      const def = cases[i]!;
      const trace = options.onTrace
        ? new TraceRecorder({ label: def.id, options: {}, meta: { url: target.url, client: 'websock-conformance' } })
        : null;
      const r = await runCase(def, {
        transport: new TcpTransport(tcp),
        clock,
        random: CRYPTO_RANDOM,
        host: hostHeader,
        path,
        ...(trace ? { onWire: (e: WireEvent) => trace.add(e) } : {}),
      });
      await finished(i, r, trace);
    }
  };
  const n = Math.max(1, options.parallel ?? 8);
  const h = Math.max(1, options.parallelHeavy ?? Math.floor(n / 4));
  await Promise.all([
    ...Array.from({ length: Math.min(n, light.length) }, worker(light)),
    ...Array.from({ length: Math.min(h, heavy.length) }, worker(heavy)),
  ]);
  return results;
}
