/**
 * Attaching websock to an existing `node:http` / `node:https` server: call `handleUpgrade` from its
 * `'upgrade'` event. The request head was parsed by node:http; the core validates it exactly as if it had
 * parsed it itself (`receiveRequest`), then takes the bytes that followed (`head`).
 */
import { acceleratorsFor } from '../shared/accelerators.ts';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ServeOptions, ServerWebSocket } from '../shared/types.ts';
import { resolveServerConfig } from '../shared/options.ts';
import { ServerState } from '../shared/server-state.ts';
import { attachSocket, decodeUtf8Buffer } from './serve.ts';
import { buildRejectResponse } from '../../core/http/response.ts';
import { MisuseError } from '../../core/errors.ts';

/** Options of {@link createUpgradeHandler}: `serve()`'s, without the listening part. */
export interface UpgradeHandlerOptions<T> extends Omit<ServeOptions<T>, 'port' | 'hostname' | 'tls' | 'fetch'> {
  /** Report requests as secure (`req.secure`): set it for an `https` server. Default false. */
  secure?: boolean;
}

/** What {@link createUpgradeHandler} returns. */
export interface UpgradeHandler<T = unknown> {
  /**
   * Takes over the socket of an `'upgrade'` event (a socket the client has already closed is just released).
   * Throws `MisuseError` (`INVALID_STATE`) when called twice for one socket.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Uint8Array): void;
  /** Live connections. */
  readonly connections: number;
  /** The open sockets among the connections taken over; see `Server.clients`. */
  readonly clients: ServerWebSocket<T>[];
  /** Publishes to the subscribers of `topic` among the connections taken over; see `Server.publish`. */
  publish(topic: string, data: string | Uint8Array | ArrayBuffer | ArrayBufferView, compress?: boolean): number;
  /** Subscribers of `topic` among the connections taken over; see `Server.subscriberCount`. */
  subscriberCount(topic: string): number;
  /** Graceful shutdown of the connections taken over (1001, wait, terminate); the HTTP server is the caller's. */
  stop(options?: { timeoutMs?: number; force?: boolean }): Promise<void>;
}

/** The answer to an upgrade beyond `maxConnections`. */
const AT_CAPACITY = buildRejectResponse(503, { body: 'too many connections' });

/** Node's flat `rawHeaders` list as `[name, value]` pairs. */
function headerPairs(raw: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i]!, raw[i + 1]!]);
  return pairs;
}

/** Creates an upgrade handler for an existing node:http(s) server. */
export function createUpgradeHandler<T = undefined>(options: UpgradeHandlerOptions<T>): UpgradeHandler<T> {
  const config = resolveServerConfig<T>(options as ServeOptions<T>, { decodeText: decodeUtf8Buffer, accelerators: acceleratorsFor('node'), secure: options.secure === true });
  const state = new ServerState<T>(config);
  /** Sockets handed over already: a second handleUpgrade on one would start a second session on it. */
  const taken = new WeakSet<Duplex>();
  return {
    handleUpgrade(req, duplex, head) {
      const socket = duplex as Socket;
      if (taken.has(socket)) throw new MisuseError('INVALID_STATE', 'handleUpgrade() was already called for this socket');
      taken.add(socket);
      // The client may have left while the application decided (e.g. an async check before handleUpgrade): its
      // EOF was then read, with nobody listening (node:http's sockets allow half-open, so they stay up).
      if (socket.destroyed || !socket.writable || socket.readableEnded) {
        socket.destroy();
        return;
      }
      if (!state.admits()) {
        // At capacity: node:http parsed the request already, so an answer costs nothing here (unlike at accept).
        if (state.accepting) socket.end(AT_CAPACITY, () => socket.destroy());
        else socket.destroy();
        return;
      }
      socket.setTimeout(0); // node:http's timeouts no longer apply; the core's do
      const session = attachSocket(state, socket);
      session.receiveParsed(
        { method: req.method ?? 'GET', target: req.url ?? '/', httpVersion: req.httpVersion, rawHeaders: headerPairs(req.rawHeaders) },
        head,
      );
      socket.resume(); // node:http may leave the socket paused after the upgrade
    },
    get connections() {
      return state.sessions.size;
    },
    get clients() {
      return state.clients();
    },
    publish(topic, data, compress) {
      return state.publish(topic, data, undefined, compress);
    },
    subscriberCount(topic) {
      return state.topics.subscriberCount(topic);
    },
    stop(stopOptions) {
      return state.stop(stopOptions, (checked) => state.shutdown(checked));
    },
  };
}
