// Raw TCP (or TLS) echo on Deno (`Deno.listen` / `Deno.listenTls`): no WebSocket framing, so it shows what the
// transport alone costs. One read buffer per connection; each read is written back in full before the next.
// Prints tcp://… or tls://… on one line when listening.
// Usage: deno run -A bench/servers/tcp-echo-deno.ts [--port N] [--tls --cert F --key F]
import { parseServerArgs } from './args.mjs';

const opts = parseServerArgs(Deno.args);
const listener = opts.tls
  ? Deno.listenTls({
      hostname: '127.0.0.1',
      port: opts.port,
      cert: Deno.readTextFileSync(opts.cert),
      key: Deno.readTextFileSync(opts.key),
    })
  : Deno.listen({ hostname: '127.0.0.1', port: opts.port });

async function echo(conn: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(64 * 1024); // 64 KiB, like Deno's own stream reads: big enough for throughput, small per idle connection
  try {
    if ('setNoDelay' in conn) (conn as Deno.TcpConn).setNoDelay(true);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      let off = 0;
      while (off < n) off += await conn.write(buf.subarray(off, n));
    }
  } catch {
    // a client that vanishes mid-write is normal at the end of a run
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}

console.log(`${opts.tls ? 'tls' : 'tcp'}://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`);
for await (const conn of listener) void echo(conn);
