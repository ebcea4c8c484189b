// Reference WebSocket echo server on Node: `ws` (with bufferutil + utf-8-validate, picked up automatically),
// configured as a typical user would. Prints its URL on one line when listening.
// Usage: node bench/servers/ws-echo.mjs [--port N] [--tls --cert F --key F] [--deflate]
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { WebSocketServer } from 'ws';
import { parseServerArgs } from './args.mjs';

const opts = parseServerArgs(process.argv.slice(2));
const server = opts.tls
  ? createHttpsServer({ cert: readFileSync(opts.cert), key: readFileSync(opts.key) })
  : createHttpServer();
// maxPayload above the largest bench message; perMessageDeflate: ws's defaults when asked for.
const wss = new WebSocketServer({ server, perMessageDeflate: opts.deflate, maxPayload: 64 * 1024 * 1024 });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {}); // a client that vanishes mid-write is normal at the end of a run
});
server.listen(opts.port, '127.0.0.1', () => {
  const { port } = server.address();
  console.log(`${opts.tls ? 'wss' : 'ws'}://127.0.0.1:${port}/`);
});
