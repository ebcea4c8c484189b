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
import { denoNamespace, nativeAddonsAllowed, type DenoConn, type DenoListener, type DenoNamespace } from './deno-api.ts';
import { DenoTransport } from './transport.ts';
import { acceptLoop } from './accept-loop.ts';

async function loadTls(deno: DenoNamespace, tls: TlsConfig): Promise<{ cert: string; key: string }> {
  const cert = tls.cert ?? (tls.certFile !== undefined ? await deno.readTextFile(tls.certFile) : undefined);
  const key = tls.key ?? (tls.keyFile !== undefined ? await deno.readTextFile(tls.keyFile) : undefined);
  if (cert === undefined || key === undefined) {
    throw new MisuseError('INVALID_OPTION', 'tls needs cert and key (PEM strings) or certFile and keyFile');
  }
  return { cert, key };
}

/** Accepts connections until `stopping.stopped`; `stopping.wake` ends a pause between failed accepts early. */
function acceptConnections<T>(deno: DenoNamespace, listener: DenoListener, state: ServerState<T>, stopping: Stopping): Promise<void> {
  return acceptLoop<DenoConn>({
    accept: () => listener.accept(),
    onConnection(conn) {
      if (!state.admits()) {
        try {
          conn.close();
        } catch {
          /* gone */
        }
        return;
      }
      const transport = new DenoTransport(conn);
      transport.sink = state.connect(transport);
      transport.start();
    },
    stopped: () => stopping.stopped,
    listenerGone: (error) => error instanceof deno.errors.BadResource || error instanceof deno.errors.Interrupted,
    // The message only: formatting an Error's stack opens files, and out of descriptors Deno 2.9 then panics.
    onError: (error) => console.error(`websock: accept failed (${error instanceof Error ? error.message : String(error)}), retrying`),
    pause: (ms) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        stopping.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      }),
  });
}

interface Stopping {
  stopped: boolean;
  wake: () => void;
}

/** Starts a WebSocket server on Deno. Resolves once listening. */
export async function serve<T = undefined>(options: ServeOptions<T>): Promise<Server<T>> {
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
  const stopping: Stopping = { stopped: false, wake: () => {} };
  const accepting = acceptConnections(deno, listener, state, stopping);
  const boundPort = listener.addr.port;
  return state.server(boundPort, hostname, async (stopOptions) => {
    stopping.stopped = true;
    stopping.wake();
    try {
      listener.close();
    } catch {
      /* already closed */
    }
    await accepting;
    await state.shutdown(stopOptions);
  });
}
