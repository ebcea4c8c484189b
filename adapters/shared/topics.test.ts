import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_SUBSCRIPTIONS_PER_SOCKET, MAX_TOPIC_CHARS_PER_SOCKET, TopicRegistry, publishPayload } from './topics.ts';
import { misuseCode } from '../../core/testing.ts';

test('subscribers per topic and topics per subscriber stay in step', () => {
  const registry = new TopicRegistry<string>();
  assert.ok(registry.subscribe('a', 'chat'));
  assert.ok(registry.subscribe('a', 'chat'));
  assert.ok(registry.subscribe('a', 'news'));
  assert.ok(registry.subscribe('b', 'chat'));
  assert.equal([...registry.subscribersOf('chat')], ['a', 'b']);
  assert.equal(registry.topicsOf('a'), ['chat', 'news']);
  assert.is(registry.subscriberCount('chat'), 2);
  assert.is(registry.subscriberCount('none'), 0);
  assert.is(registry.subscribersOf('none').size, 0);
  assert.ok(registry.isSubscribed('b', 'chat'));
  assert.not.ok(registry.isSubscribed('b', 'news'));
  assert.ok(registry.unsubscribe('a', 'chat'));
  assert.not.ok(registry.unsubscribe('a', 'chat'));
  assert.not.ok(registry.unsubscribe('c', 'chat'));
  assert.equal([...registry.subscribersOf('chat')], ['b']);
  assert.equal(registry.topicsOf('a'), ['news']);
});

test('nothing is left behind: empty topics and subscribers without topics are dropped', () => {
  const registry = new TopicRegistry<object>();
  const members = Array.from({ length: 50 }, () => ({}));
  for (const [i, m] of members.entries()) {
    for (let t = 0; t < 20; t++) registry.subscribe(m, `topic-${(i + t) % 30}`);
  }
  assert.is(registry.topicCount, 30);
  assert.is(registry.subscriberTotal, 50);
  for (const m of members.slice(0, 25)) registry.unsubscribeAll(m);
  for (const m of members.slice(25)) for (const t of registry.topicsOf(m)) registry.unsubscribe(m, t);
  assert.is(registry.topicCount, 0);
  assert.is(registry.subscriberTotal, 0);
  registry.unsubscribeAll(members[0]!); // twice is harmless
});

test('the per-subscriber caps: count and characters', () => {
  const registry = new TopicRegistry<string>();
  for (let i = 0; i < MAX_SUBSCRIPTIONS_PER_SOCKET; i++) registry.subscribe('a', String(i));
  assert.is(misuseCode(() => registry.subscribe('a', 'more')), 'INVALID_STATE');
  assert.ok(registry.subscribe('a', '0'), 'already held');
  assert.ok(registry.subscribe('b', 'more'), 'the cap is per subscriber');
  registry.unsubscribeAll('a');
  const long = 'L'.repeat(MAX_TOPIC_CHARS_PER_SOCKET - 3);
  assert.ok(registry.subscribe('a', long));
  assert.ok(registry.subscribe('a', 'abc'));
  assert.is(misuseCode(() => registry.subscribe('a', 'd')), 'INVALID_STATE');
  registry.unsubscribe('a', 'abc');
  assert.ok(registry.subscribe('a', 'd'), 'characters are given back on unsubscribe');
  assert.is(misuseCode(() => registry.subscribe('c', 'x'.repeat(MAX_TOPIC_CHARS_PER_SOCKET + 1))), 'INVALID_OPTION');
  assert.is(registry.subscriberCount('x'.repeat(MAX_TOPIC_CHARS_PER_SOCKET + 1)), 0, 'a long name may be asked about');
});

test('stored names equal the given ones, lone surrogates included', () => {
  const registry = new TopicRegistry<string>();
  const names = ['short', 'a topic cut from a longer message'.slice(2), 'lone \uD800 surrogate and more', '✓ ünïcödé topic name'];
  for (const name of names) registry.subscribe('a', name);
  assert.equal(registry.topicsOf('a'), names);
  for (const name of names) assert.ok(registry.isSubscribed('a', name));
});

test('topics must be non-empty strings (as with Bun)', () => {
  const registry = new TopicRegistry<string>();
  for (const topic of [undefined, null, 1, {}, Symbol('t'), ''] as unknown as string[]) {
    assert.is(misuseCode(() => registry.subscribe('a', topic)), 'INVALID_OPTION');
    assert.is(misuseCode(() => registry.unsubscribe('a', topic)), 'INVALID_OPTION');
    assert.is(misuseCode(() => registry.isSubscribed('a', topic)), 'INVALID_OPTION');
    assert.is(misuseCode(() => registry.subscriberCount(topic)), 'INVALID_OPTION');
  }
  assert.is(registry.topicCount, 0);
});

test('publishPayload: text stays a string, buffers become views over the same memory', () => {
  assert.is(publishPayload('hi', undefined), 'hi');
  assert.is(publishPayload('hi', false), 'hi');
  const bytes = new Uint8Array([1, 2, 3, 4]);
  assert.is(publishPayload(bytes, undefined), bytes);
  const view = publishPayload(new DataView(bytes.buffer, 1, 2), true) as Uint8Array;
  assert.equal([...view], [2, 3]);
  assert.is(view.buffer, bytes.buffer);
  assert.is((publishPayload(bytes.buffer, undefined) as Uint8Array).buffer, bytes.buffer);
  assert.is(misuseCode(() => publishPayload('hi', true)), 'INVALID_OPTION');
  assert.is(misuseCode(() => publishPayload(bytes, false)), 'INVALID_OPTION');
  for (const data of [undefined, null, 1, {}, [1, 2]]) assert.is(misuseCode(() => publishPayload(data, undefined)), 'INVALID_OPTION');
});

test.run();
