// Reference WebSocket echo server on Deno: `Deno.serve` + `Deno.upgradeWebSocket`.
// Deno's built-in WebSocket does not negotiate permessage-deflate, so --deflate is accepted and has no effect.
// Prints its URL on one line when listening.
// Usage: deno run -A bench/servers/deno-echo.ts [--port N] [--tls --cert F --key F]
import { parseServerArgs } from './args.mjs';

const opts = parseServerArgs(Deno.args);
const tls = opts.tls ? { cert: Deno.readTextFileSync(opts.cert), key: Deno.readTextFileSync(opts.key) } : {};
Deno.serve(
  {
    hostname: '127.0.0.1',
    port: opts.port,
    ...tls,
    onListen({ port }) {
      console.log(`${opts.tls ? 'wss' : 'ws'}://127.0.0.1:${port}/`);
    },
  },
  (req) => {
    if (req.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('websocket only', { status: 426 });
    }
    const { socket, response } = Deno.upgradeWebSocket(req, { idleTimeout: 0 });
    socket.binaryType = 'arraybuffer';
    socket.onmessage = (e) => socket.send(e.data); // string → text, ArrayBuffer → binary
    socket.onerror = () => {};
    return response;
  },
);
