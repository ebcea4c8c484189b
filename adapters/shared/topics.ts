/**
 * Topic subscriptions of one server (pub/sub, as Bun.serve and uWebSockets offer): one map from topic to its
 * subscribers, and per subscriber the topics it holds, so that leaving every topic on close is cheap; plus the
 * checks of `subscribe`/`publish` arguments. No I/O: publishing (one payload handed to each subscriber's own
 * session) lives in server-state.ts.
 *
 * Memory is bounded per subscriber, because applications often subscribe from peer input: by default at most
 * {@link MAX_SUBSCRIPTIONS_PER_SOCKET} topics and {@link MAX_TOPIC_CHARS_PER_SOCKET} characters of topic names
 * (`serve({ pubsub: { maxTopicsPerSocket, maxTopicCharsPerSocket } })` changes them).
 */
import { MisuseError } from '../../core/errors.ts';

/** Most topics one socket may be subscribed to at once; `subscribe` beyond it throws `MisuseError` (`INVALID_STATE`). */
export const MAX_SUBSCRIPTIONS_PER_SOCKET = 1024;

/**
 * Most characters (UTF-16 code units, summed over its topic names) one socket's subscriptions may hold; beyond it
 * `subscribe` throws `MisuseError` (`INVALID_STATE`). A single topic longer than this throws `INVALID_OPTION`.
 * Characters are accounted besides the count, so that long names cannot make one socket's subscriptions large.
 */
export const MAX_TOPIC_CHARS_PER_SOCKET = 65536;

/**
 * V8 and JavaScriptCore keep substrings as views of their parent (from 13 characters in V8): a topic cut out of a
 * 16 MiB message would keep the whole message alive for as long as the topic exists. Topic names that are stored
 * are therefore copied once, when the topic is created (not per subscriber). A JSON round trip always builds a
 * fresh flat string and preserves every code unit, lone surrogates included.
 */
const MIN_SLICED_STRING_LENGTH = 13;

function ownedCopy(topic: string): string {
  return topic.length < MIN_SLICED_STRING_LENGTH ? topic : (JSON.parse(JSON.stringify(topic)) as string);
}

/** Throws `MisuseError` (`INVALID_OPTION`) unless `topic` is a string. */
export function checkTopic(topic: unknown): asserts topic is string {
  if (typeof topic !== 'string') throw new MisuseError('INVALID_OPTION', `a topic must be a string (got ${describe(topic)})`);
  if (topic.length === 0) throw new MisuseError('INVALID_OPTION', 'a topic must not be empty (as with Bun)');
}

/** The per-socket bounds of a {@link TopicRegistry}. */
export interface TopicLimits {
  /** Default {@link MAX_SUBSCRIPTIONS_PER_SOCKET}. */
  readonly maxTopicsPerSocket: number;
  /** Default {@link MAX_TOPIC_CHARS_PER_SOCKET}. */
  readonly maxTopicCharsPerSocket: number;
}

export const DEFAULT_TOPIC_LIMITS: TopicLimits = {
  maxTopicsPerSocket: MAX_SUBSCRIPTIONS_PER_SOCKET,
  maxTopicCharsPerSocket: MAX_TOPIC_CHARS_PER_SOCKET,
};

/** What `publish` accepts: text, or binary in any buffer form. */
export type PublishData = string | Uint8Array | ArrayBuffer | ArrayBufferView;

/**
 * Checks what is to be published and says how it goes out: a string as text (`binary` undefined or false), a buffer
 * as binary (`binary` undefined or true) as a view over the same memory. Returns the bytes for binary, the string for
 * text (encoded later, once, only if someone subscribed). Throws `MisuseError` (`INVALID_OPTION`) on anything else:
 * `publishText` takes strings only, `publishBinary` buffers only.
 */
export function publishPayload(data: unknown, binary: boolean | undefined): string | Uint8Array {
  if (typeof data === 'string') {
    if (binary === true) throw new MisuseError('INVALID_OPTION', 'publishBinary needs a Uint8Array, ArrayBuffer or ArrayBufferView (got string)');
    return data;
  }
  if (binary !== false) {
    if (data instanceof Uint8Array) return data;
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
  }
  const method = binary === undefined ? 'publish' : binary ? 'publishBinary' : 'publishText';
  const expected = binary === undefined ? 'a string, Uint8Array, ArrayBuffer or ArrayBufferView' : binary ? 'a Uint8Array, ArrayBuffer or ArrayBufferView' : 'a string';
  throw new MisuseError('INVALID_OPTION', `${method} needs ${expected} (got ${describe(data)})`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

/** One topic: its name (an owned copy) and its subscribers. */
interface Topic<M> {
  readonly name: string;
  readonly members: Set<M>;
}

/** The topics one subscriber holds, and the characters of their names (see {@link MAX_TOPIC_CHARS_PER_SOCKET}). */
interface Holdings<M> {
  readonly topics: Set<Topic<M>>;
  chars: number;
}

const NO_MEMBERS: ReadonlySet<never> = new Set<never>();

/** The subscriptions of one server: `Map<topic, Set<subscriber>>` plus each subscriber's own topics. */
export class TopicRegistry<M> {
  readonly #topics = new Map<string, Topic<M>>();
  readonly #holdings = new Map<M, Holdings<M>>();
  readonly #limits: TopicLimits;

  constructor(limits: TopicLimits = DEFAULT_TOPIC_LIMITS) {
    this.#limits = limits;
  }

  /** {@link checkTopic}, and a name no longer than the per-socket character bound (what `subscribe` stores). */
  checkSubscribable(topic: unknown): void {
    checkTopic(topic);
    const max = this.#limits.maxTopicCharsPerSocket;
    if (topic.length > max) throw new MisuseError('INVALID_OPTION', `a topic may have at most ${max} characters (got ${topic.length})`);
  }

  /**
   * Subscribes `member` to `topic`. Returns true once subscribed (also when it already was). Throws `MisuseError`:
   * `INVALID_OPTION` if `topic` is not a string or is longer than `maxTopicCharsPerSocket`;
   * `INVALID_STATE` if the member already holds `maxTopicsPerSocket` topics or the new name would take its topic
   * characters over `maxTopicCharsPerSocket`.
   */
  subscribe(member: M, topic: string): boolean {
    this.checkSubscribable(topic);
    const { maxTopicsPerSocket, maxTopicCharsPerSocket } = this.#limits;
    let entry = this.#topics.get(topic);
    let held = this.#holdings.get(member);
    if (entry !== undefined && held !== undefined && held.topics.has(entry)) return true;
    if (held !== undefined) {
      if (held.topics.size >= maxTopicsPerSocket) {
        throw new MisuseError('INVALID_STATE', `a socket may hold at most ${maxTopicsPerSocket} subscriptions`);
      }
      if (held.chars + topic.length > maxTopicCharsPerSocket) {
        throw new MisuseError('INVALID_STATE', `a socket's topic names may total at most ${maxTopicCharsPerSocket} characters`);
      }
    }
    if (entry === undefined) {
      const name = ownedCopy(topic);
      entry = { name, members: new Set<M>() };
      this.#topics.set(name, entry);
    }
    if (held === undefined) {
      held = { topics: new Set<Topic<M>>(), chars: 0 };
      this.#holdings.set(member, held);
    }
    entry.members.add(member);
    held.topics.add(entry);
    held.chars += topic.length;
    return true;
  }

  /** Unsubscribes `member` from `topic`. Returns true if it was subscribed. Throws `MisuseError` if `topic` is not a string. */
  unsubscribe(member: M, topic: string): boolean {
    checkTopic(topic);
    const entry = this.#topics.get(topic);
    const held = this.#holdings.get(member);
    if (entry === undefined || held === undefined || !held.topics.delete(entry)) return false;
    held.chars -= entry.name.length;
    if (held.topics.size === 0) this.#holdings.delete(member);
    this.#leave(entry, member);
    return true;
  }

  /** Removes `member` from every topic it holds (a socket closed). Topics left without subscribers are dropped. */
  unsubscribeAll(member: M): void {
    const held = this.#holdings.get(member);
    if (held === undefined) return;
    this.#holdings.delete(member);
    for (const entry of held.topics) this.#leave(entry, member);
  }

  /** True if `member` is subscribed to `topic`. Throws `MisuseError` if `topic` is not a string. */
  isSubscribed(member: M, topic: string): boolean {
    checkTopic(topic);
    const entry = this.#topics.get(topic);
    return entry !== undefined && entry.members.has(member);
  }

  /** The topics `member` is subscribed to, in subscription order (a fresh array). */
  topicsOf(member: M): string[] {
    const held = this.#holdings.get(member);
    if (held === undefined) return [];
    const names: string[] = [];
    for (const entry of held.topics) names.push(entry.name);
    return names;
  }

  /** The live set of `topic`'s subscribers (empty if none). Do not modify it. */
  subscribersOf(topic: string): ReadonlySet<M> {
    return this.#topics.get(topic)?.members ?? NO_MEMBERS;
  }

  /** How many subscribers `topic` has. Throws `MisuseError` if `topic` is not a string. */
  subscriberCount(topic: string): number {
    checkTopic(topic);
    return this.#topics.get(topic)?.members.size ?? 0;
  }

  /** Topics with at least one subscriber. */
  get topicCount(): number {
    return this.#topics.size;
  }

  /** Subscribers holding at least one topic. */
  get subscriberTotal(): number {
    return this.#holdings.size;
  }

  #leave(entry: Topic<M>, member: M): void {
    entry.members.delete(member);
    if (entry.members.size === 0) this.#topics.delete(entry.name);
  }
}
