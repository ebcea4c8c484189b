/**
 * In-process runs on several cores: worker threads (node:worker_threads, on Node, Bun and Deno) each run whole
 * cases on their own virtual clock, taking the next case id from the parent when free. Every case is
 * independent and seeded by its id, so results do not depend on which worker ran it.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { selectCases } from '../cases/index.ts';
import type { WireEvent } from '../client/fuzzing-client.ts';
import { TraceRecorder } from '../trace-writer.ts';
import type { CaseResult } from '../types.ts';
import { runInProcess } from './run-inprocess.ts';

/** The marker in workerData by which an entry module knows it was started as a conformance worker. */
export const WORKER_MARKER = 'websockConformanceWorker';

interface WorkerSetup {
  readonly [WORKER_MARKER]: true;
  readonly record: boolean;
  readonly serverOptions?: Readonly<Record<string, unknown>>;
}

type ToWorker = { readonly id: string } | { readonly done: true };
type FromWorker =
  | { readonly ready: true }
  | { readonly id: string; readonly result: CaseResult; readonly trace: string | null }
  | { readonly id: string; readonly error: string };

/** True when this thread was started by {@link runInWorkers}. */
export function isConformanceWorker(): boolean {
  return !isMainThread && workerData !== null && typeof workerData === 'object' && (workerData as Record<string, unknown>)[WORKER_MARKER] === true;
}

/** The worker side: runs the case ids it is sent until told it is done. Call from the entry module. */
export function serveAsWorker(): void {
  const setup = workerData as WorkerSetup;
  const port = parentPort!;
  port.on('message', (msg: ToWorker) => {
    if ('done' in msg) return; // the parent terminates the thread
    const [def] = selectCases([msg.id]);
    try {
      if (def === undefined) throw new Error(`unknown case ${msg.id}`);
      const trace = setup.record ? new TraceRecorder({ label: def.id, options: {}, meta: {} }) : null;
      const result = runInProcess(def, {
        ...(setup.serverOptions ? { serverOptions: setup.serverOptions } : {}),
        ...(trace ? { onWire: (e: WireEvent) => trace.add(e), onTraceHeader: (h: Record<string, unknown>) => trace.setOptions(h) } : {}),
      });
      port.postMessage({ id: msg.id, result, trace: trace ? trace.text() : null } satisfies FromWorker);
    } catch (err) {
      port.postMessage({ id: msg.id, error: (err as Error).stack ?? String(err) } satisfies FromWorker);
    }
  });
  port.postMessage({ ready: true } satisfies FromWorker);
}

/** Options of {@link runInWorkers}. */
export interface WorkerRunOptions {
  /** The entry module each worker loads; it must call {@link serveAsWorker} when {@link isConformanceWorker}. */
  readonly entry: URL;
  readonly workers: number;
  readonly record: boolean;
  readonly serverOptions?: Readonly<Record<string, unknown>>;
  /** Called as each case finishes (in completion order). */
  readonly onResult: (index: number, result: CaseResult, trace: string | null) => void | Promise<void>;
}

/** Runs the case ids on worker threads; resolves when all are done (rejects if a worker fails). */
export async function runInWorkers(ids: readonly string[], options: WorkerRunOptions): Promise<void> {
  let next = 0;
  const n = Math.max(1, Math.min(options.workers, ids.length));
  const setup: WorkerSetup = {
    [WORKER_MARKER]: true,
    record: options.record,
    ...(options.serverOptions ? { serverOptions: options.serverOptions } : {}),
  };
  const one = () => new Promise<void>((resolve, reject) => {
    const worker = new Worker(options.entry, { workerData: setup });
    const indexOf = new Map<string, number>();
    let pending: Promise<void> = Promise.resolve();
    const feed = () => {
      if (next >= ids.length) {
        worker.postMessage({ done: true } satisfies ToWorker);
        pending.then(() => worker.terminate()).then(() => resolve(), reject);
        return;
      }
      const i = next++;
      indexOf.set(ids[i]!, i);
      worker.postMessage({ id: ids[i]! } satisfies ToWorker);
    };
    worker.on('message', (msg: FromWorker) => {
      if ('ready' in msg) return feed();
      if ('error' in msg) {
        void worker.terminate();
        reject(new Error(`case ${msg.id} failed in a worker: ${msg.error}`));
        return;
      }
      const i = indexOf.get(msg.id)!;
      pending = pending.then(() => options.onResult(i, msg.result, msg.trace));
      feed();
    });
    worker.on('error', reject);
  });
  await Promise.all(Array.from({ length: n }, one));
}
