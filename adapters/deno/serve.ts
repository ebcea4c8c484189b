/**
 * `serve()` on Deno: `Deno.listen` (plain ws) or `Deno.listenTls` (wss, rustls: TLS 1.2 and 1.3 only; ALPN
 * `http/1.1`), an accept loop, and one {@link DenoTransport} per connection driven by the shared pump.
 * The TLS handshake runs lazily on the first read, so the core's handshake timeout bounds it too.
 */
import { MisuseError } from '../../core/errors.ts';
import type { ServeOptions, Server, TlsConfig } from '../shared/types.ts';
import { resolveAddress, resolveServerConfig } from '../shared/options.ts';
import { acceleratorsFor } from '../shared/accelerators.ts';
import { ServerState } from '../shared/server-state.ts';
import { denoNamespace, nativeAddonsAllowed, type DenoListener, type DenoNamespace } from './deno-api.ts';
import { DenoTransport } from './transport.ts';

async function loadTls(deno: DenoNamespace, tls: TlsConfig): Promise<{ cert: string; key: string }> {
  const cert = tls.cert ?? (tls.certFile !== undefined ? await deno.readTextFile(tls.certFile) : undefined);
  const key = tls.key ?? (tls.keyFile !== undefined ? await deno.readTextFile(tls.keyFile) : undefined);
  if (cert === undefined || key === undefined) {
    throw new MisuseError('INVALID_OPTION', 'tls needs cert and key (PEM strings) or certFile and keyFile');
  }
  return { cert, key };
}

async function acceptLoop<T>(listener: DenoListener, state: ServerState<T>): Promise<void> {
  try {
    for await (const conn of listener) {
      if (!state.accepting) {
        try {
          conn.close();
        } catch {
          /* gone */
        }
        continue;
      }
      const transport = new DenoTransport(conn);
      transport.sink = state.connect(transport);
      transport.start();
    }
  } catch {
    /* the listener was closed */
  }
}

/** Starts a WebSocket server on Deno. Resolves once listening. */
export async function serve<T = undefined>(options: ServeOptions<T>): Promise<Server> {
  const deno = denoNamespace();
  const { port, hostname } = resolveAddress(options);
  const secure = options.tls !== undefined;
  const config = resolveServerConfig<T>(options, { accelerators: acceleratorsFor('deno', nativeAddonsAllowed(deno)), secure });
  const state = new ServerState<T>(config);
  let listener: DenoListener;
  if (options.tls !== undefined) {
    const { cert, key } = await loadTls(deno, options.tls);
    listener = deno.listenTls({ hostname, port, cert, key, alpnProtocols: ['http/1.1'] });
  } else {
    listener = deno.listen({ hostname, port, transport: 'tcp' });
  }
  const accepting = acceptLoop(listener, state);
  const boundPort = listener.addr.port;
  return state.server(boundPort, hostname, async (stopOptions) => {
    try {
      listener.close();
    } catch {
      /* already closed */
    }
    await accepting;
    await state.shutdown(stopOptions);
  });
}
