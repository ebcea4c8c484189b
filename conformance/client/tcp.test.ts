// Runs a sample of cases over real TCP against the `ws` package (an established server; Bun substitutes its own
// implementation of the `ws` API) on 127.0.0.1:0,
// checking that the client and judge give the verdicts the Autobahn suite gives `ws`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { selectCases } from '../cases/index.ts';
import { runSuite } from '../runner.ts';

async function startWs(): Promise<{ url: string; stop: () => Promise<void> }> {
  const server: Server = createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: true });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/`,
    stop: () => new Promise<void>((resolve) => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.close(() => resolve());
      server.closeAllConnections?.();
    }),
  };
}

test('a sample of every section gets the verdicts the suite gives ws', async () => {
  const { url, stop } = await startWs();
  try {
    const cases = selectCases(['1.1.2', '1.2.8', '2.6', '2.10', '3.2', '3.4', '4.2.3', '5.6', '5.15', '6.2.3', '6.6.1', '6.22.1',
      '7.1.1', '7.1.6', '7.3.2', '7.5.1', '7.9.3', '9.1.1', '9.4.3', '10.1.1', '13.3.1']);
    const results = await runSuite({ cases, target: { kind: 'url', url }, parallel: 4 });
    const got = Object.fromEntries(results.map((r) => [r.id, `${r.behavior}/${r.behaviorClose}`]));
    const expected: Record<string, string> = Object.fromEntries(cases.map((c) => [c.id, 'OK/OK']));
    expected['7.1.6'] = 'INFORMATIONAL/INFORMATIONAL';
    assert.equal(got, expected);
  } finally {
    await stop();
  }
});

test('a server that is not there: FAILED close, the run goes on', async () => {
  const { url, stop } = await startWs();
  await stop();
  const results = await runSuite({ cases: selectCases(['1.1.1']), target: { kind: 'url', url } });
  assert.is(results[0]!.behaviorClose, 'FAILED');
  assert.is(results[0]!.facts.opened, false);
});

test.run();
