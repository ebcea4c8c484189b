/**
 * Property-based tests (fast-check, fixed seed) complementing the fuzzer: random frame sequences, split anywhere,
 * give the same events and bytes; arbitrary bytes never break an invariant; traces survive serialization.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { clientFrame, concatBytes, upgradeRequest } from '../../core/testing.ts';
import { executeTrace } from '../../core/trace/execute.ts';
import type { Trace, TraceConnectionOptions, TraceRecord } from '../../core/trace/format.ts';
import { checkInvariants } from '../../core/trace/invariants.ts';
import { compareExecutions } from '../../core/trace/split-invariance.ts';
import { parseTrace, serializeTrace } from '../../core/trace/jsonl.ts';
import { pakoInflaters } from './client-deflate.ts';

const SEED = 6455;
const RUNS = 150;

/** One client frame: mostly valid, sometimes not (opcode, RSV, FIN, mask, payload all drawn). */
const frameArb = fc
  .record({
    opcode: fc.constantFrom(0, 1, 1, 2, 2, 8, 9, 10, 3, 11),
    payload: fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.string({ maxLength: 30 }).map((s) => new TextEncoder().encode(s)), fc.uint8Array({ minLength: 126, maxLength: 300 })),
    fin: fc.boolean(),
    rsv: fc.constantFrom(0, 0, 0, 0, 4, 2),
    masked: fc.constantFrom(true, true, true, true, true, false),
  })
  .map((f) => clientFrame(f.opcode, f.opcode >= 8 ? f.payload.subarray(0, 125) : f.payload, { fin: f.opcode >= 8 ? true : f.fin, rsv: f.rsv, mask: f.masked ? [1, 2, 3, 4] : null }));

const optionsArb: fc.Arbitrary<TraceConnectionOptions> = fc.record({
  receiveMode: fc.constantFrom<'message' | 'stream'>('message', 'stream'),
  limits: fc.record({ maxMessageSize: fc.constantFrom(64, 200, 1 << 20), maxFrameSize: fc.constantFrom(50, 130, 1 << 20) }),
});

function echoTrace(options: TraceConnectionOptions, records: TraceRecord[]): Trace {
  return { header: { websockTrace: 1, label: 'property', app: 'echo', options, meta: {} }, records };
}

const properties = suite('properties');

properties('split invariance: random frame sequences cut anywhere give the same events and bytes', () => {
  fc.assert(
    fc.property(optionsArb, fc.array(frameArb, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 }), (options, frames, cutSeeds) => {
      const input = concatBytes([upgradeRequest(), ...frames]);
      const trace = echoTrace(options, [{ kind: 'in', t: 0, data: input }]);
      const whole = executeTrace(trace);
      const cuts = [...new Set(cutSeeds.map((c) => 1 + (c % Math.max(1, input.length - 1))))].sort((a, b) => a - b);
      const split = executeTrace(trace, { split: () => cuts });
      const bytewise = executeTrace(trace, { split: (data) => Array.from({ length: data.length - 1 }, (_, i) => i + 1) });
      assert.is(compareExecutions(whole, split), undefined);
      assert.is(compareExecutions(whole, bytewise), undefined);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

properties('no input breaks an invariant (the core never throws; output well formed; matches the reference decoder)', () => {
  fc.assert(
    fc.property(optionsArb, fc.array(fc.oneof(frameArb, fc.uint8Array({ maxLength: 24 })), { maxLength: 10 }), fc.boolean(), (options, chunks, end) => {
      const records: TraceRecord[] = [{ kind: 'in', t: 0, data: upgradeRequest() }];
      chunks.forEach((data, i) => records.push({ kind: 'in', t: i + 1, data }));
      if (end) records.push({ kind: 'end', t: chunks.length + 1 });
      const trace = echoTrace(options, records);
      const execution = executeTrace(trace);
      assert.equal(checkInvariants(trace, execution, { inflaters: pakoInflaters }), []);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

properties('arbitrary bytes from the first byte on (request head included) break no invariant', () => {
  const headish = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.constantFrom('GET / HTTP/1.1\r\n', 'Host: a\r\n', 'Upgrade: websocket\r\n', 'Connection: Upgrade\r\n', 'Sec-WebSocket-Version: 13\r\n', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n', '\r\n', ':', ' ').map((s) => new TextEncoder().encode(s)),
  );
  fc.assert(
    fc.property(fc.array(headish, { maxLength: 12 }), (chunks) => {
      const trace = echoTrace({ limits: { maxHeaderBytes: 256 } }, chunks.map((data, i) => ({ kind: 'in' as const, t: i, data })));
      assert.equal(checkInvariants(trace, executeTrace(trace), { inflaters: pakoInflaters }), []);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

properties('traces survive serialize → parse', () => {
  const recordArb: fc.Arbitrary<TraceRecord> = fc.oneof(
    fc.record({ kind: fc.constant('in' as const), t: fc.double({ min: 0, max: 1e9, noNaN: true }), data: fc.uint8Array({ maxLength: 50 }) }),
    fc.record({ kind: fc.constant('out' as const), t: fc.nat(), data: fc.uint8Array({ maxLength: 50 }) }),
    fc.record({ kind: fc.constant('tick' as const), t: fc.nat() }),
    fc.record({ kind: fc.constant('end' as const), t: fc.nat() }),
    fc.record({ kind: fc.constant('cmd' as const), t: fc.nat(), cmd: fc.record({ type: fc.constant('close' as const), code: fc.integer({ min: 1000, max: 4999 }), reason: fc.string({ maxLength: 20 }) }) }),
    fc.record({ kind: fc.constant('ev' as const), t: fc.nat(), event: fc.record({ type: fc.constant('peer-close'), code: fc.nat(), reason: fc.string() }) }),
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 20 }), fc.array(recordArb, { maxLength: 20 }), (label, records) => {
      const trace: Trace = { header: { websockTrace: 1, label, app: 'echo', options: {}, meta: { note: label } }, records };
      const text = serializeTrace(trace);
      const back = parseTrace(text);
      assert.is(serializeTrace(back), text);
      assert.is(back.header.label, label);
      assert.is(back.records.length, records.length);
      back.records.forEach((r, i) => {
        const original = records[i]!;
        assert.is(r.kind, original.kind);
        assert.is(r.t, original.t);
        if ((r.kind === 'in' || r.kind === 'out') && (original.kind === 'in' || original.kind === 'out')) assert.equal(Array.from(r.data), Array.from(original.data));
      });
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

properties.run();
