/**
 * Runs one case in-process: the fuzzing client against a core `ServerConnection` with the echo application,
 * on virtual time. Synchronous and deterministic (seeded masks and keys).
 */
import type { ServerConnectionOptions } from '../../core/connection.ts';
import type { CaseDef } from '../cases/api.ts';
import { SeededRandom } from '../client/clock.ts';
import { startCase, type WireEvent } from '../client/fuzzing-client.ts';
import type { CaseResult } from '../types.ts';
import { ECHO_SERVER_OPTIONS, EchoServerTransport } from './echo-transport.ts';
import { VirtualClock } from './virtual-clock.ts';

/** Options of {@link runInProcess}. */
export interface InProcessOptions {
  /** The server's options (default {@link ECHO_SERVER_OPTIONS}: deflate on, core defaults otherwise). */
  readonly serverOptions?: Readonly<Record<string, unknown>>;
  /** Wire log (for traces). */
  readonly onWire?: (event: WireEvent) => void;
  /** Receives the server options actually used (for the trace header). */
  readonly onTraceHeader?: (options: Record<string, unknown>) => void;
}

/** A 32-bit FNV-1a hash of the case id: the seed of its random bytes. */
function seedOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Runs `def` to completion on virtual time and returns its judged result. */
export function runInProcess(def: CaseDef, options: InProcessOptions = {}): CaseResult {
  const clock = new VirtualClock();
  const serverOptions = (options.serverOptions ?? ECHO_SERVER_OPTIONS) as ServerConnectionOptions;
  options.onTraceHeader?.({ ...serverOptions });
  const transport = new EchoServerTransport(clock, serverOptions);
  let result: CaseResult | null = null;
  startCase(def, {
    transport,
    clock,
    random: new SeededRandom(seedOf(def.id)),
    host: 'localhost',
    path: '/',
    ...(options.onWire ? { onWire: options.onWire } : {}),
  }, (r) => {
    result = r;
  });
  clock.run(() => result !== null);
  if (result === null) throw new Error(`in-process case ${def.id} did not finish (virtual loop exhausted)`);
  return result;
}
