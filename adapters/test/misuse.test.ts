/**
 * API misuse over real sockets: wrong options fail `serve()` up front, wrong argument types of the sending methods
 * throw MisuseError at the call without harming the connection, and bad hook results answer 500. Runs on Node, Bun
 * and Deno (the adapter of the runtime executing it), over ws and wss.
 *   node:  esbuild adapters/test/misuse.test.ts --bundle --platform=node --format=esm --packages=external --outfile=build/x-misuse.mjs && node build/x-misuse.mjs
 *   bun:   node_modules/.bin/bun adapters/test/misuse.test.ts
 *   deno:  node_modules/.bin/deno run -A adapters/test/misuse.test.ts
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { generateSelfSignedCertificate } from '../shared/self-signed.ts';
import { MisuseError } from '../../core/errors.ts';
import type { ServeOptions, Server, ServerWebSocket } from '../shared/types.ts';
import { RawClient } from './raw-client.ts';
import { adapter, quietly, runtime, serve } from './helpers.ts';
import { serve as serveBun } from '../bun/index.ts';
import { serve as serveDeno } from '../deno/index.ts';

const certificate = await generateSelfSignedCertificate({ commonName: 'localhost', altNames: ['localhost', '127.0.0.1'] });

/** The misuse code a call throws, or 'none'. */
function thrown(call: () => unknown): string {
  try {
    call();
    return 'none';
  } catch (error) {
    return error instanceof MisuseError ? error.code : `other: ${String(error)}`;
  }
}

function defineSuite(secure: boolean): void {
  const test = suite(`misuse: ${adapter} adapter on ${runtime} over ${secure ? 'TLS (wss)' : 'TCP (ws)'}`);
  const tls = secure ? { tls: certificate } : {};

  async function withServer<T>(options: Partial<ServeOptions<T>>, body: (server: Server) => Promise<void>): Promise<void> {
    const server = await serve<T>({ port: 0, hostname: '127.0.0.1', ...tls, websocket: {}, ...options } as ServeOptions<T>);
    try {
      await body(server);
    } finally {
      await server.stop({ timeoutMs: 500 });
    }
  }

  test('serve() refuses invalid options up front with INVALID_OPTION', async () => {
    const bad: Array<Partial<ServeOptions<unknown>>> = [
      { deflate: { serverMaxWindowBits: 99 } },
      { deflate: { level: 12 } },
      { deflate: true as unknown as false },
      { limits: { bogus: 1 } as Partial<ServeOptions<unknown>['limits']> },
      { websocket: { open: 5 as unknown as undefined } },
      { upgrade: 'yes' as unknown as undefined },
    ];
    for (const options of bad) {
      let code = 'none';
      let server: Server | undefined;
      try {
        server = await serve({ port: 0, hostname: '127.0.0.1', ...tls, websocket: {}, ...options } as ServeOptions<unknown>);
      } catch (error) {
        code = error instanceof MisuseError ? error.code : `other: ${String(error)}`;
      }
      if (server !== undefined) await server.stop({ force: true });
      assert.is(code, 'INVALID_OPTION', JSON.stringify(options));
    }
  });

  test('stop() refuses bad options with INVALID_OPTION; a timeout past the timer range still waits for the handshake', async () => {
    const closes: [number, boolean][] = [];
    const server = await serve({ port: 0, hostname: '127.0.0.1', ...tls, websocket: { close: (_ws, code, _r, clean) => void closes.push([code, clean]) } });
    for (const bad of [{ timeoutMs: -1 }, { timeoutMs: Number.NaN }, { timeoutMs: '5000' }, { force: 'yes' }, 42, [], null]) {
      assert.is(thrown(() => server.stop(bad as Parameters<Server['stop']>[0])), 'INVALID_OPTION', JSON.stringify(bad));
    }
    const client = await RawClient.connect(server.port, secure);
    // 1e10 ms is past setTimeout's range (2^31 - 1): unclamped, it fired at once and forced the stop (1006).
    const stopped = server.stop({ timeoutMs: 1e10 });
    assert.is((await client.expectClose()).code, 1001);
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.sendClose(1001);
    await stopped;
    assert.equal(closes, [[1001, true]]);
    client.destroy();
  });

  test('valid deflate options still negotiate', async () => {
    await withServer({ deflate: { serverMaxWindowBits: 10 } }, async (server) => {
      const client = await RawClient.connect(server.port, secure, { extensions: 'permessage-deflate' });
      assert.match(client.response!.headers.get('sec-websocket-extensions') ?? '', 'permessage-deflate');
      client.destroy();
    });
  });

  test('sending methods throw INVALID_OPTION on wrong types; the connection keeps working', async () => {
    const calls: Array<[string, (ws: ServerWebSocket<unknown>) => unknown]> = [
      ['send(123)', (ws) => ws.send(123 as unknown as string)],
      ['send(2**30)', (ws) => ws.send((2 ** 30) as unknown as string)],
      ['send(undefined)', (ws) => ws.send(undefined as unknown as string)],
      ['send({})', (ws) => ws.send({} as unknown as string)],
      ['send([1,2])', (ws) => ws.send([1, 2] as unknown as string)],
      ['sendBinary(str)', (ws) => ws.sendBinary('str' as unknown as Uint8Array)],
      ['sendText(5)', (ws) => ws.sendText(5 as unknown as string)],
      ['ping(123)', (ws) => ws.ping(123 as unknown as string)],
      ['ping({})', (ws) => ws.ping({} as unknown as string)],
      ['pong(5)', (ws) => ws.pong(5 as unknown as string)],
      ['publish(t, 5)', (ws) => ws.publish('t', 5 as unknown as string)],
      ['send(x, yes)', (ws) => ws.send('x', 'yes' as unknown as boolean)],
    ];
    await withServer(
      {
        websocket: {
          message(ws) {
            const results = calls.map(([label, call]) => `${label}=${thrown(() => call(ws))}`);
            ws.send(results.join('|'));
            ws.ping('still here');
            ws.send('done');
          },
        },
      },
      async (server) => {
        const client = await RawClient.connect(server.port, secure);
        client.sendText('go');
        const results = (await client.nextText()).split('|');
        assert.equal(results, calls.map(([label]) => `${label}=INVALID_OPTION`));
        const ping = await client.nextFrame();
        assert.is(ping.opcode, 9);
        assert.is(new TextDecoder().decode(ping.payload), 'still here');
        assert.is(await client.nextText(), 'done');
        client.destroy();
      },
    );
  });

  test('close() arguments are checked in every state, without coercion', async () => {
    const seen: string[] = [];
    await withServer(
      {
        websocket: {
          message(ws) {
            seen.push(`open: ${thrown(() => ws.close(1000, 42 as unknown as string))} ${thrown(() => ws.close('1000' as unknown as number))}`);
            seen.push(`null: ${thrown(() => ws.close(null as unknown as number))} ${thrown(() => ws.close(1000, null as unknown as string))}`);
            ws.close(4000, 'bye');
            seen.push(`closing: ${thrown(() => ws.close(999))} ${thrown(() => ws.close(1000, {} as unknown as string))} ${thrown(() => ws.close(4001))}`);
          },
          close(ws) {
            seen.push(`closed: ${thrown(() => ws.close(1006))} ${thrown(() => ws.close())}`);
          },
        },
      },
      async (server) => {
        const client = await RawClient.connect(server.port, secure);
        client.sendText('go');
        const close = await client.expectClose();
        assert.equal([close.code, close.reason], [4000, 'bye']);
        client.sendClose(4000);
        await client.waitClosed();
        assert.equal(seen, ['open: INVALID_OPTION INVALID_CLOSE_CODE', 'null: INVALID_CLOSE_CODE INVALID_OPTION', 'closing: INVALID_CLOSE_CODE INVALID_OPTION none', 'closed: INVALID_CLOSE_CODE none']);
      },
    );
  });

  test('server.publish checks compress as ws.publish does', async () => {
    await withServer({ websocket: {} }, async (server) => {
      assert.is(thrown(() => server.publish('t', 'x', 'yes' as unknown as boolean)), 'INVALID_OPTION');
      assert.is(server.publish('t', 'x', true), 0);
    });
  });

  test('a fetch body that is an object, a number or an array answers 500', async () => {
    await quietly(() =>
      withServer({ fetch: (req) => ({ status: 200, body: (req.path === '/arr' ? [1, 2] : req.path === '/num' ? 5 : { a: 1 }) as unknown as string }) }, async (server) => {
        for (const path of ['/obj', '/arr', '/num']) {
          const client = await RawClient.open(server.port, secure);
          client.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
          const text = await client.readToEnd();
          assert.ok(text.startsWith('HTTP/1.1 500 '), `${path}: ${JSON.stringify(text.slice(0, 40))}`);
          client.destroy();
        }
      }),
    );
  });

  test('an upgrade refusal with an object body answers 500', async () => {
    await quietly(() =>
      withServer({ upgrade: () => ({ status: 403, body: { a: 1 } as unknown as string }) }, async (server) => {
        const client = await RawClient.start(server.port, secure);
        const head = await client.readHead();
        assert.is(head.status, 500);
        client.destroy();
      }),
    );
  });

  test.run();
}

defineSuite(false);
defineSuite(true);

const elsewhere = suite(`misuse: an adapter for another runtime, on ${runtime}`);
elsewhere('websock/bun outside Bun and websock/deno outside Deno throw MisuseError INVALID_STATE', async () => {
  const calls: [string, typeof serveBun][] = [];
  if (runtime !== 'bun') calls.push(['bun', serveBun]);
  if (runtime !== 'deno') calls.push(['deno', serveDeno]);
  assert.is(calls.length, runtime === 'node' ? 2 : 1);
  for (const [name, call] of calls) {
    let code = 'none';
    try {
      await call({ port: 0, websocket: {} });
    } catch (error) {
      code = error instanceof MisuseError ? error.code : `other: ${String(error)}`;
    }
    assert.is(code, 'INVALID_STATE', name);
  }
});
elsewhere.run();
