/**
 * The socket object handed to the application. It holds no state of its own besides `data`: every call goes
 * to its {@link Session}, so that a connection costs one small object here and no closures.
 */
import type { ServerWebSocket } from './types.ts';
import type { Session } from './session.ts';

/** `ServerWebSocket` implementation; created by the session when the upgrade is accepted. */
export class WebSocket<T> implements ServerWebSocket<T> {
  /** Application data attached by the upgrade hook. */
  data: T;
  readonly #session: Session<T>;

  /** @internal Created by {@link Session} only. */
  constructor(session: Session<T>, data: T) {
    this.#session = session;
    this.data = data;
  }

  send(data: string | Uint8Array | ArrayBuffer | ArrayBufferView, compress?: boolean): number {
    return this.#session.send(data, compress);
  }
  sendText(data: string, compress?: boolean): number {
    return this.#session.send(String(data), compress);
  }
  sendBinary(data: Uint8Array | ArrayBuffer | ArrayBufferView, compress?: boolean): number {
    return this.#session.send(data, compress);
  }
  close(code?: number, reason?: string): void {
    this.#session.close(code, reason);
  }
  terminate(): void {
    this.#session.terminate();
  }
  ping(data?: string | Uint8Array): number {
    return this.#session.control(true, data);
  }
  pong(data?: string | Uint8Array): number {
    return this.#session.control(false, data);
  }
  get bufferedAmount(): number {
    return this.#session.bufferedAmount;
  }
  get protocol(): string {
    return this.#session.conn.protocol;
  }
  get extensions(): string {
    return this.#session.conn.extensions;
  }
  get remoteAddress(): string {
    return this.#session.transport.remoteAddress;
  }
  get readyState(): 0 | 1 | 2 | 3 {
    return this.#session.readyState;
  }
  drained(): Promise<void> {
    return this.#session.drained();
  }
}
