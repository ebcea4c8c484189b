/**
 * `serve()` on Node: a `node:net` server (plain ws) or a `node:tls` server (wss) whose sockets are driven by
 * the shared pump. TLS: TLS 1.2 minimum, ALPN `http/1.1`, the TLS handshake bounded by the handshake timeout,
 * and any other `node:tls` server option (SNICallback, ciphers, …) passed through.
 */
import { acceleratorsFor } from '../shared/accelerators.ts';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { ServeOptions, Server, TlsConfig } from '../shared/types.ts';
import type { TextDecodeFn } from '../shared/text-decoder.ts';
import { resolveAddress, resolveServerConfig } from '../shared/options.ts';
import { ServerState } from '../shared/server-state.ts';
import type { Session } from '../shared/session.ts';
import { NodeTransport } from './transport.ts';
import { loadTlsMaterial } from './tls-material.ts';

/** TLS options on Node: PEM material plus any `node:tls` server option (e.g. `SNICallback`, `ciphers`). */
export type NodeTlsConfig = TlsConfig & Omit<tls.TlsOptions, keyof TlsConfig>;

/** `serve()` options on Node: the shared options, with `node:tls` options allowed under `tls`. */
export interface NodeServeOptions<T> extends Omit<ServeOptions<T>, 'tls'> {
  tls?: NodeTlsConfig;
}

/** Node's fastest UTF-8 decoding: `Buffer#toString` over the same memory (the core validated it already). */
export const decodeUtf8Buffer: TextDecodeFn = (bytes) =>
  (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('utf8');

/** Hands an accepted socket to the server's pump. */
export function attachSocket<T>(state: ServerState<T>, socket: net.Socket): Session<T> {
  socket.setNoDelay(true);
  const transport = new NodeTransport(socket);
  const session = state.connect(transport);
  transport.sink = session;
  return session;
}

function listen(server: net.Server, port: number, hostname: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, hostname, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Starts a WebSocket server on Node. Resolves once listening. */
export async function serve<T = undefined>(options: NodeServeOptions<T>): Promise<Server<T>> {
  const { port, hostname } = resolveAddress(options);
  const secure = options.tls !== undefined;
  const config = resolveServerConfig<T>(options as ServeOptions<T>, { decodeText: decodeUtf8Buffer, accelerators: acceleratorsFor('node'), secure });
  const state = new ServerState<T>(config);
  const onSocket = (socket: net.Socket): void => {
    if (!state.admits()) {
      socket.destroy();
      return;
    }
    attachSocket(state, socket);
  };
  let server: net.Server;
  /** TLS: every TCP socket, so that stop() can end those still in their handshake (no session knows them). */
  const tcpSockets = new Set<net.Socket>();
  if (options.tls !== undefined) {
    const { cert, key, certFile: _certFile, keyFile: _keyFile, ...passthrough } = options.tls;
    const material = await loadTlsMaterial({ cert, key, certFile: _certFile, keyFile: _keyFile });
    server = tls.createServer({
      minVersion: 'TLSv1.2',
      ALPNProtocols: ['http/1.1'],
      // Bounds a client that connects and never completes the TLS handshake (the core's clock starts after it).
      handshakeTimeout: config.limits.handshakeTimeoutMs,
      ...passthrough,
      cert: material.cert,
      key: material.key,
    });
    server.on('secureConnection', onSocket);
    // Nothing reached the application. node:tls destroys the socket after a failed handshake, but not after
    // `handshakeTimeout` (a peer that never sends a ClientHello): that one would stay open, and hold stop().
    server.on('tlsClientError', (_error: Error, socket: { destroy(): void }) => socket.destroy());
    // One listener per server, not a closure per socket.
    const forget = function (this: net.Socket): void {
      tcpSockets.delete(this);
    };
    server.on('connection', (socket: net.Socket) => {
      tcpSockets.add(socket);
      socket.once('close', forget);
    });
  } else {
    server = net.createServer();
    server.on('connection', onSocket);
  }
  // Node's own bound also counts sockets still in their TLS handshake, and refuses them before it.
  if (config.maxConnections !== Infinity) server.maxConnections = config.maxConnections;
  server.on('drop', () => state.noteRefused());
  await listen(server, port, hostname);
  const address = server.address() as net.AddressInfo;
  server.on('error', (error) => console.error('websock: server error:', error));
  return state.server(address.port, hostname, async (stopOptions) => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await state.shutdown(stopOptions);
    // The sessions are over; what is left never finished its TLS handshake (server.close() would wait for
    // node:tls's handshakeTimeout).
    for (const socket of tcpSockets) socket.destroy();
    await closed;
  });
}
