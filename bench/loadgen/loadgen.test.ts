// The load generator against real servers on 127.0.0.1: raw TCP echo (every runtime), and ws on Node for the
// WebSocket paths (frame-length edge cases, text, permessage-deflate, TLS, idle mode with pings).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error plain ESM helper of the bench harness, without type declarations
import { buildLoadgen } from '../lib/loadgen.mjs';

type Result = Record<string, number | string | boolean>;

const isNode = typeof (globalThis as { Bun?: unknown }).Bun === 'undefined' && typeof (globalThis as { Deno?: unknown }).Deno === 'undefined';

/** The repository root: the first ancestor holding the loadgen source (this file may run from a bundle in build/). */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'bench/loadgen/loadgen.c'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('repository root not found');
}

const hasGcc = spawnSync('gcc', ['--version']).status === 0;
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
let bin = '';
const binary = (): string => (bin ||= buildLoadgen(findRoot()) as string);

/** Runs the generator to completion (asynchronously: the servers live in this process) and parses its result. */
function loadgen(args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as Result);
      } catch {
        reject(new Error(`loadgen ${args.join(' ')}: ${err || out}`));
      }
    });
  });
}

function listen(server: NetServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}
function close(server: { close(cb: () => void): void }): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
const quickRun = ['--warmup', '0.05', '--duration', '0.2'];

function assertEchoed(r: Result, label: string): void {
  assert.is(r['errors'], 0, `${label}: ${String(r['last_error'])}`);
  assert.is(r['len_errors'], 0, `${label}: length errors (${String(r['last_error'])})`);
  assert.ok((r['messages'] as number) > 0, `${label}: no message echoed`);
  assert.ok((r['latency_samples'] as number) > 0, `${label}: no latency sample`);
  assert.ok((r['p50_us'] as number) > 0 && (r['p99_us'] as number) >= (r['p50_us'] as number), `${label}: percentiles`);
}

// ---- raw TCP (all runtimes) ----
const raw = suite('loadgen raw mode');

raw('echoes N bytes per message over many pipelined connections and reports its CPU', async () => {
  if (!hasGcc) return console.log('  (skipped: no gcc)');
  const sockets = new Set<import('node:net').Socket>();
  const server = createNetServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    s.pipe(s);
  });
  const port = await listen(server);
  try {
    for (const [conns, inflight, size] of [[1, 1, 16], [4, 8, 1000], [2, 2, 200_000]] as const) {
      const r = await loadgen(['--url', `tcp://127.0.0.1:${port}`, '--conns', String(conns), '--inflight', String(inflight),
        '--size', String(size), ...quickRun]);
      assertEchoed(r, `raw ${conns}x${inflight} ${size}`);
      assert.is(r['open'], conns);
      assert.is(r['mode'], 'raw');
      assert.ok(typeof r['client_cpu_s'] === 'number');
    }
  } finally {
    for (const s of sockets) s.destroy();
    await close(server);
  }
});

raw('reports refused connections instead of hanging', async () => {
  if (!hasGcc) return;
  const server = createNetServer();
  const port = await listen(server);
  await close(server); // nothing listens on the port any more
  const r = await loadgen(['--url', `tcp://127.0.0.1:${port}`, '--conns', '3', ...quickRun]);
  assert.is(r['open'], 0);
  assert.is(r['failed'], 3);
  assert.match(String(r['last_error']), 'connect refused');
});

raw.run();

// ---- WebSocket against ws (Node only: the reference library runs there) ----
const wsSuite = suite('loadgen ws mode (against ws on Node)');

interface WsServerLike {
  on(event: string, cb: (...a: never[]) => void): void;
  close(cb?: () => void): void;
  clients: Set<{ terminate(): void; ping(): void }>;
}

async function withWs(
  options: { deflate?: boolean; tls?: { cert: string; key: string } },
  body: (url: string, wss: WsServerLike) => Promise<void>,
): Promise<void> {
  const { WebSocketServer } = (await import('ws')) as unknown as { WebSocketServer: new (o: object) => WsServerLike };
  const http = options.tls
    ? (await import('node:https')).createServer({ cert: readFileSync(options.tls.cert), key: readFileSync(options.tls.key) })
    : (await import('node:http')).createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: options.deflate ? { threshold: 0 } : false, maxPayload: 8 << 20 });
  wss.on('connection', (ws: { on(e: string, cb: (d: Buffer, b: boolean) => void): void; send(d: Buffer, o: object): void }) => {
    ws.on('error', () => {});
    ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
  });
  const port = await new Promise<number>((resolve) => http.listen(0, '127.0.0.1', () => resolve((http.address() as AddressInfo).port)));
  try {
    await body(`${options.tls ? 'wss' : 'ws'}://127.0.0.1:${port}/`, wss);
  } finally {
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
    await new Promise<void>((r) => http.close(() => r()));
  }
}

wsSuite('every payload-length encoding (7-bit, 16-bit, 64-bit), text and binary, comes back whole', async () => {
  if (!hasGcc || !isNode) return console.log('  (skipped: needs gcc and Node)');
  await withWs({}, async (url) => {
    for (const size of [1, 125, 126, 65535, 65536, 1 << 20]) {
      for (const text of [false, true]) {
        const r = await loadgen(['--url', url, '--size', String(size), '--inflight', '4', ...(text ? ['--text'] : []), ...quickRun]);
        assertEchoed(r, `ws ${size} ${text ? 'text' : 'binary'}`);
        assert.is(r['frame_bytes'], size + (size < 126 ? 6 : size < 65536 ? 8 : 14));
      }
    }
  });
});

wsSuite('permessage-deflate: sends compressed frames and inflates compressed replies', async () => {
  if (!hasGcc || !isNode) return;
  await withWs({ deflate: true }, async (url) => {
    for (const size of [16, 1024, 65536]) {
      const r = await loadgen(['--url', url, '--size', String(size), '--inflight', '8', '--deflate', '--text', ...quickRun]);
      assertEchoed(r, `deflate ${size}`);
      assert.is(r['deflate_negotiated'], true);
      assert.ok((r['inflated_bytes'] as number) >= (r['messages'] as number) * size, 'replies were inflated');
      assert.ok((r['frame_bytes'] as number) < size || size < 64, 'the sent frame is compressed');
    }
  });
});

wsSuite('TLS with a self-signed certificate', async () => {
  if (!hasGcc || !isNode || !hasOpenssl) return console.log('  (skipped: needs gcc, openssl and Node)');
  const dir = mkdtempSync(join(tmpdir(), 'loadgen-test-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost']);
  try {
    await withWs({ tls: { cert, key } }, async (url) => {
      for (const [conns, size] of [[1, 16], [3, 100_000]] as const) {
        const r = await loadgen(['--url', url, '--conns', String(conns), '--size', String(size), '--inflight', '4', ...quickRun]);
        assertEchoed(r, `wss ${conns} ${size}`);
        assert.is(r['tls'], true);
        assert.ok(String(r['tls_cipher']).length > 0);
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

wsSuite('idle mode holds N connections until stdin closes and answers pings', async () => {
  if (!hasGcc || !isNode) return;
  await withWs({}, async (url, wss) => {
    const child = spawn(binary(), ['--url', url, '--conns', '50', '--idle', '--duration', '20'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const deadline = Date.now() + 10000;
    while (!out.includes('"ready"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const ready = JSON.parse(out.split('\n')[0]!) as Result;
    assert.is(ready['open'], 50);
    assert.is(wss.clients.size, 50);
    let pongs = 0;
    for (const c of wss.clients) {
      (c as unknown as { on(e: string, cb: () => void): void }).on('pong', () => pongs++);
      c.ping();
    }
    const pongDeadline = Date.now() + 5000;
    while (pongs < 50 && Date.now() < pongDeadline) await new Promise((r) => setTimeout(r, 10));
    assert.is(pongs, 50, 'every ping answered');
    const exited = new Promise<void>((r) => child.on('close', () => r()));
    child.stdin.end();
    await exited;
    const final = JSON.parse(out.trim().split('\n').pop()!) as Result;
    assert.is(final['pings'], 50);
    assert.is(final['errors'], 0);
  });
});

wsSuite.run();
