/**
 * The README's TypeScript examples, proved against the real sources.
 *
 * - Node: every ```ts block of README.md and adapters/README.md is type-checked as its own module, strictly
 *   (the project's tsconfig.json), with `websock`, `websock/core`, `websock/node|bun|deno` mapped to the source
 *   entry points, by one run of `tsc` (a Node tool, so on Bun and Deno those tests are skipped by name).
 * - Every runtime: the README's server examples ("Using it" over wss, the "Text as bytes" relay, pub/sub; and
 *   `createUpgradeHandler` on Node) run as written with that runtime's adapter, with the fixed port replaced by 0
 *   on 127.0.0.1, the certificate files by a self-signed pair made in-process, and an `export` of the server so
 *   the test can stop it; a raw client (adapters/test/raw-client.ts) checks what the README says they do.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pid } from 'node:process';
import { pathToFileURL } from 'node:url';
import { projectPath, projectRoot } from './project-path.ts';
import { generateSelfSignedCertificate } from '../adapters/shared/self-signed.ts';
import { RawClient, closeCodeOf } from '../adapters/test/raw-client.ts';
import { inflate } from '../adapters/test/inflate.ts';

const g = globalThis as { Bun?: unknown; Deno?: unknown };
const runtime: 'node' | 'bun' | 'deno' = typeof g.Bun !== 'undefined' ? 'bun' : typeof g.Deno !== 'undefined' ? 'deno' : 'node';

/** The Markdown files whose ```ts blocks are checked. */
const SOURCES = ['README.md', 'adapters/README.md'];

/** The package's specifiers (package.json "exports") and the source entry each one is built from. */
const ENTRY_POINTS: Record<string, string> = {
  websock: 'index.ts',
  'websock/core': 'core/index.ts',
  'websock/node': 'adapters/node/index.ts',
  'websock/bun': 'adapters/bun/index.ts',
  'websock/deno': 'adapters/deno/index.ts',
};

/** One ```ts block: where it is, and its code. */
interface Block {
  /** e.g. `README.md:19`: the file and the line of the block's first code line. */
  where: string;
  firstLine: string;
  code: string;
}

/**
 * Explicit allowances for blocks that are fragments on purpose. Each names the block by a line it contains, the
 * declarations it may assume (prepended on one line, so line numbers still match the README), and why.
 */
const FRAGMENTS: { contains: string; declarations: string; why: string }[] = [
  {
    contains: 'conn.receive(bytesFromTheSocket',
    declarations:
      'declare const bytesFromTheSocket: Uint8Array; declare const socket: { write(chunk: Uint8Array): void; end(): void };',
    why: '"The core, alone" shows the calls a custom transport makes; the transport (its socket and bytes) is the reader\'s',
  },
];

/** The ```ts blocks of a Markdown file, in order. */
function extractBlocks(file: string): Block[] {
  const lines = readFileSync(projectPath(file), 'utf8').split('\n');
  const blocks: Block[] = [];
  let start = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (start < 0 && /^```(ts|typescript)\s*$/.test(line)) start = i + 1;
    else if (start >= 0 && /^```\s*$/.test(line)) {
      const code = lines.slice(start, i).join('\n') + '\n';
      blocks.push({ where: `${file}:${start + 1}`, firstLine: lines[start]!.trim(), code });
      start = -1;
    }
  }
  if (start >= 0) throw new Error(`${file}: unterminated code block at line ${start}`);
  return blocks;
}

const blocks = SOURCES.flatMap(extractBlocks);

// ---------------------------------------------------------------------------------------------------------------
// Type-check (Node only)

/** tsc's diagnostics, by generated file name ('' for files other than the blocks). */
let diagnostics: Map<string, string[]> | undefined;
let workDir = '';

function fileNameOf(index: number): string {
  return `block-${String(index + 1).padStart(2, '0')}.ts`;
}

/** Writes the blocks and a tsconfig into build/readme-examples/<pid>/ and runs tsc once over all of them. */
function typeCheckAll(): Map<string, string[]> {
  if (diagnostics) return diagnostics;
  const root = projectRoot();
  workDir = join(root, 'build', 'readme-examples', `typecheck-${pid}`);
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  blocks.forEach((block, i) => {
    const fragment = FRAGMENTS.find((f) => block.code.includes(f.contains));
    // The allowance goes on the first line, so tsc's line numbers stay those of the README block.
    writeFileSync(join(workDir, fileNameOf(i)), (fragment ? fragment.declarations + ' ' : '') + block.code);
  });
  const paths: Record<string, string[]> = {};
  for (const [specifier, entry] of Object.entries(ENTRY_POINTS)) paths[specifier] = [join(root, entry)];
  const tsconfig = {
    extends: join(root, 'tsconfig.json'),
    compilerOptions: {
      noEmit: true,
      paths,
      // Each block is its own module even without import/export (no shared globals between blocks).
      moduleDetection: 'force',
      // The one relaxation: examples name every handler parameter to show the signature
      // (`close(ws, code, reason, wasClean) {}`) and bind results they do not use. Everything under `strict`
      // and the project's other checks stay on.
      noUnusedLocals: false,
      noUnusedParameters: false,
    },
    files: blocks.map((_, i) => fileNameOf(i)),
    include: [],
  };
  const config = join(workDir, 'tsconfig.json');
  writeFileSync(config, JSON.stringify(tsconfig, null, 2) + '\n');
  const result = spawnSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', config, '--pretty', 'false'], {
    cwd: workDir,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.error) throw result.error;
  const out = `${result.stdout}${result.stderr}`;
  const found = new Map<string, string[]>();
  // A diagnostic starts with `file(line,col): error TSnnnn:`; continuation lines are indented.
  let current: string[] | undefined;
  for (const line of out.split('\n')) {
    const head = /^(.*?)\((\d+),(\d+)\): error (TS\d+: .*)$/.exec(line);
    if (head) {
      const file = head[1]!.replace(/\\/g, '/');
      const name = /block-\d\d\.ts$/.exec(file)?.[0] ?? '';
      const list = found.get(name) ?? [];
      list.push(name ? `line ${head[2]}:${head[3]}: ${head[4]}` : line);
      found.set(name, list);
      current = list;
    } else if (line.trim() !== '' && current) current[current.length - 1] += `\n    ${line.trim()}`;
    else if (line.trim() !== '') found.set('', [...(found.get('') ?? []), line]);
  }
  if (result.status !== 0 && found.size === 0) found.set('', [`tsc exited with ${result.status}:`, out]);
  diagnostics = found;
  return found;
}

const onNode = runtime === 'node';

test(`README examples: found ${blocks.length} \`\`\`ts blocks`, () => {
  assert.ok(blocks.length >= 5, `expected the README's examples, found ${blocks.length}`);
  for (const fragment of FRAGMENTS) {
    const uses = blocks.filter((b) => b.code.includes(fragment.contains)).length;
    assert.is(uses, 1, `allowance "${fragment.contains}" should match exactly one block (${fragment.why})`);
  }
});

for (const [i, block] of blocks.entries()) {
  const name = `type-checks ${block.where} (${block.firstLine.slice(0, 60)})`;
  if (!onNode) {
    test.skip(`${name} [tsc runs on the Node pass only]`, () => {});
    continue;
  }
  test(name, () => {
    const errors = typeCheckAll().get(fileNameOf(i)) ?? [];
    const readmeLine = Number(block.where.split(':')[1]);
    const located = errors.map((e) => e.replace(/^line (\d+)/, (_, n: string) => `${block.where.split(':')[0]}:${readmeLine + Number(n) - 1}`));
    assert.ok(errors.length === 0, `${block.where} does not compile (${workDir}/${fileNameOf(i)}):\n  ${located.join('\n  ')}`);
  });
}

if (onNode) {
  test('type-check: no errors in the sources the examples import', () => {
    const others = typeCheckAll().get('') ?? [];
    assert.ok(others.length === 0, `tsc reported errors outside the README blocks:\n  ${others.join('\n  ')}`);
    // Passing: the scratch files are not needed any more (on failure they stay, for a look).
    const failing = [...(diagnostics ?? new Map<string, string[]>()).values()].some((list) => list.length > 0);
    if (!failing) rmSync(workDir, { recursive: true, force: true });
  });
} else {
  test.skip('type-check: no errors in the sources the examples import [tsc runs on the Node pass only]', () => {});
}

// ---------------------------------------------------------------------------------------------------------------
// The server examples, run on this runtime with this runtime's adapter: each block as written, with the edits
// listed next to it (fixed port → 0, certificate files → a fresh self-signed pair, `export` of what it built)

/** Replaces `from` in `code` once, failing if the README no longer has it (the run would drift from the text). */
function replaceOnce(code: string, from: string, to: string, where: string): string {
  const at = code.indexOf(from);
  if (at < 0 || code.indexOf(from, at + 1) >= 0) throw new Error(`${where}: expected exactly one \`${from}\` in the block`);
  return code.slice(0, at) + to + code.slice(at + from.length);
}

/** The one block containing every string in `marks`. */
function blockWith(...marks: string[]): Block {
  const found = blocks.filter((b) => marks.every((m) => b.code.includes(m)));
  if (found.length !== 1) throw new Error(`README: expected one \`\`\`ts block with ${marks.map((m) => `\`${m}\``).join(' and ')}, found ${found.length}`);
  return found[0]!;
}

/** A scratch directory for one run, removed by the caller. */
function scratch(label: string): string {
  const dir = join(projectRoot(), 'build', 'readme-examples', `${label}-${runtime}-${pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Writes `block` with its `websock/node` import pointed at this runtime's adapter source and `edits` applied,
 * and imports it (on Node after an esbuild bundle, as the test runner does: Node 20 does not run TypeScript).
 */
async function importBlock<M>(block: Block, dir: string, edits: [string, string][]): Promise<M> {
  const adapterEntry = join(projectRoot(), ENTRY_POINTS[`websock/${runtime}`]!);
  let code = replaceOnce(block.code, "from 'websock/node'", `from ${JSON.stringify(adapterEntry)}`, block.where);
  for (const [from, to] of edits) code = replaceOnce(code, from, to, block.where);
  const source = join(dir, 'example.ts');
  writeFileSync(source, code);
  let path = source;
  if (runtime === 'node') {
    path = join(dir, 'example.mjs');
    const esbuild = spawnSync(
      join(projectRoot(), 'node_modules', '.bin', 'esbuild'),
      [source, '--bundle', '--platform=node', '--format=esm', '--packages=external', '--log-level=warning', `--outfile=${path}`],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (esbuild.status !== 0) throw new Error(`esbuild failed on ${block.where}:\n${esbuild.stderr}`);
  }
  return (await import(pathToFileURL(path).href)) as M;
}

/** What the examples' `serve()` returns, as far as the tests use it. */
interface RunningServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const decoder = new TextDecoder();

/** The text of the next data message (pings skipped), inflated if the server compressed it. */
async function nextText(client: RawClient): Promise<string> {
  for (let i = 0; i < 10; i++) {
    const frame = await client.nextFrame();
    if (frame.opcode === 9 || frame.opcode === 10) continue;
    assert.is(frame.opcode, 1, 'a text frame');
    assert.ok(frame.fin, 'one frame per short message');
    return decoder.decode(frame.rsv1 ? inflate(frame.payload) : frame.payload);
  }
  throw new Error('no text message');
}

/** Runs `body` with a scratch directory, then closes every client and stops the server, whatever happened. */
async function withExample(label: string, body: (dir: string, clients: RawClient[], stopLater: (stop: () => Promise<void>) => void) => Promise<void>): Promise<void> {
  const dir = scratch(label);
  const clients: RawClient[] = [];
  const stops: (() => Promise<void>)[] = [];
  try {
    await body(dir, clients, (stop) => stops.push(stop));
  } finally {
    for (const c of clients) c.destroy();
    for (const stop of stops) await stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

const usingIt = blockWith("from 'websock/node'", "certFile: 'cert.pem'");
test(`runs ${usingIt.where} ("Using it") on websock/${runtime} over wss: 403, 401, protocol, deflate, open, echo, stop → 1001`, () =>
  withExample('using-it', async (dir, clients, stopLater) => {
    const certificate = await generateSelfSignedCertificate();
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    writeFileSync(certFile, certificate.cert);
    writeFileSync(keyFile, certificate.key);
    const { server } = await importBlock<{ server: RunningServer }>(usingIt, dir, [
      ['port: 8443,', 'port: 0,'],
      ["certFile: 'cert.pem', keyFile: 'key.pem'", `certFile: ${JSON.stringify(certFile)}, keyFile: ${JSON.stringify(keyFile)}`],
      ['console.log(`listening on ${server.url}`);', ''],
      ['await server.stop();', 'export { server };'], // the test stops it, below
    ]);
    let stopped = false;
    stopLater(() => (stopped ? Promise.resolve() : server.stop()));
    assert.ok(server.port > 0, 'port 0: the OS picked one');
    assert.is(server.url, `wss://127.0.0.1:${server.port}/`);

    // origins: ['https://example.com']: others get 403.
    const stranger = await RawClient.start(server.port, true, { origin: 'https://evil.example', headers: { Authorization: 'Bearer ann' } });
    clients.push(stranger);
    assert.is((await stranger.readHead()).status, 403, 'foreign origin');

    // upgrade(): no authorization → 401 'who are you?'.
    const anonymous = await RawClient.start(server.port, true, { origin: 'https://example.com' });
    clients.push(anonymous);
    assert.is((await anonymous.readHead()).status, 401, 'no token');
    assert.match(await anonymous.readToEnd(), 'who are you?');

    const client = await RawClient.connect(server.port, true, {
      origin: 'https://example.com',
      headers: { Authorization: 'Bearer ann' },
      protocols: ['chat.v1', 'chat.v2'],
      extensions: 'permessage-deflate; client_max_window_bits',
    });
    clients.push(client);
    const head = client.response!;
    assert.is(head.headers.get('sec-websocket-protocol'), 'chat.v2', "the server's preference");
    assert.match(head.headers.get('sec-websocket-extensions') ?? '', 'permessage-deflate', 'deflate: {} turns it on');

    assert.is(await nextText(client), 'hello ann', 'open(): token.slice(7) as ws.data.user');
    client.sendText('echo me');
    assert.is(await nextText(client), 'echo me');
    const binary = new Uint8Array([0, 1, 2, 250, 255]);
    client.sendBinary(binary);
    const echoed = await client.nextMessage();
    assert.is(echoed.opcode, 2, 'binary stays binary');
    assert.equal([...echoed.data], [...binary]);

    // The block's last line: stop() sends 1001 and waits for the close handshake.
    const stopping = server.stop();
    stopped = true;
    const close = await client.nextFrame();
    assert.is(close.opcode, 8);
    assert.is(closeCodeOf(close), 1001);
    client.sendClose(1001);
    await stopping;
    await client.waitClosed();
  }));

const relayBlock = blockWith("textMessages: 'bytes'", 'const relay');
test(`runs ${relayBlock.where} ("Text as bytes" relay) on websock/${runtime}: text back as text, binary as binary`, () =>
  withExample('relay', async (dir, clients, stopLater) => {
    const { relay } = await importBlock<{ relay: RunningServer }>(relayBlock, dir, [
      ['port: 8080,', "port: 0, hostname: '127.0.0.1',"],
      ['} });', '} });\nexport { relay };'],
    ]);
    stopLater(() => relay.stop());
    const client = await RawClient.connect(relay.port, false);
    clients.push(client);
    client.sendText('héllo ✓');
    const text = await client.nextMessage();
    assert.is(text.opcode, 1, 'sendText(): a text frame');
    assert.is(decoder.decode(text.data), 'héllo ✓');
    client.sendBinary(new Uint8Array([0xff, 0xfe]));
    const binary = await client.nextMessage();
    assert.is(binary.opcode, 2);
    assert.equal([...binary.data], [0xff, 0xfe]);
  }));

const pubsubBlock = blockWith("ws.subscribe('lobby')", 'const server');
test(`runs ${pubsubBlock.where} (pub/sub) on websock/${runtime}: joined, lobby chat without echo to the sender, left`, () =>
  withExample('pubsub', async (dir, clients, stopLater) => {
    const { server } = await importBlock<{ server: RunningServer }>(pubsubBlock, dir, [
      ['port: 8080,', "port: 0, hostname: '127.0.0.1',"],
      ['\n});\n', '\n});\nexport { server };\n'],
    ]);
    stopLater(() => server.stop());
    const ann = await RawClient.connect(server.port, false, { path: '/?name=ann' });
    clients.push(ann);
    assert.is(await nextText(ann), 'ann joined (1 here)');
    const bob = await RawClient.connect(server.port, false, { path: '/?name=bob' });
    clients.push(bob);
    assert.is(await nextText(bob), 'bob joined (2 here)');
    assert.is(await nextText(ann), 'bob joined (2 here)');
    ann.sendText('hi');
    assert.is(await nextText(bob), 'ann: hi');
    bob.sendText('yo');
    // ann's next message is bob's: her own 'ann: hi' was not sent back to her (it would have come first).
    assert.is(await nextText(ann), 'bob: yo');
    ann.sendClose(1000);
    assert.is(closeCodeOf(await ann.nextFrame()), 1000);
    assert.is(await nextText(bob), 'ann left');
  }));

const upgradeBlock = blockWith('createUpgradeHandler', "from 'node:http'");
if (runtime === 'node') {
  test(`runs ${upgradeBlock.where} (createUpgradeHandler on node:http): plain HTTP answered, echo over the upgrade`, () =>
    withExample('upgrade-handler', async (dir, clients, stopLater) => {
      interface HttpLike {
        address(): { port: number } | string | null;
        close(): void;
        closeAllConnections(): void;
      }
      const { http, ws } = await importBlock<{ http: HttpLike; ws: { stop(): Promise<void> } }>(upgradeBlock, dir, [
        ["http.listen(8080, '127.0.0.1');", "await new Promise<void>((listening) => http.listen(0, '127.0.0.1', listening));\nexport { http, ws };"],
      ]);
      stopLater(async () => {
        await ws.stop();
        http.closeAllConnections();
        http.close();
      });
      const address = http.address();
      assert.ok(address !== null && typeof address === 'object');
      const port = address.port;
      const plain = await RawClient.open(port, false);
      clients.push(plain);
      plain.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
      assert.is((await plain.readHead()).status, 200);
      assert.match(await plain.readToEnd(), 'ok');
      const client = await RawClient.connect(port, false);
      clients.push(client);
      client.sendText('through node:http');
      assert.is(await nextText(client), 'through node:http');
    }));
} else {
  test.skip(`runs ${upgradeBlock.where} (createUpgradeHandler) [Node only: Bun and Deno have no raw-socket upgrade]`, () => {});
}

test.run();
