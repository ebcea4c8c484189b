/**
 * The socket object handed to the application. It holds no state of its own besides `data`: every call goes
 * to its {@link Session} (topics to the server's registry), so that a connection costs one small object here
 * and no closures.
 */
import type { ServerWebSocket } from './types.ts';
import type { Session } from './session.ts';
import { MisuseError } from '../../core/errors.ts';
import { checkTopic, publishPayload, type PublishData } from './topics.ts';

/*
 * Argument checks of the sending methods. They run before anything reaches the session, in every state, so that a
 * wrong type throws at the call that is wrong (a number must not become that many zero bytes, an object an empty
 * frame, a string a text frame from `sendBinary`). A typeof and an instanceof on the common path; no allocation.
 */

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'Array';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

function wrongType(method: string, expected: string, value: unknown): MisuseError {
  return new MisuseError('INVALID_OPTION', `${method} needs ${expected} (got ${describe(value)})`);
}

/** A Uint8Array, ArrayBuffer or any ArrayBufferView (typed array, DataView). */
function isBuffer(data: unknown): data is Uint8Array | ArrayBuffer | ArrayBufferView {
  return data instanceof Uint8Array || ArrayBuffer.isView(data) || data instanceof ArrayBuffer;
}

function checkCompress(method: string, compress: unknown): void {
  if (compress !== undefined && typeof compress !== 'boolean') throw wrongType(method, 'compress to be a boolean or undefined', compress);
}

function checkControl(method: string, data: unknown): void {
  if (data !== undefined && typeof data !== 'string' && !(data instanceof Uint8Array)) {
    throw wrongType(method, 'a string, a Uint8Array or nothing', data);
  }
}

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
    if (typeof data !== 'string' && !isBuffer(data)) throw wrongType('send', 'a string, Uint8Array, ArrayBuffer or ArrayBufferView', data);
    checkCompress('send', compress);
    return this.#session.send(data, compress);
  }
  sendText(data: string | Uint8Array, compress?: boolean): number {
    checkCompress('sendText', compress);
    if (typeof data === 'string') return this.#session.send(data, compress);
    if (data instanceof Uint8Array) return this.#session.sendTextBytes(data, compress);
    throw wrongType('sendText', 'a string or a Uint8Array of UTF-8', data);
  }
  sendBinary(data: Uint8Array | ArrayBuffer | ArrayBufferView, compress?: boolean): number {
    if (!isBuffer(data)) throw wrongType('sendBinary', 'a Uint8Array, ArrayBuffer or ArrayBufferView', data);
    checkCompress('sendBinary', compress);
    return this.#session.send(data, compress);
  }
  close(code?: number, reason?: string): void {
    this.#session.close(code, reason);
  }
  terminate(): void {
    this.#session.terminate();
  }
  ping(data?: string | Uint8Array): number {
    checkControl('ping', data);
    return this.#session.control(true, data);
  }
  pong(data?: string | Uint8Array): number {
    checkControl('pong', data);
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

  /** A closed socket publishes nothing (Bun 1.4 still publishes from its `close` handler): there, use `server.publish`. */
  #publish(topic: string, data: PublishData, binary: boolean | undefined, compress: boolean | undefined): number {
    const session = this.#session;
    checkCompress(binary === undefined ? 'publish' : binary ? 'publishBinary' : 'publishText', compress);
    if (session.readyState === 3) {
      checkTopic(topic); // misuse throws in every state
      publishPayload(data, binary);
      return 0;
    }
    const owner = session.owner;
    return owner.publish(topic, data, binary, compress, owner.config.handlers.publishToSelf === true ? undefined : session);
  }
}
