/**
 * websock/core/trace — record, serialize, parse and replay connection traces (format v1, see README.md).
 * Pure ECMAScript like the rest of the core; writing files is the caller's job.
 */
export { TRACE_VERSION, TraceFormatError, type Trace, type TraceApp, type TraceCommand, type TraceConnectionOptions, type TraceEvent, type TraceHeader, type TraceRecord } from './format.ts';
export { TraceDecoder, encodeHeaderLine, encodeRecordLine, parseTrace, serializeTrace } from './jsonl.ts';
export { eventToTrace, eventKey } from './event-form.ts';
export { DEFAULT_TRACE_MAX_BYTES, RecordingConnection, TraceRecorder, requestHeadBytes, traceOptions, type TraceRecorderOptions } from './recorder.ts';
export { applyCommand, executeTrace, type ExecuteOptions, type ExecutedStep, type Execution, type ExecutionFailure } from './execute.ts';
export { compareBytes, compareEvents, formatDivergence, replayTrace, type ReplayDivergence, type ReplayResult } from './replay.ts';
export { checkInvariants, type InflaterFactory, type InvariantOptions, type Violation } from './invariants.ts';
export { compareExecutions } from './split-invariance.ts';
export { predictEvents, requestHeadEnd, utf8Check, type OracleEvent, type OracleInflater, type OracleOptions } from './oracle.ts';
export { parseServerOutput, type ServerFrame, type ServerOutput } from './server-output.ts';
