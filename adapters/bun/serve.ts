/**
 * `serve()` on Bun, over `Bun.listen` (raw TCP/TLS sockets).
 *
 * Why not `Bun.serve`: it owns the WebSocket protocol (uWebSockets) and never hands the raw socket to user
 * code, so the core could not run on it. Why not Bun's `node:http` `'upgrade'` event: Bun's emulation of the
 * upgraded socket has been unreliable (data lost or delayed between the head and the first frames, half-close
 * and backpressure differ from Node). `Bun.listen` gives bytes in, bytes out and `drain`: all the pump needs.
 * The options mirror Bun.serve's shape (`port`, `hostname`, `tls`, `websocket: { open, message, close, drain, … }`).
 */
import { acceleratorsFor } from '../shared/accelerators.ts';
import type { Socket, SocketHandler, TCPSocketListener } from 'bun';
import { readFile } from 'node:fs/promises';
import { MisuseError } from '../../core/errors.ts';
import type { ServeOptions, Server, TlsConfig } from '../shared/types.ts';
import { resolveAddress, resolveServerConfig } from '../shared/options.ts';
import { ServerState } from '../shared/server-state.ts';
import { BunTransport } from './transport.ts';

type BunSocket = Socket<BunTransport | undefined>;

/** ALPN in wire format (length-prefixed): only HTTP/1.1 (RFC 7301), the only protocol the upgrade runs over. */
const ALPN_HTTP11 = new Uint8Array([8, ...new TextEncoder().encode('http/1.1')]);
/** OpenSSL/BoringSSL option bits that refuse TLS 1.0 and 1.1 (TLS 1.2 minimum, as on Node). */
const SSL_OP_NO_TLSv1 = 0x04000000;
const SSL_OP_NO_TLSv1_1 = 0x10000000;

/** Bun's UTF-8 decoding: `Buffer#toString` (the core validated the bytes already). */
function decodeUtf8(bytes: Uint8Array): string {
  return (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('utf8');
}

async function loadTls(tls: TlsConfig): Promise<{ cert: string; key: string; passphrase?: string; ca?: string }> {
  const cert = tls.cert ?? (tls.certFile !== undefined ? await readFile(tls.certFile, 'utf8') : undefined);
  const key = tls.key ?? (tls.keyFile !== undefined ? await readFile(tls.keyFile, 'utf8') : undefined);
  if (cert === undefined || key === undefined) {
    throw new MisuseError('INVALID_OPTION', 'tls needs cert and key (PEM strings) or certFile and keyFile');
  }
  return { cert, key, ...(tls.passphrase !== undefined ? { passphrase: tls.passphrase } : {}), ...(tls.ca !== undefined ? { ca: tls.ca } : {}) };
}

/** Socket handlers of one server: one object shared by all its sockets. */
function socketHandlers<T>(state: ServerState<T>, secure: boolean): SocketHandler<BunTransport | undefined> {
  return {
    open(socket: BunSocket) {
      if (!state.admits()) {
        socket.terminate();
        return;
      }
      socket.setNoDelay(true);
      const transport = new BunTransport(socket, secure);
      socket.data = transport;
      transport.sink = state.connect(transport);
    },
    data(socket: BunSocket, data: Uint8Array) {
      socket.data?.sink?.onData(data);
    },
    drain(socket: BunSocket) {
      socket.data?.onDrain();
    },
    end(socket: BunSocket) {
      socket.data?.sink?.onEnd();
    },
    error(socket: BunSocket) {
      socket.data?.sink?.onEnd();
    },
    close(socket: BunSocket) {
      socket.data?.onClose();
    },
    // With a handshake handler Bun calls `open` at accept rather than after the TLS handshake, so the core's
    // handshake deadline also bounds a client that never finishes (or never starts) its TLS handshake.
    ...(secure
      ? {
          handshake(socket: BunSocket, success: boolean) {
            if (success) socket.data?.tlsReady();
          },
        }
      : {}),
  };
}

/** Starts a WebSocket server on Bun. Resolves once listening. */
export async function serve<T = undefined>(options: ServeOptions<T>): Promise<Server<T>> {
  if (typeof (globalThis as { Bun?: unknown }).Bun === 'undefined') throw new MisuseError('INVALID_STATE', 'websock/bun needs the Bun runtime');
  const { port, hostname } = resolveAddress(options);
  const secure = options.tls !== undefined;
  const config = resolveServerConfig<T>(options, { decodeText: decodeUtf8, accelerators: acceleratorsFor('bun'), secure });
  const state = new ServerState<T>(config);
  const tls = options.tls !== undefined ? await loadTls(options.tls) : undefined;
  const listener: TCPSocketListener<BunTransport | undefined> = Bun.listen<BunTransport | undefined>({
    hostname,
    port,
    data: undefined,
    socket: socketHandlers(state, tls !== undefined),
    ...(tls !== undefined ? { tls: { ...tls, ALPNProtocols: ALPN_HTTP11, secureOptions: SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 } } : {}),
  });
  return state.server(listener.port, hostname, async (stopOptions) => {
    listener.stop(false);
    await state.shutdown(stopOptions);
    listener.stop(true);
  });
}
