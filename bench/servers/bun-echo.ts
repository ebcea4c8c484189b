// Reference WebSocket echo server on Bun: the built-in `Bun.serve` websocket (uWebSockets underneath).
// Prints its URL on one line when listening.
// Usage: bun bench/servers/bun-echo.ts [--port N] [--tls --cert F --key F] [--deflate]
import { parseServerArgs } from './args.mjs';

const opts = parseServerArgs(Bun.argv.slice(2));
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: opts.port,
  ...(opts.tls ? { tls: { cert: Bun.file(opts.cert), key: Bun.file(opts.key) } } : {}),
  fetch(req, srv) {
    if (srv.upgrade(req)) return undefined;
    return new Response('websocket only', { status: 426 });
  },
  websocket: {
    message(ws, message) {
      // string → text frame, Buffer → binary frame. Bun compresses only when asked per send.
      ws.send(message, opts.deflate);
    },
    perMessageDeflate: opts.deflate,
    maxPayloadLength: 64 * 1024 * 1024,
    // The default (16 MiB) would drop echoes when a pipelined 1 MiB client is briefly slow to read.
    backpressureLimit: 64 * 1024 * 1024,
    idleTimeout: 0,
  },
});
console.log(`${opts.tls ? 'wss' : 'ws'}://127.0.0.1:${server.port}/`);
