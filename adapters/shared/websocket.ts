/**
 * The socket object handed to the application. It holds no state of its own besides `data`: every call goes
 * to its {@link Session} (topics to the server's registry), so that a connection costs one small object here
 * and no closures.
 */
import type { ServerWebSocket } from './types.ts';
import type { Session } from './session.ts';
import { checkTopic, publishPayload, type PublishData } from './topics.ts';

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
  sendText(data: string | Uint8Array, compress?: boolean): number {
    return data instanceof Uint8Array ? this.#session.sendTextBytes(data, compress) : this.#session.send(String(data), compress);
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
  subscribe(topic: string): boolean {
    const session = this.#session;
    if (session.readyState !== 1) {
      session.owner.topics.checkSubscribable(topic); // misuse throws in every state
      return false;
    }
    return session.owner.topics.subscribe(session, topic);
  }
  unsubscribe(topic: string): boolean {
    return this.#session.owner.topics.unsubscribe(this.#session, topic);
  }
  isSubscribed(topic: string): boolean {
    return this.#session.owner.topics.isSubscribed(this.#session, topic);
  }
  get subscriptions(): string[] {
    return this.#session.owner.topics.topicsOf(this.#session);
  }
  publish(topic: string, data: string | Uint8Array | ArrayBuffer | ArrayBufferView, compress?: boolean): number {
    return this.#publish(topic, data, undefined, compress);
  }
  publishText(topic: string, data: string, compress?: boolean): number {
    return this.#publish(topic, data, false, compress);
  }
  publishBinary(topic: string, data: Uint8Array | ArrayBuffer | ArrayBufferView, compress?: boolean): number {
    return this.#publish(topic, data, true, compress);
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

  /** A closed socket publishes nothing (as Bun): in the `close` handler, use `server.publish`. */
  #publish(topic: string, data: PublishData, binary: boolean | undefined, compress: boolean | undefined): number {
    const session = this.#session;
    if (session.readyState === 3) {
      checkTopic(topic); // misuse throws in every state
      publishPayload(data, binary);
      return 0;
    }
    const owner = session.owner;
    return owner.publish(topic, data, binary, compress, owner.config.handlers.publishToSelf === true ? undefined : session);
  }
}
