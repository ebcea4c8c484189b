/**
 * Topic publish/subscribe over the adapter of the runtime executing it (Node, Bun or Deno), with raw clients on
 * real loopback sockets (ports picked by the OS).
 *   node:  esbuild adapters/test/pubsub.test.ts --bundle --platform=node --format=esm --packages=external --outfile=build/x-pubsub.mjs && node build/x-pubsub.mjs
 *   bun:   node_modules/.bin/bun adapters/test/pubsub.test.ts
 *   deno:  node_modules/.bin/deno run -A adapters/test/pubsub.test.ts
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ServeOptions, Server, ServerWebSocket } from '../shared/types.ts';
import { MAX_SUBSCRIPTIONS_PER_SOCKET, MAX_TOPIC_CHARS_PER_SOCKET } from '../shared/topics.ts';
import { RawClient, type ConnectOptions } from './raw-client.ts';
import { inflateLast } from './inflate.ts';
import { adapter, bytesEqual, pattern, runtime, serve, waitUntil } from './helpers.ts';
import { misuseCode } from '../../core/testing.ts';

const test = suite(`pub/sub on the ${adapter} adapter on ${runtime}`);
const decoder = new TextDecoder();

type Ws = ServerWebSocket<{ name: string }>;

/** A server whose sockets are named by the client's `X-Name` header, and the sockets by name once open. */
async function withServer(
  options: Partial<ServeOptions<{ name: string }>>,
  body: (server: Server, sockets: Map<string, Ws>) => Promise<void>,
): Promise<void> {
  const sockets = new Map<string, Ws>();
  const handlers = options.websocket ?? {};
  const server = await serve<{ name: string }>({
    port: 0,
    hostname: '127.0.0.1',
    upgrade: (req) => ({ data: { name: req.headers.get('x-name') ?? '?' } }),
    ...options,
    websocket: {
      ...handlers,
      open(ws) {
        sockets.set(ws.data.name, ws);
        handlers.open?.(ws);
      },
    },
  });
  try {
    await body(server, sockets);
  } finally {
    await server.stop({ timeoutMs: 500 });
  }
}

/** Connects clients named `names` and waits until the server has opened all of them. */
async function connectAll(server: Server, sockets: Map<string, Ws>, names: string[], options: ConnectOptions = {}): Promise<RawClient[]> {
  const clients: RawClient[] = [];
  for (const name of names) clients.push(await RawClient.connect(server.port, false, { ...options, headers: { 'X-Name': name } }));
  await waitUntil(() => names.every((n) => sockets.has(n)), 'open handlers');
  return clients;
}

/** Proves that nothing else reached `client` before: a direct marker must be the next message. */
async function assertNothingBefore(client: RawClient, ws: Ws): Promise<void> {
  ws.send('marker');
  assert.is(await client.nextText(), 'marker');
}

test('subscribe, isSubscribed, subscriptions, unsubscribe, subscriberCount', async () => {
  await withServer({}, async (server, sockets) => {
    const clients = await connectAll(server, sockets, ['a', 'b']);
    const a = sockets.get('a')!;
    const b = sockets.get('b')!;
    assert.is(server.subscriberCount('chat'), 0);
    assert.is(a.subscribe('chat'), true);
    assert.is(a.subscribe('chat'), true, 'subscribing twice is harmless');
    assert.is(a.subscribe('news'), true);
    assert.is(b.subscribe('chat'), true);
    assert.ok(a.isSubscribed('chat'));
    assert.not.ok(b.isSubscribed('news'));
    assert.equal(a.subscriptions, ['chat', 'news']);
    assert.equal(b.subscriptions, ['chat']);
    assert.is(server.subscriberCount('chat'), 2);
    assert.is(server.subscriberCount('news'), 1);
    assert.is(a.unsubscribe('chat'), true);
    assert.is(a.unsubscribe('chat'), false, 'no longer subscribed');
    assert.is(a.unsubscribe('never'), false);
    assert.equal(a.subscriptions, ['news']);
    assert.is(server.subscriberCount('chat'), 1);
    assert.is(b.unsubscribe('chat'), true);
    assert.is(server.subscriberCount('chat'), 0);
    for (const c of clients) c.destroy();
  });
});

test('server.publish reaches every subscriber (text and binary), and no one else', async () => {
  await withServer({}, async (server, sockets) => {
    const [ca, cb, cc] = await connectAll(server, sockets, ['a', 'b', 'c']);
    sockets.get('a')!.subscribe('room');
    sockets.get('b')!.subscribe('room');
    assert.is(server.publish('room', 'héllo wörld ✓'), 2);
    const bytes = pattern(300, 7);
    assert.is(server.publish('room', bytes), 2);
    assert.is(server.publish('room', bytes.buffer as ArrayBuffer), 2, 'an ArrayBuffer');
    assert.is(server.publish('room', new DataView(bytes.buffer, 10, 20)), 2, 'a view of part of a buffer');
    assert.is(server.publish('empty', 'nobody'), 0);
    for (const client of [ca!, cb!]) {
      assert.is(await client.nextText(), 'héllo wörld ✓');
      for (const expected of [bytes, bytes, bytes.subarray(10, 30)]) {
        const message = await client.nextMessage();
        assert.is(message.opcode, 2);
        assert.ok(bytesEqual(message.data, expected));
      }
    }
    await assertNothingBefore(cc!, sockets.get('c')!);
    for (const c of [ca!, cb!, cc!]) c.destroy();
  });
});

test('ws.publish reaches the other subscribers, never the sender; publishText and publishBinary', async () => {
  const chat = {
    message(ws: Ws, data: string | Uint8Array) {
      ws.publish('chat', `${ws.data.name}: ${String(data)}`);
    },
  };
  await withServer({ websocket: chat }, async (server, sockets) => {
    const [ca, cb, cc] = await connectAll(server, sockets, ['a', 'b', 'c']);
    for (const name of ['a', 'b', 'c']) sockets.get(name)!.subscribe('chat');
    ca!.sendText('hi');
    assert.is(await cb!.nextText(), 'a: hi');
    assert.is(await cc!.nextText(), 'a: hi');
    await assertNothingBefore(ca!, sockets.get('a')!);
    const b = sockets.get('b')!;
    assert.is(b.publishText('chat', 'text from b'), 2);
    assert.is(b.publishBinary('chat', new Uint8Array([1, 2, 3])), 2);
    for (const client of [ca!, cc!]) {
      assert.is(await client.nextText(), 'text from b');
      const message = await client.nextMessage();
      assert.is(message.opcode, 2);
      assert.equal([...message.data], [1, 2, 3]);
    }
    await assertNothingBefore(cb!, b);
    // A socket need not be subscribed to publish; as the only subscriber it reaches no one.
    const c = sockets.get('c')!;
    c.unsubscribe('chat');
    assert.is(c.publish('chat', 'from outside'), 2);
    assert.is(await ca!.nextText(), 'from outside');
    assert.is(await cb!.nextText(), 'from outside');
    const a = sockets.get('a')!;
    a.subscribe('solo');
    assert.is(a.publish('solo', 'to myself?'), 0);
    await assertNothingBefore(ca!, a);
    for (const client of [ca!, cb!, cc!]) client.destroy();
  });
});

test('publishToSelf: ws.publish also reaches the sender when it is subscribed', async () => {
  await withServer({ websocket: { publishToSelf: true } }, async (server, sockets) => {
    const [ca, cb] = await connectAll(server, sockets, ['a', 'b']);
    for (const name of ['a', 'b']) sockets.get(name)!.subscribe('room');
    assert.is(sockets.get('a')!.publish('room', 'to all'), 2);
    assert.is(await ca!.nextText(), 'to all');
    assert.is(await cb!.nextText(), 'to all');
    for (const client of [ca!, cb!]) client.destroy();
  });
});

test('a closed socket leaves all its topics before its close handler; a closed socket neither subscribes nor publishes', async () => {
  const seenInClose: { subscriptions: string[]; count: number; subscribe: boolean; publish: number }[] = [];
  let server: Server | undefined;
  await withServer(
    {
      websocket: {
        close(ws) {
          seenInClose.push({
            subscriptions: ws.subscriptions,
            count: server!.subscriberCount('room'),
            subscribe: ws.subscribe('room'),
            publish: ws.publish('room', 'ghost'),
          });
          server!.publish('room', `${ws.data.name} left`);
        },
      },
    },
    async (s, sockets) => {
      server = s;
      const [ca, cb, cc] = await connectAll(s, sockets, ['a', 'b', 'c']);
      for (const name of ['a', 'b', 'c']) {
        sockets.get(name)!.subscribe('room');
        sockets.get(name)!.subscribe(`own-${name}`);
      }
      assert.is(s.subscriberCount('room'), 3);
      ca!.sendClose(1000); // a clean close
      assert.equal(await ca!.expectClose(), { code: 1000, reason: '' });
      cb!.destroy(); // and a vanished peer
      await waitUntil(() => seenInClose.length === 2, 'close handlers');
      for (const seen of seenInClose) {
        assert.equal(seen.subscriptions, []);
        assert.is(seen.subscribe, false);
        assert.is(seen.publish, 0);
      }
      assert.is(seenInClose[0]!.count, 2);
      assert.is(seenInClose[1]!.count, 1);
      assert.is(s.subscriberCount('room'), 1);
      assert.is(s.subscriberCount('own-a'), 0);
      assert.is(s.subscriberCount('own-b'), 0);
      assert.is(await cc!.nextText(), 'a left');
      assert.is(await cc!.nextText(), 'b left');
      await assertNothingBefore(cc!, sockets.get('c')!);
      const a = sockets.get('a')!;
      assert.is(a.readyState, 3);
      assert.is(a.subscribe('late'), false);
      assert.is(s.subscriberCount('late'), 0);
      assert.is(s.publish('room', 'still here?'), 1);
      assert.is(await cc!.nextText(), 'still here?');
      cc!.destroy();
    },
  );
});

test('with permessage-deflate each subscriber is compressed by its own context; others get plain frames', async () => {
  await withServer({ deflate: { threshold: 16 } }, async (server, sockets) => {
    const [za, zb] = await connectAll(server, sockets, ['za', 'zb'], { extensions: 'permessage-deflate; client_max_window_bits' });
    const [plain] = await connectAll(server, sockets, ['plain']);
    for (const name of ['za', 'zb', 'plain']) sockets.get(name)!.subscribe('feed');
    // zb has a message of its own first: its compression context differs from za's.
    sockets.get('zb')!.send('only for zb, only for zb, only for zb');
    const first = await zb!.nextFrame();
    assert.ok(first.rsv1);
    const historyB = [first.payload];
    const historyA: Uint8Array[] = [];
    const text = 'the same text, the same text, the same text, published twice';
    for (let round = 0; round < 2; round++) {
      assert.is(server.publish('feed', text), 3);
      const fa = await za!.nextFrame();
      assert.ok(fa.rsv1, 'compressed for za');
      assert.is(fa.opcode, 1);
      const fb = await zb!.nextFrame();
      assert.ok(fb.rsv1, 'compressed for zb');
      historyA.push(fa.payload);
      historyB.push(fb.payload);
      assert.is(decoder.decode(inflateLast(historyA)), text);
      assert.is(decoder.decode(inflateLast(historyB)), text);
      const fp = await plain!.nextFrame();
      assert.not.ok(fp.rsv1);
      assert.is(decoder.decode(fp.payload), text);
    }
    // Below the threshold, or with compress false, nothing is compressed.
    assert.is(server.publish('feed', 'short'), 3);
    assert.is(server.publish('feed', text, false), 3);
    for (const client of [za!, zb!]) {
      for (const expected of ['short', text]) {
        const frame = await client.nextFrame();
        assert.not.ok(frame.rsv1);
        assert.is(decoder.decode(frame.payload), expected);
      }
    }
    for (const client of [za!, zb!, plain!]) client.destroy();
  });
});

test('backpressure is per subscriber: a subscriber that does not read is dropped (drop policy), the others get everything', async () => {
  const hwm = 256 * 1024;
  const chunk = pattern(64 * 1024, 3);
  await withServer({ backpressure: { highWaterMark: hwm, lowWaterMark: 64 * 1024, onLimit: 'drop' }, limits: { pingIntervalMs: 0 } }, async (server, sockets) => {
    const [fast, slow] = await connectAll(server, sockets, ['fast', 'slow']);
    slow!.socket.pause(); // its kernel buffers fill, then its queue reaches the high-water mark
    sockets.get('fast')!.subscribe('feed');
    sockets.get('slow')!.subscribe('feed');
    /** Reads binary messages until a text one, checking each; resolves to their count. */
    const readUntilText = async (client: RawClient): Promise<number> => {
      for (let count = 0; count < 10_000; count++) {
        const message = await client.nextMessage();
        if (message.opcode === 1) return count;
        if (!bytesEqual(message.data, chunk)) throw new Error('corrupt message');
      }
      throw new Error('too many messages');
    };
    const fastCount = readUntilText(fast!);
    let published = 0;
    let slowDrops = 0;
    let maxSlowBuffered = 0;
    const slowWs = sockets.get('slow')!;
    for (let i = 0; i < 1000 && slowDrops < 5; i++) {
      const delivered = server.publish('feed', chunk);
      published++;
      if (delivered === 1) slowDrops++;
      else assert.is(delivered, 2);
      maxSlowBuffered = Math.max(maxSlowBuffered, slowWs.bufferedAmount);
      await new Promise((resolve) => setTimeout(resolve, 1)); // lets the fast client read
    }
    assert.is(slowDrops, 5, `the slow subscriber was dropped (after ${published} messages)`);
    assert.ok(maxSlowBuffered <= hwm + chunk.byteLength + 16, `its queue stayed bounded (${maxSlowBuffered})`);
    assert.is(server.publish('feed', 'end'), 1);
    assert.is(await fastCount, published, 'the reading subscriber got every message');
    slow!.socket.resume();
    await slowWs.drained();
    slowWs.send('end');
    assert.is(await readUntilText(slow!), published - slowDrops, 'the slow one got all but the dropped ones');
    fast!.destroy();
    slow!.destroy();
  });
});

test(`the subscription cap: ${MAX_SUBSCRIPTIONS_PER_SOCKET} topics and ${MAX_TOPIC_CHARS_PER_SOCKET} topic characters per socket`, async () => {
  await withServer({}, async (server, sockets) => {
    const clients = await connectAll(server, sockets, ['a', 'b']);
    const a = sockets.get('a')!;
    for (let i = 0; i < MAX_SUBSCRIPTIONS_PER_SOCKET; i++) assert.is(a.subscribe(`t${i}`), true);
    assert.is(misuseCode(() => a.subscribe('one-too-many')), 'INVALID_STATE');
    assert.is(a.subscribe('t0'), true, 'an existing subscription is not a new one');
    assert.is(a.subscriptions.length, MAX_SUBSCRIPTIONS_PER_SOCKET);
    assert.not.ok(a.isSubscribed('one-too-many'));
    assert.is(server.subscriberCount('one-too-many'), 0);
    a.unsubscribe('t0');
    assert.is(a.subscribe('one-too-many'), true, 'room again after an unsubscribe');
    // Characters: a few long names fill the budget as many short ones would.
    const b = sockets.get('b')!;
    const half = 'x'.repeat(MAX_TOPIC_CHARS_PER_SOCKET / 2);
    assert.is(b.subscribe(half), true);
    assert.is(b.subscribe(half.slice(1) + 'y'), true);
    assert.is(misuseCode(() => b.subscribe('z')), 'INVALID_STATE');
    assert.is(misuseCode(() => b.subscribe('w'.repeat(MAX_TOPIC_CHARS_PER_SOCKET + 1))), 'INVALID_OPTION');
    b.unsubscribe(half);
    assert.is(b.subscribe('z'), true);
    assert.is(server.publish(half.slice(1) + 'y', 'long topic'), 1);
    assert.is(await clients[1]!.nextText(), 'long topic');
    for (const c of clients) c.destroy();
  });
});

test('the caps are options: serve({ pubsub: { maxTopicsPerSocket, maxTopicCharsPerSocket } })', async () => {
  await withServer({ pubsub: { maxTopicsPerSocket: 2, maxTopicCharsPerSocket: 10 } }, async (server, sockets) => {
    const clients = await connectAll(server, sockets, ['a']);
    const a = sockets.get('a')!;
    assert.is(a.subscribe('one'), true);
    assert.is(a.subscribe('two'), true);
    assert.is(misuseCode(() => a.subscribe('six')), 'INVALID_STATE', 'third topic');
    a.unsubscribe('one');
    assert.is(misuseCode(() => a.subscribe('eight888')), 'INVALID_STATE', '3 + 8 characters');
    assert.is(misuseCode(() => a.subscribe('x'.repeat(11))), 'INVALID_OPTION', 'one name over the bound');
    for (const c of clients) c.destroy();
  });
  for (const pubsub of [{ maxTopicsPerSocket: 0 }, { maxTopicCharsPerSocket: 1.5 }]) {
    let code = '';
    try {
      await serve({ port: 0, hostname: '127.0.0.1', pubsub, websocket: {} });
    } catch (error) {
      code = (error as { code?: string }).code ?? '';
    }
    assert.is(code, 'INVALID_OPTION', JSON.stringify(pubsub));
  }
});

test('misuse throws MisuseError, also on a closed socket', async () => {
  await withServer({}, async (server, sockets) => {
    const [ca, cb] = await connectAll(server, sockets, ['a', 'b']);
    const a = sockets.get('a')!;
    const bad = [undefined, null, 42, {}, ['chat']] as unknown as string[];
    const check = (ws: Ws): void => {
      for (const topic of bad) {
        assert.is(misuseCode(() => ws.subscribe(topic)), 'INVALID_OPTION');
        assert.is(misuseCode(() => ws.unsubscribe(topic)), 'INVALID_OPTION');
        assert.is(misuseCode(() => ws.isSubscribed(topic)), 'INVALID_OPTION');
        assert.is(misuseCode(() => ws.publish(topic, 'x')), 'INVALID_OPTION');
        assert.is(misuseCode(() => server.publish(topic, 'x')), 'INVALID_OPTION');
        assert.is(misuseCode(() => server.subscriberCount(topic)), 'INVALID_OPTION');
      }
      assert.is(misuseCode(() => ws.publish('t', 42 as unknown as string)), 'INVALID_OPTION');
      assert.is(misuseCode(() => ws.publishText('t', new Uint8Array(1) as unknown as string)), 'INVALID_OPTION');
      assert.is(misuseCode(() => ws.publishBinary('t', 'text' as unknown as Uint8Array)), 'INVALID_OPTION');
      assert.is(misuseCode(() => server.publish('t', { length: 1 } as unknown as Uint8Array)), 'INVALID_OPTION');
    };
    check(a);
    assert.equal(a.subscriptions, [], 'nothing was subscribed by a failed call');
    sockets.get('b')!.subscribe('t');
    assert.is(misuseCode(() => server.publish('t', 42 as unknown as string)), 'INVALID_OPTION', 'checked before anything is sent');
    await assertNothingBefore(cb!, sockets.get('b')!);
    ca!.destroy();
    await waitUntil(() => a.readyState === 3, 'a closed');
    check(a);
    cb!.destroy();
  });
});

// Node only: the same topics through createUpgradeHandler on an existing node:http server.
(runtime === 'node' ? test : test.skip)('createUpgradeHandler: publish and subscriberCount', async () => {
  const { createServer } = await import('node:http');
  const { createUpgradeHandler } = await import('../node/index.ts');
  const handler = createUpgradeHandler({ websocket: { open: (ws) => void ws.subscribe('news') } });
  const http = createServer((_req, res) => res.end('plain'));
  http.on('upgrade', (req, socket, head) => handler.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  try {
    const port = (http.address() as { port: number }).port;
    const clients = [await RawClient.connect(port, false), await RawClient.connect(port, false)];
    await waitUntil(() => handler.subscriberCount('news') === 2, 'two subscribers');
    assert.is(handler.publish('news', 'extra!'), 2);
    for (const client of clients) assert.is(await client.nextText(), 'extra!');
    for (const client of clients) client.destroy();
    await waitUntil(() => handler.subscriberCount('news') === 0, 'subscribers gone');
  } finally {
    await handler.stop({ timeoutMs: 500 });
    await new Promise<void>((resolve) => http.close(() => resolve()));
  }
});

test.run();
