// Raw TCP (or TLS) echo on Node: no WebSocket framing, so it shows what the transport alone costs.
// Prints tcp://… or tls://… on one line when listening.
// Usage: node bench/servers/tcp-echo-node.mjs [--port N] [--tls --cert F --key F]
import { readFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { parseServerArgs } from './args.mjs';

const opts = parseServerArgs(process.argv.slice(2));
const onSocket = (socket) => {
  socket.setNoDelay(true);
  socket.on('error', () => {});
  socket.pipe(socket); // pipe() pauses reading while the write side is full
};
const server = opts.tls
  ? createTlsServer({ cert: readFileSync(opts.cert), key: readFileSync(opts.key) }, onSocket)
  : createNetServer(onSocket);
server.listen(opts.port, '127.0.0.1', () => {
  console.log(`${opts.tls ? 'tls' : 'tcp'}://127.0.0.1:${server.address().port}`);
});
