// Header `options` are checked when a trace is parsed: options a ServerConnection would refuse are a
// TraceFormatError (a malformed file), not a MisuseError thrown later by replay.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TraceFormatError } from './format.ts';
import { parseTrace } from './jsonl.ts';
import { replayTrace } from './replay.ts';

function header(options: unknown): string {
  return JSON.stringify({ websockTrace: 1, label: 'x', app: 'echo', options, meta: {} }) + '\n{"t":0,"in":"AAAA"}\n';
}

test('options the core refuses are a TraceFormatError on line 1', () => {
  const bad: unknown[] = [
    { limits: { maxMessageSize: -1 } },
    { limits: { maxFrameSize: 1.5e300 } },
    { limits: { maxMesageSize: 10 } },
    { limits: { outboundLowWaterMark: 10, outboundHighWaterMark: 5 } },
    { limits: [] },
    { deflate: { serverMaxWindowBits: 99 } },
    { deflate: { level: 'fast' } },
    { deflate: true },
    { receiveMode: 'chunks' },
    { plainHttp: 'yes' },
    { limit: {} },
  ];
  for (const options of bad) {
    assert.throws(() => parseTrace(header(options)), (e: unknown) => e instanceof TraceFormatError && e.line === 1, JSON.stringify(options));
  }
});

test('the message names the option and the core rule', () => {
  try {
    parseTrace(header({ deflate: { serverMaxWindowBits: 99 } }));
    assert.unreachable();
  } catch (error) {
    assert.instance(error, TraceFormatError);
    assert.match((error as Error).message, 'serverMaxWindowBits');
    assert.match((error as Error).message, '8 to 15');
  }
});

test('valid options parse and replay', () => {
  const good: unknown[] = [
    {},
    { limits: { maxMessageSize: 1024, maxFrameSize: 512 } },
    { deflate: false },
    { deflate: {} },
    { deflate: { serverMaxWindowBits: 9, level: 0 } },
    { receiveMode: 'stream', plainHttp: true },
  ];
  for (const options of good) {
    const trace = parseTrace(header(options));
    assert.equal(trace.header.options, options);
    assert.ok(replayTrace(trace).execution !== undefined);
  }
});

test.run();
