/**
 * The shared integration suite: runs against the adapter of the runtime executing it (Node, Bun or Deno),
 * over plain TCP and over TLS, with a raw client on real loopback sockets (ports picked by the OS).
 *   node:  esbuild adapters/test/adapter.test.ts --bundle --platform=node --format=esm --packages=external --outfile=build/x-adapter.mjs && node build/x-adapter.mjs
 *   bun:   node_modules/.bin/bun adapters/test/adapter.test.ts
 *   deno:  node_modules/.bin/deno run -A adapters/test/adapter.test.ts
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as net from 'node:net';
import { deflateRawSync, constants as zlibConstants } from 'node:zlib';
import { generateSelfSignedCertificate } from '../shared/self-signed.ts';
import { MisuseError } from '../../core/errors.ts';
import type { ServeOptions, Server, ServerWebSocket } from '../shared/types.ts';
import { RawClient, acceptKeyFor, closeCodeOf, encodeFrame } from './raw-client.ts';
import { inflate, inflateLast } from './inflate.ts';
import { adapter, bytesEqual, capabilities, pattern, quietly, runtime, serve, sleep, waitUntil } from './helpers.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const certificate = await generateSelfSignedCertificate({ commonName: 'localhost', altNames: ['localhost', '127.0.0.1'] });

function defineSuite(secure: boolean): void {
  const test = suite(`${adapter} adapter on ${runtime} over ${secure ? 'TLS (wss)' : 'TCP (ws)'}`);

  async function withServer<T>(options: Partial<ServeOptions<T>>, body: (server: Server) => Promise<void>): Promise<void> {
    const server = await serve<T>({
      port: 0,
      hostname: '127.0.0.1',
      ...(secure ? { tls: certificate } : {}),
      websocket: {},
      ...options,
    } as ServeOptions<T>);
    try {
      await body(server);
    } finally {
      await server.stop({ timeoutMs: 500 });
    }
  }

  const connect = (server: Server, options?: Parameters<typeof RawClient.connect>[2]) => RawClient.connect(server.port, secure, options);
  const start = (server: Server, options?: Parameters<typeof RawClient.start>[2]) => RawClient.start(server.port, secure, options);

  /** Tests that need the peer's reading speed to reach the server's writes (see AdapterCapabilities.tlsBackpressure). */
  const backpressureTest = secure && !capabilities.tlsBackpressure ? test.skip : test;

  const echo = {
    message(ws: ServerWebSocket<unknown>, data: string | Uint8Array) {
      ws.send(data);
    },
  };

  test('accepts an upgrade: 101 with the right accept key, url, open handler', async () => {
    const opened: { readyState: number; remoteAddress: string; protocol: string }[] = [];
    await withServer({ websocket: { open: (ws) => void opened.push({ readyState: ws.readyState, remoteAddress: ws.remoteAddress, protocol: ws.protocol }) } }, async (server) => {
      assert.ok(server.port > 0);
      assert.is(server.url, `${secure ? 'wss' : 'ws'}://127.0.0.1:${server.port}/`);
      const client = await connect(server);
      assert.is(client.response!.headers.get('sec-websocket-accept'), acceptKeyFor(client.key));
      await waitUntil(() => opened.length === 1, 'open');
      assert.equal(opened[0], { readyState: 1, remoteAddress: '127.0.0.1', protocol: '' });
      assert.is(server.connections, 1);
      client.destroy();
    });
  });

  test('refuses synchronously with the hook’s status, headers and body', async () => {
    await withServer({ upgrade: () => ({ status: 401, headers: { 'www-authenticate': 'Bearer' }, body: 'who are you?' }) }, async (server) => {
      const client = await start(server);
      const head = await client.readHead();
      assert.is(head.status, 401);
      assert.is(head.headers.get('www-authenticate'), 'Bearer');
      assert.match(await client.readToEnd(), 'who are you?');
      await client.waitClosed();
    });
  });

  test('accepts asynchronously with data, keeping frames that arrived during the decision', async () => {
    await withServer<{ user: string }>(
      {
        async upgrade(req) {
          await sleep(30);
          return { data: { user: req.headers.get('x-user') ?? '?' } };
        },
        websocket: { message: (ws, data) => void ws.send(`${ws.data.user}:${String(data)}`) },
      },
      async (server) => {
        const client = await start(server, { headers: { 'X-User': 'ann' }, extra: encodeFrame(1, encoder.encode('early')) });
        assert.is((await client.readHead()).status, 101);
        assert.is(await client.nextText(), 'ann:early');
        client.destroy();
      },
    );
  });

  test('refuses asynchronously; a throwing or rejecting hook answers 500', async () => {
    await withServer({ upgrade: async (req) => (req.path === '/no' ? { status: 403 } : undefined) }, async (server) => {
      const refused = await start(server, { path: '/no?x=1' });
      assert.is((await refused.readHead()).status, 403);
      await refused.waitClosed();
      const accepted = await connect(server, { path: '/yes' });
      accepted.destroy();
    });
    await quietly(async () => {
      for (const upgrade of [
        () => {
          throw new Error('sync boom');
        },
        async () => {
          throw new Error('async boom');
        },
      ]) {
        await withServer({ upgrade }, async (server) => {
          const client = await start(server);
          assert.is((await client.readHead()).status, 500);
          await client.waitClosed();
        });
      }
    });
  });

  test('subprotocols: server preference wins, unknown offers still connect, the hook may override', async () => {
    const seen: (string | undefined)[] = [];
    await withServer(
      {
        protocols: ['chat.v2', 'chat.v1'],
        upgrade: (req, ctx) => {
          seen.push(ctx.protocol);
          return req.path === '/v1' ? { protocol: 'chat.v1' } : undefined;
        },
        websocket: { open: (ws) => void ws.send(ws.protocol) },
      },
      async (server) => {
        const both = await connect(server, { protocols: ['chat.v1', 'chat.v2'] });
        assert.is(both.response!.headers.get('sec-websocket-protocol'), 'chat.v2');
        assert.is(await both.nextText(), 'chat.v2');
        const unknown = await connect(server, { protocols: ['other'] });
        assert.is(unknown.response!.headers.get('sec-websocket-protocol'), undefined);
        assert.is(await unknown.nextText(), '');
        const overridden = await connect(server, { path: '/v1', protocols: ['chat.v2', 'chat.v1'] });
        assert.is(overridden.response!.headers.get('sec-websocket-protocol'), 'chat.v1');
        assert.equal(seen, ['chat.v2', undefined, 'chat.v2']);
        for (const c of [both, unknown, overridden]) c.destroy();
      },
    );
  });

  test('origin allow-list: listed origins pass, others and missing get 403; predicates decide', async () => {
    await withServer({ origins: ['https://Good.example'] }, async (server) => {
      (await connect(server, { origin: 'https://good.example' })).destroy();
      for (const origin of ['https://evil.example', undefined]) {
        const client = await start(server, origin === undefined ? {} : { origin });
        assert.is((await client.readHead()).status, 403);
        await client.waitClosed();
      }
    });
    await withServer({ origins: (origin) => origin === undefined }, async (server) => {
      (await connect(server)).destroy();
      const client = await start(server, { origin: 'https://any.example' });
      assert.is((await client.readHead()).status, 403);
      client.destroy();
    });
  });

  test('echoes text and binary messages of many sizes unchanged', async () => {
    await withServer({ limits: { maxMessageSize: 8 << 20, maxFrameSize: 8 << 20 }, websocket: echo }, async (server) => {
      const client = await connect(server);
      for (const size of [0, 1, 125, 126, 127, 65535, 65536, 100_000, 1 << 20, 4 << 20]) {
        const bytes = pattern(size, size);
        client.sendBinary(bytes);
        const binary = await client.nextMessage();
        assert.is(binary.opcode, 2);
        assert.ok(bytesEqual(binary.data, bytes), `binary ${size}`);
        const text = 'é€😀a'.repeat(Math.ceil(size / 10)).slice(0, size);
        client.sendText(text);
        assert.is(await client.nextText(), text, `text ${size}`);
      }
      client.destroy();
    });
  });

  test("textMessages 'bytes': text arrives as validated UTF-8 bytes (isBinary false), sendText(bytes) relays it as text", async () => {
    const seen: [string, boolean][] = [];
    const errors: string[] = [];
    const relay = {
      message(ws: ServerWebSocket<unknown>, data: string | Uint8Array, isBinary: boolean) {
        seen.push([typeof data, isBinary]);
        if (isBinary) ws.send(data);
        else ws.sendText(data);
        try {
          ws.sendText(new Uint8Array([0x61, 0xc3])); // a cut sequence: misuse, nothing sent
        } catch (error) {
          errors.push((error as MisuseError).code);
        }
      },
    };
    await withServer({ textMessages: 'bytes', websocket: relay }, async (server) => {
      const client = await connect(server);
      for (const text of ['', 'plain', 'é€😀'.repeat(5000)]) {
        client.sendText(text);
        const message = await client.nextMessage();
        assert.is(message.opcode, 1, 'sent back as a text frame');
        assert.is(decoder.decode(message.data), text);
      }
      client.sendBinary(new Uint8Array([1, 2, 3]));
      assert.is((await client.nextMessage()).opcode, 2);
      client.destroy();
    });
    assert.equal(seen, [['object', false], ['object', false], ['object', false], ['object', true]]);
    assert.equal(errors, ['INVALID_OPTION', 'INVALID_OPTION', 'INVALID_OPTION', 'INVALID_OPTION']);
  });

  test('fragmented messages (UTF-8 split across fragments, ping in between) arrive whole', async () => {
    const pings: string[] = [];
    await withServer({ websocket: { ...echo, ping: (_ws, data) => void pings.push(decoder.decode(data)) } }, async (server) => {
      const client = await connect(server);
      const word = encoder.encode('wörld');
      client.sendFrame(1, 'Hel', { fin: false });
      client.sendFrame(9, 'p');
      client.sendFrame(0, encoder.encode('lo '), { fin: false });
      client.sendFrame(0, word.subarray(0, 2), { fin: false }); // 'w' and the first byte of 'ö'
      client.sendFrame(0, word.subarray(2), { fin: true });
      const pong = await client.nextFrame();
      assert.is(pong.opcode, 10);
      assert.is(decoder.decode(pong.payload), 'p');
      assert.is(await client.nextText(), 'Hello wörld');
      assert.equal(pings, ['p']);
      client.destroy();
    });
  });

  test('stream receive mode hands fragments to the fragment handler as they arrive', async () => {
    const parts: { size: number; first: boolean; fin: boolean }[] = [];
    await withServer(
      {
        receiveMode: 'stream',
        websocket: {
          fragment(ws, data, info) {
            parts.push({ size: data.byteLength, first: info.first, fin: info.fin });
            if (info.fin) ws.send(String(parts.length));
          },
        },
      },
      async (server) => {
        const client = await connect(server);
        client.sendFrame(2, pattern(10), { fin: false });
        client.sendFrame(0, pattern(20), { fin: false });
        client.sendFrame(0, pattern(30), { fin: true });
        const count = Number(await client.nextText());
        assert.ok(count >= 3);
        assert.is(parts.reduce((n, p) => n + p.size, 0), 60);
        assert.ok(parts[0]!.first);
        assert.ok(parts[parts.length - 1]!.fin);
        client.destroy();
      },
    );
  });

  test('ping/pong both ways', async () => {
    const pongs: string[] = [];
    await withServer({ websocket: { open: (ws) => void ws.ping('hi'), pong: (_ws, data) => void pongs.push(decoder.decode(data)) } }, async (server) => {
      const client = await connect(server);
      const ping = await client.nextFrame();
      assert.is(ping.opcode, 9);
      assert.is(decoder.decode(ping.payload), 'hi');
      client.sendFrame(10, ping.payload);
      await waitUntil(() => pongs.length === 1, 'pong handler');
      assert.equal(pongs, ['hi']);
      client.sendFrame(9, 'abc');
      const pong = await client.nextFrame();
      assert.is(pong.opcode, 10);
      assert.is(decoder.decode(pong.payload), 'abc');
      client.destroy();
    });
  });

  test('close handshake started by the client: code and reason reach the handler, clean', async () => {
    const closes: unknown[] = [];
    await withServer({ websocket: { close: (ws, code, reason, clean) => void closes.push([code, reason, clean, ws.readyState]) } }, async (server) => {
      const client = await connect(server);
      client.sendClose(4000, 'bye');
      const reply = await client.expectClose();
      assert.is(reply.code, 4000);
      await client.waitClosed();
      await waitUntil(() => closes.length === 1, 'close handler');
      assert.equal(closes[0], [4000, 'bye', true, 3]);
    });
  });

  test('close handshake started by the server; misuse throws; send after close returns 0', async () => {
    const results: unknown[] = [];
    await withServer(
      {
        websocket: {
          message(ws) {
            try {
              ws.close(999);
            } catch (error) {
              results.push(error instanceof MisuseError);
            }
            ws.close(4001, 'server says bye');
            results.push(ws.readyState, ws.send('late'));
          },
          close: (_ws, code, _reason, clean) => void results.push(code, clean),
        },
      },
      async (server) => {
        const client = await connect(server);
        client.sendText('close me');
        const close = await client.expectClose();
        assert.equal(close, { code: 4001, reason: 'server says bye' });
        client.sendClose(4001);
        await client.waitClosed();
        await waitUntil(() => results.length === 5, 'close handler');
        assert.equal(results, [true, 2, 0, 4001, true]);
      },
    );
  });

  test('a protocol error from the peer closes with 1002 and reports the error', async () => {
    const errors: string[] = [];
    const closes: unknown[] = [];
    await withServer(
      { websocket: { error: (_ws, error) => void errors.push((error as { code: string }).code), close: (_ws, code, _r, clean) => void closes.push([code, clean]) } },
      async (server) => {
        const client = await connect(server);
        client.sendFrame(1, 'unmasked', { mask: false });
        const close = await client.expectClose();
        assert.is(close.code, 1002);
        await client.waitClosed();
        await waitUntil(() => closes.length === 1, 'close handler');
        assert.equal(errors, ['UNMASKED_FRAME']);
      },
    );
  });

  test('idle timeout: keepalive ping, then 1001 and the socket closed; a live peer stays', async () => {
    const errors: string[] = [];
    const closes: boolean[] = [];
    await withServer(
      {
        limits: { pingIntervalMs: 60, pongTimeoutMs: 60 },
        websocket: { ...echo, error: (_ws, e) => void errors.push((e as { code: string }).code), close: (_ws, _c, _r, clean) => void closes.push(clean) },
      },
      async (server) => {
        const [silent, live] = await Promise.all([connect(server), connect(server)]);
        // The live client talks every 15 ms and answers pings (nextMessage does), across several intervals.
        const liveLoop = (async () => {
          for (let i = 0; i < 15; i++) {
            await sleep(15);
            live.sendText(`still here ${i}`);
            assert.is(await live.nextText(), `still here ${i}`);
          }
        })();
        const ping = await silent.nextFrame();
        assert.is(ping.opcode, 9);
        const close = await silent.nextFrame();
        assert.is(close.opcode, 8);
        assert.is(closeCodeOf(close), 1001);
        await silent.waitClosed();
        await liveLoop;
        assert.equal(errors, ['IDLE_TIMEOUT']);
        assert.equal(closes, [false]);
        live.destroy();
      },
    );
  });

  test('handshake timeout: 408 for an incomplete head, 503 for a decision that never comes', async () => {
    await withServer({ limits: { handshakeTimeoutMs: 100 }, upgrade: () => new Promise<undefined>(() => {}) }, async (server) => {
      const partial = await RawClient.open(server.port, secure);
      partial.write('GET / HTTP/1.1\r\nHost: x\r\n');
      assert.is((await partial.readHead()).status, 408);
      await partial.waitClosed();
      const undecided = await start(server);
      assert.is((await undecided.readHead()).status, 503);
      await undecided.waitClosed();
      await waitUntil(() => server.connections === 0, 'no connections');
    });
  });

  backpressureTest('backpressure (wait): send reports -1 at the high-water mark, the queue stays bounded, drain fires once the peer reads', async () => {
    const hwm = 256 * 1024;
    const chunk = pattern(64 * 1024);
    const state = { sent: 0, last: 0, maxBuffered: 0, drains: 0, floods: 0, clientReading: false, drainedResolved: false };
    // Sends until the queue is over the high-water mark (bounded loop).
    const flood = (ws: ServerWebSocket<unknown>): void => {
      state.floods++;
      for (let i = 0; i < 4000; i++) {
        state.last = ws.send(chunk);
        state.sent++;
        state.maxBuffered = Math.max(state.maxBuffered, ws.bufferedAmount);
        if (state.last === -1) break;
      }
      void ws.drained().then(() => (state.drainedResolved = true));
    };
    await withServer(
      {
        backpressure: { highWaterMark: hwm, lowWaterMark: 64 * 1024, onLimit: 'wait' },
        websocket: {
          message: flood,
          drain(ws) {
            state.drains++;
            // Until the client reads again, the kernel may still take bytes: fill up again.
            if (!state.clientReading && state.floods < 100) flood(ws);
            else ws.send('done');
          },
        },
      },
      async (server) => {
        const client = await connect(server);
        client.socket.pause(); // stop reading: the kernel buffers fill, then the server's queue
        client.sendText('go');
        await waitUntil(() => state.last === -1, 'send to report backpressure', 10_000);
        await sleep(50);
        assert.is(state.last, -1);
        assert.ok(state.maxBuffered <= hwm + chunk.byteLength + 16, `queue bounded (${state.maxBuffered})`);
        const drainsBefore = state.drains;
        state.clientReading = true;
        client.socket.resume();
        for (let i = 0; i < state.sent; i++) {
          const message = await client.nextMessage();
          assert.is(message.data.byteLength, chunk.byteLength);
        }
        assert.is(await client.nextText(), 'done');
        assert.is(state.drains, drainsBefore + 1);
        assert.ok(state.drainedResolved);
        client.destroy();
      },
    );
  });

  test('backpressure (drop / close): over the mark send returns 0; close sends 1008 after the queued data', async () => {
    for (const onLimit of ['drop', 'close'] as const) {
      const results: number[] = [];
      await withServer(
        {
          backpressure: { highWaterMark: 128 * 1024, lowWaterMark: 0, onLimit },
          websocket: {
            message(ws) {
              for (let i = 0; i < 4000; i++) {
                const r = ws.send(pattern(64 * 1024));
                if (r === -1) {
                  results.push(r, ws.send('over the mark'));
                  break;
                }
              }
            },
          },
        },
        async (server) => {
          const client = await connect(server);
          client.socket.pause();
          client.sendText('go');
          await waitUntil(() => results.length === 2, 'backpressure', 10_000);
          assert.equal(results, [-1, 0]);
          client.socket.resume();
          if (onLimit === 'close') {
            const close = await client.expectClose(10_000);
            assert.is(close.code, 1008);
          }
          client.destroy();
        },
      );
    }
  });

  backpressureTest('echo to a client that never reads: reading pauses, the queue stays bounded, all arrives once it reads', async () => {
    const hwm = 256 * 1024;
    const size = 64 * 1024;
    const count = 200; // 12.5 MiB, far more than the kernel buffers plus the high-water mark
    const state = { received: 0, maxBuffered: 0 };
    await withServer(
      {
        backpressure: { highWaterMark: hwm, lowWaterMark: 64 * 1024 },
        limits: { pingIntervalMs: 0 },
        websocket: {
          message(ws, data) {
            state.received++;
            ws.send(data);
            state.maxBuffered = Math.max(state.maxBuffered, ws.bufferedAmount);
          },
        },
      },
      async (server) => {
        const client = await connect(server);
        client.socket.pause();
        const payload = pattern(size, 7);
        for (let i = 0; i < count; i++) client.sendBinary(payload);
        // Wait until the server stops taking messages (its reading is paused), bounded.
        let last = -1;
        for (let i = 0; i < 200 && state.received !== last; i++) {
          last = state.received;
          await sleep(30);
        }
        assert.ok(state.received < count, `reading paused (${state.received} of ${count} taken)`);
        assert.ok(state.maxBuffered <= hwm + size + 16, `queue bounded (${state.maxBuffered})`);
        client.socket.resume();
        for (let i = 0; i < count; i++) {
          const message = await client.nextMessage();
          assert.ok(bytesEqual(message.data, payload));
        }
        assert.is(state.received, count);
        client.destroy();
      },
    );
  });

  test('an async message handler pauses delivery: one at a time, in order', async () => {
    let active = 0;
    let maxActive = 0;
    await withServer(
      {
        websocket: {
          async message(ws, data) {
            active++;
            maxActive = Math.max(maxActive, active);
            await sleep(2);
            active--;
            ws.send(data);
          },
        },
      },
      async (server) => {
        const client = await connect(server);
        const frames: Uint8Array[] = [];
        for (let i = 0; i < 20; i++) frames.push(encodeFrame(1, encoder.encode(`m${i}`)));
        const all = new Uint8Array(frames.reduce((n, f) => n + f.byteLength, 0));
        let offset = 0;
        for (const f of frames) {
          all.set(f, offset);
          offset += f.byteLength;
        }
        client.write(all);
        for (let i = 0; i < 20; i++) assert.is(await client.nextText(), `m${i}`);
        assert.is(maxActive, 1);
        client.destroy();
      },
    );
  });

  test('graceful shutdown: 1001 to everyone, waits for the handshakes, then refuses connections', async () => {
    const closes: number[] = [];
    const server = await serve({ port: 0, ...(secure ? { tls: certificate } : {}), websocket: { close: (_ws, code) => void closes.push(code) } });
    const clients = await Promise.all([connect(server), connect(server), connect(server)]);
    const silent = await connect(server); // never answers the close frame
    const stopped = server.stop({ timeoutMs: 300 });
    for (const client of clients) {
      const close = await client.expectClose();
      assert.is(close.code, 1001);
      client.sendClose(1001);
    }
    assert.is((await silent.expectClose()).code, 1001);
    await stopped;
    await silent.waitClosed();
    for (const client of clients) await client.waitClosed();
    assert.is(server.connections, 0);
    assert.is(closes.length, 4);
    assert.is(closes.filter((c) => c === 1001).length, 3);
    let refused = false;
    try {
      (await RawClient.connect(server.port, secure)).destroy();
    } catch {
      refused = true;
    }
    assert.ok(refused, 'no longer accepting');
  });

  test('stop() while an async upgrade and an async fetch are pending finishes and drops them', async () => {
    const server = await serve({
      port: 0,
      ...(secure ? { tls: certificate } : {}),
      upgrade: () => new Promise<undefined>((resolve) => setTimeout(resolve, 300)),
      fetch: () => new Promise((resolve) => setTimeout(() => resolve({ status: 200 }), 300)),
      websocket: {},
    });
    const upgrading = await start(server);
    const fetching = await RawClient.open(server.port, secure);
    fetching.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await waitUntil(() => server.connections === 2, 'both connections');
    await server.stop({ timeoutMs: 200 });
    assert.is(server.connections, 0);
    await upgrading.waitClosed();
    await fetching.waitClosed();
    await sleep(350); // the late decisions land on closed sessions without effect
    assert.is(server.connections, 0);
  });

  test('200 concurrent connections each get their echo', async () => {
    await withServer({ websocket: echo }, async (server) => {
      const clients = await Promise.all(Array.from({ length: 200 }, () => connect(server)));
      assert.is(server.connections, 200);
      clients.forEach((c, i) => c.sendText(`client ${i}`));
      const replies = await Promise.all(clients.map((c) => c.nextText()));
      replies.forEach((r, i) => assert.is(r, `client ${i}`));
      clients.forEach((c) => c.sendClose(1000));
      await Promise.all(clients.map((c) => c.waitClosed()));
      await waitUntil(() => server.connections === 0, 'all sessions ended');
    });
  });

  test('abrupt disconnects mid-frame and mid-handshake end the session (1006), the server carries on', async () => {
    const closes: unknown[] = [];
    await withServer({ websocket: { ...echo, close: (_ws, code, _r, clean) => void closes.push([code, clean]) } }, async (server) => {
      const midFrame = await connect(server);
      midFrame.write(encodeFrame(2, pattern(1000)).subarray(0, 200));
      await sleep(10);
      midFrame.destroy();
      const midHandshake = await RawClient.open(server.port, secure);
      midHandshake.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgr');
      await sleep(10);
      midHandshake.destroy();
      await waitUntil(() => closes.length === 1 && server.connections === 0, 'sessions ended');
      assert.equal(closes, [[1006, false]]);
      const next = await connect(server);
      next.sendText('still serving');
      assert.is(await next.nextText(), 'still serving');
      next.destroy();
    });
  });

  test('plain HTTP: fetch answers, without fetch 426', async () => {
    await withServer({ fetch: (req) => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: `hello ${req.path}` }) }, async (server) => {
      const client = await RawClient.open(server.port, secure);
      client.write('GET /page?q=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      const head = await client.readHead();
      assert.is(head.status, 200);
      assert.is(head.headers.get('content-type'), 'text/plain');
      assert.match(await client.readToEnd(), 'hello /page');
    });
    await withServer({}, async (server) => {
      const client = await RawClient.open(server.port, secure);
      client.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      assert.is((await client.readHead()).status, 426);
      client.destroy();
    });
  });

  test('permessage-deflate: negotiated, compressed both ways', async () => {
    await withServer({ deflate: { threshold: 16 }, websocket: { ...echo, open: (ws) => void ws.send(ws.extensions) } }, async (server) => {
      const client = await connect(server, { extensions: 'permessage-deflate; client_max_window_bits' });
      assert.match(client.response!.headers.get('sec-websocket-extensions') ?? '', 'permessage-deflate');
      const first = await client.nextFrame();
      assert.match(decoder.decode(first.rsv1 ? inflate(first.payload) : first.payload), 'permessage-deflate');
      const text = 'compress me '.repeat(500);
      const deflated = deflateRawSync(encoder.encode(text), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
      client.sendFrame(1, deflated.subarray(0, deflated.byteLength - 4), { rsv1: true });
      const frame = await client.nextFrame();
      assert.ok(frame.rsv1, 'server compressed its reply');
      assert.ok(frame.payload.byteLength < text.length / 4);
      // Context takeover: the reply may refer back into the first message.
      assert.is(decoder.decode(inflateLast(first.rsv1 ? [first.payload, frame.payload] : [frame.payload])), text);
      client.destroy();
    });
  });

  test('drained() resolves at once when idle; bufferedAmount is 0; ws.data defaults', async () => {
    const seen: unknown[] = [];
    await withServer(
      {
        websocket: {
          async open(ws) {
            seen.push(ws.bufferedAmount, ws.data);
            await ws.drained();
            seen.push('drained');
          },
        },
      },
      async (server) => {
        const client = await connect(server);
        await waitUntil(() => seen.length === 3, 'drained');
        assert.equal(seen, [0, undefined, 'drained']);
        client.destroy();
      },
    );
  });

  test.run();
}

defineSuite(false);
defineSuite(true);

// Node only: attaching to an existing node:http server ('upgrade' event).
const nodeOnly = suite('node adapter: handleUpgrade on node:http');
(runtime === 'node' ? nodeOnly : nodeOnly.skip)('an existing node:http server hands its upgrades over', async () => {
  const { createServer } = await import('node:http');
  const { createUpgradeHandler } = await import('../node/index.ts');
  const handler = createUpgradeHandler({ protocols: ['p1'], websocket: { message: (ws, data) => void ws.send(data) } });
  const http = createServer((_req, res) => res.end('plain'));
  http.on('upgrade', (req, socket, head) => handler.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as net.AddressInfo).port;
  const client = await RawClient.connect(port, false, { protocols: ['p1'], extra: encodeFrame(1, encoder.encode('with the head')) });
  assert.is(client.response!.headers.get('sec-websocket-protocol'), 'p1');
  assert.is(await client.nextText(), 'with the head');
  client.sendText('after');
  assert.is(await client.nextText(), 'after');
  const stopped = handler.stop({ timeoutMs: 500 });
  assert.is((await client.expectClose()).code, 1001);
  client.sendClose(1001);
  await stopped;
  assert.is(handler.connections, 0);
  await new Promise<void>((resolve) => http.close(() => resolve()));
});
nodeOnly.run();
