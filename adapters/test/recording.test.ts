// The `record` option: each connection is written as a trace, and the trace replays into a fresh core with
// the same output (what `npm run replay` does).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTrace } from '../../core/trace/jsonl.ts';
import { replayTrace } from '../../core/trace/replay.ts';
import type { ServerWebSocket } from '../shared/types.ts';
import { serve, waitUntil } from './helpers.ts';
import { RawClient } from './raw-client.ts';

test('record: one trace per connection, bounded, replaying to the same bytes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'websock-traces-'));
  try {
    const server = await serve({
      port: 0,
      record: { dir, maxBytesPerConnection: 64 * 1024 },
      websocket: {
        message(ws: ServerWebSocket<unknown>, data: string | Uint8Array) {
          ws.send(data);
        },
      },
    });
    const client = await RawClient.connect(server.port, false);
    client.sendText('hello trace');
    assert.is(await client.nextText(), 'hello trace');
    client.sendClose(1000, 'bye');
    assert.is((await client.expectClose()).code, 1000);
    await client.waitClosed();
    await waitUntil(() => readdirSync(dir).length === 1, 'the trace file');
    await server.stop({ force: true });
    const [name] = readdirSync(dir);
    let text = '';
    await waitUntil(() => (text = readFileSync(join(dir, name as string), 'utf8')).endsWith('\n'), 'the whole trace');
    const trace = parseTrace(text);
    assert.ok(text.length < 64 * 1024);
    const result = replayTrace(trace);
    assert.ok(result.ok, JSON.stringify(result.divergence));
    assert.ok(result.comparedWrites, "the recorded writes were compared");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
