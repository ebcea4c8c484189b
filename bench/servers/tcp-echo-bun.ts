// Raw TCP (or TLS) echo on Bun (`Bun.listen`): no WebSocket framing, so it shows what the transport alone costs.
// Bun's sockets do not buffer writes: what write() did not take is queued and flushed on `drain`.
// Prints tcp://… or tls://… on one line when listening.
// Usage: bun bench/servers/tcp-echo-bun.ts [--port N] [--tls --cert F --key F]
import type { Socket } from 'bun';
import { parseServerArgs } from './args.mjs';

const opts = parseServerArgs(Bun.argv.slice(2));
type Pending = { queue: Uint8Array[] };

function flush(socket: Socket<Pending>): void {
  const q = socket.data.queue;
  while (q.length > 0) {
    const head = q[0]!;
    const n = socket.write(head);
    if (n < head.byteLength) {
      q[0] = head.subarray(Math.max(n, 0));
      return;
    }
    q.shift();
  }
}

const listener = Bun.listen<Pending>({
  hostname: '127.0.0.1',
  port: opts.port,
  ...(opts.tls ? { tls: { cert: Bun.file(opts.cert), key: Bun.file(opts.key) } } : {}),
  socket: {
    open(socket) {
      socket.data = { queue: [] };
      socket.setNoDelay?.(true);
    },
    data(socket, data) {
      const q = socket.data.queue;
      if (q.length > 0) {
        q.push(new Uint8Array(data)); // copy: the chunk is only ours during this call
        return;
      }
      const n = socket.write(data);
      if (n < data.byteLength) q.push(new Uint8Array(data.subarray(Math.max(n, 0))));
    },
    drain(socket) {
      flush(socket);
    },
    error() {},
  },
});
console.log(`${opts.tls ? 'tls' : 'tcp'}://127.0.0.1:${listener.port}`);
