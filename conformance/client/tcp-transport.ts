/**
 * TCP and TLS transport on node:net / node:tls, which Node, Bun and Deno all provide.
 * TLS accepts self-signed certificates (loopback testing), and Nagle is off so chopped writes leave one by one.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { CaseTransport, TransportHandlers } from './transport.ts';

/** Where to connect. */
export interface TcpTarget {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  /** TLS server name (SNI); defaults to the host unless it is an IP address. */
  readonly servername?: string;
}

/** A transport over one TCP (or TLS) connection. */
export class TcpTransport implements CaseTransport {
  private socket: net.Socket | null = null;
  private handlers: TransportHandlers | null = null;
  private closed = false;

  constructor(private readonly target: TcpTarget) {}

  connect(handlers: TransportHandlers): void {
    this.handlers = handlers;
    const { host, port, secure } = this.target;
    const onOpen = () => {
      if (!this.closed) handlers.onOpen();
    };
    const socket = secure
      ? tls.connect({
          host,
          port,
          rejectUnauthorized: false,
          ...(net.isIP(host) === 0 ? { servername: this.target.servername ?? host } : {}),
        }, onOpen)
      : net.connect({ host, port }, onOpen);
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Uint8Array) => {
      if (!this.closed) handlers.onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    });
    // The server closing its side ends the case (the suite's client does not keep half-open connections).
    socket.on('end', () => this.finish('server closed the connection'));
    socket.on('close', () => this.finish('connection closed'));
    socket.on('error', (err: Error) => this.finish(`socket error: ${err.message}`));
  }

  write(bytes: Uint8Array, flushed?: () => void): void {
    const s = this.socket;
    if (s === null || this.closed || s.destroyed) {
      flushed?.();
      return;
    }
    s.write(bytes, flushed ? () => flushed() : undefined);
  }

  abort(): void {
    if (this.socket !== null && !this.socket.destroyed) this.socket.destroy();
    this.finish('dropped by client');
  }

  private finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    const s = this.socket;
    if (s !== null && !s.destroyed) s.destroy();
    this.handlers?.onClose(reason);
  }
}

/** Parses ws:// or wss:// into a target and the request path (with query). */
export function parseWsUrl(url: string): { target: TcpTarget; path: string; hostHeader: string } {
  const u = new URL(url);
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new Error(`not a ws:// or wss:// URL: ${url}`);
  const secure = u.protocol === 'wss:';
  const port = u.port === '' ? (secure ? 443 : 80) : Number(u.port);
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return { target: { host, port, secure }, path: (u.pathname || '/') + u.search, hostHeader: u.host };
}
