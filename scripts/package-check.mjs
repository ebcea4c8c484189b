#!/usr/bin/env node
// Release helper (not part of `npm test` or CI): checks websock as its users get it. It packs the package as
// `npm publish` would (the prepack build rewrites dist/), installs the tarball into fresh projects in a temporary
// directory, and checks there: the tarball's contents, the installed dependency tree, the README's server on
// Node, Bun and Deno over wss with a real client, the optional native addons, and the README's TypeScript
// examples against the published declarations (tsc with "nodenext" and "bundler", and deno check). Then
// `deno publish --dry-run` on a copy of the tree, for JSR. Prints PASS / WARN / FAIL per check; exits 1 if any
// check failed. The temporary directory is removed at the end (kept with --keep).
//
// Usage: node scripts/package-check.mjs [--keep] [--only name,name] [--timeout-s 300]
//   names: tarball, deps, node-entries, node-require, node-wss, node-upgrade-handler, node-bundled, node-no-optional,
//          bun-wss, deno-wss, deno-npm-specifier, types-nodenext, types-bundler, types-exact-optional, types-no-node,
//          types-deno, jsr
// Needs: the npm registry or npm's cache (pako, @types/node@20 for the consumer), and the repository's own
// node_modules (esbuild, tsc, bun, deno, ws). Runs one thing at a time. Every command and wait has its own time
// limit (at most 180 s); --timeout-s (default 300) ends the run at the first wait past it. About 8 s here.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const bin = (name) => join(root, 'node_modules', '.bin', name);
const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const keep = args.includes('--keep');
const only = option('--only')?.split(',');
const totalMs = Number(option('--timeout-s') ?? 300) * 1000;
const wanted = (name) => only === undefined || only.includes(name);

const work = mkdtempSync(join(tmpdir(), 'websock-package-check-'));
const results = [];
const children = new Set();

/** Records and prints one check's verdict. `problems` empty: PASS; `warnOnly`: WARN instead of FAIL. */
function report(name, problems, detail = '', warnOnly = false) {
  const status = problems.length === 0 ? 'PASS' : warnOnly ? 'WARN' : 'FAIL';
  results.push({ name, status });
  console.log(`${status.padEnd(4)} ${name}${detail ? ` — ${detail}` : ''}`);
  for (const p of problems) console.log(`       ${p}`);
}

/** Runs a command to completion, bounded in time; returns { status, out } (stdout and stderr together). */
function run(cmd, argv, { cwd = work, env = {}, timeoutMs = 120_000 } = {}) {
  const r = spawnSync(cmd, argv, {
    cwd, env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
  });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  return { status: r.error ? `${r.error.code ?? r.error.message}` : r.status, out, stdout: r.stdout ?? '' };
}

/** Last lines of a command's output, for a FAIL line. */
const tail = (text, n = 8) => text.trim().split('\n').filter((l) => !/Unknown user config "nodedir"/.test(l)).slice(-n);

/**
 * Starts a server fixture and waits for its `READY <url>` line. `stop()` kills it (by its pid) if still running;
 * `exited` resolves with its exit code.
 */
function startServer(cmd, argv, cwd, env = {}) {
  const child = spawn(cmd, argv, { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  const exited = new Promise((res) => child.on('exit', (code, signal) => { children.delete(child); res(code ?? signal); }));
  const ready = new Promise((res) => {
    const onData = (d) => {
      output += d;
      const m = /READY (\S+)/.exec(output);
      if (m) res(m[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then(() => res(undefined));
    setTimeout(() => res(undefined), 20_000).unref();
  });
  return { ready, exited, output: () => output, stop: () => { if (children.has(child)) child.kill('SIGKILL'); } };
}

const within = (promise, ms, fallback) => Promise.race([promise, new Promise((res) => setTimeout(() => res(fallback), ms).unref())]);

const WebSocket = createRequire(join(root, 'node_modules', '/'))('ws');

/** The README's first server, checked from outside with `ws`: refusals, subprotocol, deflate, echo, stop(). */
async function checkReadmeServer(cmd, argv, cwd, expectAddons, env = {}) {
  const problems = [];
  const server = startServer(cmd, argv, cwd, env);
  const url = await server.ready;
  if (url === undefined) {
    server.stop();
    return { problems: ['server never printed READY', ...tail(server.output())], detail: '' };
  }
  if (!/^wss:\/\/127\.0\.0\.1:[1-9]\d*\/$/.test(url)) problems.push(`server.url: ${url}`);
  const open = (headers, protocols) =>
    new WebSocket(url, protocols, { headers, rejectUnauthorized: false, perMessageDeflate: true, handshakeTimeout: 5000 });
  const refusal = (headers) => within(new Promise((res) => {
    const ws = open(headers, ['chat.v1']);
    ws.on('unexpected-response', (req, response) => { res(response.statusCode); response.resume(); req.destroy(); });
    ws.on('open', () => { res('opened'); ws.terminate(); });
    ws.on('error', (e) => res(e.message));
  }), 8000, 'timeout');
  const noToken = await refusal({ origin: 'https://example.com' });
  if (noToken !== 401) problems.push(`no authorization: expected 401, got ${noToken}`);
  const badOrigin = await refusal({ origin: 'https://evil.example', authorization: 'Bearer x' });
  if (badOrigin !== 403) problems.push(`foreign origin: expected 403, got ${badOrigin}`);

  const ws = open({ origin: 'https://example.com', authorization: 'Bearer alice' }, ['chat.v1', 'chat.v2']);
  const messages = [];
  ws.on('message', (data, isBinary) => messages.push(isBinary ? `bin:${[...data]}` : `text:${data}`));
  const opened = await within(new Promise((res) => { ws.on('open', () => res(true)); ws.on('error', (e) => res(e.message)); }), 8000, 'timeout');
  if (opened !== true) {
    server.stop();
    return { problems: [...problems, `handshake: ${opened}`, ...tail(server.output())], detail: '' };
  }
  if (ws.protocol !== 'chat.v2') problems.push(`subprotocol: expected chat.v2 (server preference), got '${ws.protocol}'`);
  if (!String(ws.extensions).startsWith('permessage-deflate')) problems.push(`extensions: '${ws.extensions}'`);
  const big = 'websock '.repeat(1000); // over the 1 KiB deflate threshold: sent compressed
  ws.send('echo me');
  ws.send(Buffer.from([1, 2, 3]));
  ws.send(big);
  const expected = ['text:hello alice', 'text:echo me', 'bin:1,2,3', `text:${big}`];
  await within(new Promise((res) => { const t = setInterval(() => { if (messages.length >= expected.length) { clearInterval(t); res(); } }, 10); }), 8000);
  if (JSON.stringify(messages) !== JSON.stringify(expected)) {
    problems.push(`messages: expected ${expected.length} (hello, text, binary, 8000-char text), got ${JSON.stringify(messages.map((m) => m.slice(0, 40)))}`);
  }
  const closed = within(new Promise((res) => ws.on('close', (code) => res(code))), 10_000, 'timeout');
  ws.send('stop'); // the fixture calls server.stop()
  const code = await closed;
  if (code !== 1001) problems.push(`close on server.stop(): expected 1001, got ${code}`);
  const exit = await within(server.exited, 10_000, 'still running');
  server.stop();
  const out = server.output();
  if (exit !== 0) problems.push(`server process after stop(): expected exit 0 (nothing left open), got ${exit}`);
  if (!/CLOSE 1001 true/.test(out)) problems.push('close handler: expected (1001, wasClean true)');
  const addons = JSON.parse(/ADDONS (\[.*\])/.exec(out)?.[1] ?? 'null');
  if (expectAddons !== undefined && JSON.stringify(addons) !== JSON.stringify(expectAddons)) {
    problems.push(`native addons loaded: expected ${JSON.stringify(expectAddons)}, got ${JSON.stringify(addons)}`);
  }
  if (problems.length > 0) problems.push(...tail(out));
  return { problems, detail: `${url} 401/403/chat.v2/deflate/echo/1001, addons ${JSON.stringify(addons)}` };
}

// The README's first example on port 0 with a test certificate. Stops on the text "stop" and reports which native
// addons were loaded (process.dlopen; Deno loads them another way, so it reports none).
const SERVER_FIXTURE = `import process from 'node:process';
const addons = [];
const dlopen = process.dlopen;
if (typeof dlopen === 'function') process.dlopen = function (m, file, ...rest) { addons.push(file.split(/[\\\\/]/).pop()); return dlopen.call(this, m, file, ...rest); };
const { serve } = await import(process.argv[2] ?? globalThis.Deno.args[0]);
let server;
server = await serve({
  port: 0,
  hostname: '127.0.0.1',
  tls: { certFile: 'cert.pem', keyFile: 'key.pem' },
  deflate: {},
  origins: ['https://example.com'],
  protocols: ['chat.v2', 'chat.v1'],
  async upgrade(req) {
    const token = req.headers.get('authorization');
    if (!token) return { status: 401, body: 'who are you?' };
    return { data: { user: token.slice(7) } };
  },
  websocket: {
    open(ws) { ws.send(\`hello \${ws.data.user}\`); },
    message(ws, data) {
      if (data === 'stop') server.stop().then(() => console.log(\`ADDONS \${JSON.stringify(addons.sort())}\`));
      else ws.send(data);
    },
    close(ws, code, reason, wasClean) { console.log(\`CLOSE \${code} \${wasClean}\`); },
    drain(ws) {},
  },
});
console.log(\`READY \${server.url}\`);
`;

// The README's createUpgradeHandler example on port 0.
const UPGRADE_FIXTURE = `import { createServer } from 'node:http';
import { createUpgradeHandler } from 'websock/node';
const ws = createUpgradeHandler({ websocket: { message: (socket, data) => socket.send(data) } });
const http = createServer((req, res) => res.end('ok'));
http.on('upgrade', (req, socket, head) => ws.handleUpgrade(req, socket, head));
http.listen(0, '127.0.0.1', () => console.log(\`READY ws://127.0.0.1:\${http.address().port}/\`));
`;

const ENTRIES_FIXTURE = `const root = await import('websock'), core = await import('websock/core'), node = await import('websock/node');
const names = (m) => Object.keys(m).sort().join(',');
const c = new core.ServerConnection({ onEvent(e) { if (e.type === 'request') c.accept(); } }, 0);
c.receive(new TextEncoder().encode('GET / HTTP/1.1\\r\\nHost: a\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n'), 0);
const deep = [];
for (const s of ['websock/dist/core/index.js', 'websock/adapters/node/index.ts']) {
  try { await import(s); deep.push('open'); } catch (e) { deep.push(e.code); }
}
console.log(JSON.stringify({ root: names(root), core: names(core), node: names(node),
  sameError: root.MisuseError === core.MisuseError && core.MisuseError === node.MisuseError,
  accept: new TextDecoder().decode(c.takeWrites()[0] ?? new Uint8Array()).includes('s3pPLMBiTxaQ9kYGzzhZRbK+xOo='), deep }));
`;

// Lines that must be type errors: if a public type were \`any\`, the unused @ts-expect-error would fail the check.
const TYPES_BITE = `import { serve, createUpgradeHandler, type Server, type ServerWebSocket } from 'websock/node';
import { serve as bunServe } from 'websock/bun';
import { serve as denoServe } from 'websock/deno';
import { ServerConnection, DEFAULT_LIMITS } from 'websock/core';
import { MisuseError, type Limits } from 'websock';
// @ts-expect-error port is a number
await serve({ port: '80', websocket: {} });
// @ts-expect-error no such handler
await bunServe({ port: 0, websocket: { mesage() {} } });
// @ts-expect-error tls is an object
await denoServe({ port: 0, tls: 42, websocket: {} });
const server: Server<{ user: string }> = await serve<{ user: string }>({ port: 0, websocket: {
  message(ws, data) {
    const user: string = ws.data.user;
    // @ts-expect-error data is string | Uint8Array
    const n: number = data;
    void user; void n;
  },
} });
// @ts-expect-error stop() returns a promise
const stopped: number = server.stop();
// @ts-expect-error send takes strings and buffers
((ws: ServerWebSocket<undefined>) => ws.send({}));
// @ts-expect-error receive takes bytes
new ServerConnection({}, 0).receive('GET', 0);
// @ts-expect-error limits are numbers
const limits: Limits = { ...DEFAULT_LIMITS, maxFrameSize: 'big' };
const error: Error = new MisuseError('INVALID_OPTION', 'x');
createUpgradeHandler({ websocket: {} });
void stopped; void limits; void error;
export {};
`;

/** The README's \`\`\`ts blocks as modules (one per runtime where a block says "or 'websock/bun', 'websock/deno'"). */
function writeReadmeExamples(project) {
  const md = readFileSync(join(project, 'node_modules', 'websock', 'README.md'), 'utf8');
  const blocks = [...md.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1]);
  // Free names the README leaves to the reader.
  const prelude = "declare const bytesFromTheSocket: Uint8Array;\ndeclare const socket: import('node:net').Socket;\n";
  mkdirSync(join(project, 'ts'), { recursive: true });
  let files = 0;
  blocks.forEach((code, i) => {
    const runtimes = /\/\/ or 'websock\/bun', 'websock\/deno'/.test(code) ? ['node', 'bun', 'deno'] : ['node'];
    for (const rt of runtimes) {
      writeFileSync(join(project, 'ts', `readme-${i + 1}-${rt}.ts`), `${prelude}${code.replaceAll("from 'websock/node'", `from 'websock/${rt}'`)}\nexport {};\n`);
      files++;
    }
  });
  writeFileSync(join(project, 'ts', 'types-bite.ts'), TYPES_BITE);
  return { blocks: blocks.length, files };
}

/** Relative and bare import specifiers of a JS or .d.ts file. */
function importsOf(text) {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, ''); // examples in comments are not imports
  return [...code.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]);
}

/** The tarball's file list and the installed copy: what npm users get. */
function checkTarball(pack, pkgDir) {
  const problems = [];
  const warnings = [];
  const files = new Set(pack.files.map((f) => f.path));
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  if (!files.has('README.md')) problems.push('README.md missing');
  if (![...files].some((f) => /^licen[cs]e/i.test(f))) problems.push(`no LICENSE file (package.json says "${pkg.license}"; MIT requires the notice to ship)`);
  for (const f of files) {
    if (/\.test\.|(^|\/)(test|tests|bench|conformance|fuzz)\//.test(f)) problems.push(`test/bench file shipped: ${f}`);
    if (/\.ts$/.test(f) && !/\.d\.ts$/.test(f)) problems.push(`TypeScript source shipped: ${f}`);
  }
  for (const f of pack.files) if (f.size > 512 * 1024) problems.push(`large file: ${f.path} (${f.size} B)`);
  if (pack.unpackedSize > 2 * 1024 * 1024) problems.push(`unpacked size ${pack.unpackedSize} B > 2 MiB`);
  for (const [entry, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') {
      // A plain file export (./package.json): the file itself must ship.
      if (!files.has(target.replace(/^\.\//, ''))) problems.push(`exports["${entry}"] → ${target} not in the tarball`);
      continue;
    }
    for (const cond of ['types', 'default']) {
      const path = target[cond]?.replace(/^\.\//, '');
      if (!path || !files.has(path)) problems.push(`exports["${entry}"].${cond} → ${target[cond]} not in the tarball`);
    }
  }
  const deps = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
  // Declarations reachable from the exported ones: what a consumer's type-checker reads.
  const reachable = new Set();
  const todo = Object.values(pkg.exports).map((t) => (typeof t === 'string' ? undefined : t.types?.replace(/^\.\//, ''))).filter(Boolean);
  while (todo.length > 0) {
    const f = todo.pop();
    if (reachable.has(f) || !files.has(f)) continue;
    reachable.add(f);
    for (const spec of importsOf(readFileSync(join(pkgDir, f), 'utf8'))) {
      if (spec.startsWith('.')) todo.push(posix.normalize(posix.join(posix.dirname(f), spec)).replace(/\.(ts|js)$/, '.d.ts'));
    }
  }
  for (const f of files) {
    if (!/\.(js|d\.ts)$/.test(f)) continue;
    for (const spec of importsOf(readFileSync(join(pkgDir, f), 'utf8'))) {
      if (spec.startsWith('.')) {
        let target = posix.normalize(posix.join(posix.dirname(f), spec));
        if (f.endsWith('.d.ts')) target = target.replace(/\.(ts|js)$/, '.d.ts');
        if (!files.has(target)) problems.push(`${f} imports ${spec}: not shipped`);
      } else if (!spec.startsWith('node:') && !deps.has(spec.split('/')[0])) {
        if (f.endsWith('.d.ts') && !reachable.has(f)) warnings.push(`${f} imports '${spec}' (not a dependency), but no exported type reaches it`);
        else problems.push(`${f} imports '${spec}', which is not a dependency`);
      }
    }
  }
  // websock/core is the pure-ECMAScript engine: its import closure may hold pako only.
  const closure = (start) => {
    const seen = new Set(), bare = new Set(), todo = [start];
    while (todo.length > 0) {
      const f = todo.pop();
      if (seen.has(f) || !files.has(f)) continue;
      seen.add(f);
      for (const spec of importsOf(readFileSync(join(pkgDir, f), 'utf8'))) {
        if (spec.startsWith('.')) todo.push(posix.normalize(posix.join(posix.dirname(f), spec)));
        else bare.add(spec);
      }
    }
    return [...bare].sort();
  };
  const coreBare = closure('dist/core/index.js');
  if (coreBare.some((s) => s !== 'pako')) problems.push(`websock/core imports ${coreBare.join(', ')} (only pako expected)`);
  const rootBare = closure('dist/index.js');
  if (rootBare.length > 0) warnings.push(`the '.' entry ("runtime-neutral") imports ${rootBare.join(', ')}: fine on Node/Bun/Deno, not for browser bundles`);
  if (!('./package.json' in pkg.exports)) warnings.push('"./package.json" is not exported (some tools read websock/package.json)');
  const unreachable = [...files].filter((f) => f.endsWith('.d.ts') && !reachable.has(f)).length;
  const detail = `${pack.entryCount} files (${unreachable} .d.ts not reachable from the exports), ${(pack.size / 1024).toFixed(1)} KiB packed, ${(pack.unpackedSize / 1024).toFixed(1)} KiB unpacked; core closure: ${coreBare.join(', ') || 'none'}`;
  return { problems, warnings, detail };
}

function installedPackages(project) {
  const lock = JSON.parse(readFileSync(join(project, 'node_modules', '.package-lock.json'), 'utf8'));
  return Object.keys(lock.packages).map((p) => p.replace(/^node_modules\//, '')).sort();
}

async function main() {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // 1. Pack, as `npm publish` would (runs prepack: the build).
  const packed = run(npm, ['pack', '--pack-destination', work, '--json'], { cwd: root, timeoutMs: 180_000 });
  const jsonStart = packed.stdout.search(/^\[/m);
  if (packed.status !== 0 || jsonStart < 0) {
    report('pack', [`npm pack exited ${packed.status}`, ...tail(packed.out, 20)]);
    return;
  }
  const pack = JSON.parse(packed.stdout.slice(jsonStart))[0];
  const tarball = join(work, pack.filename);
  report('pack', [], `${pack.filename} (prepack build ran)`);
  const dirty = run('git', ['status', '--porcelain'], { cwd: root }).stdout.trim().split('\n').filter(Boolean);
  if (dirty.length > 0) report('clean-tree', [`packed from a working tree with ${dirty.length} uncommitted changes, e.g. ${dirty.slice(0, 3).map((l) => l.trim()).join(', ')}`], '', true);

  // 2. Consumer projects: with optional dependencies (and @types/node for the TypeScript checks), and without.
  const project = join(work, 'consumer');
  const bare = join(work, 'consumer-no-optional');
  const npmFlags = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];
  for (const [dir, extra] of [[project, ['@types/node@20']], [bare, ['--omit=optional']]]) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
    const installed = run(npm, ['install', tarball, ...extra, ...npmFlags], { cwd: dir, timeoutMs: 180_000 });
    if (installed.status !== 0) {
      report('install', [`npm install in ${dir} exited ${installed.status}`, ...tail(installed.out)]);
      return;
    }
    writeFileSync(join(dir, 'server.mjs'), SERVER_FIXTURE);
  }
  const pkgDir = join(project, 'node_modules', 'websock');

  if (wanted('tarball')) {
    const { problems, warnings, detail } = checkTarball(pack, pkgDir);
    report('tarball', problems, detail);
    if (warnings.length > 0) report('tarball-hygiene', warnings, '', true);
  }

  if (wanted('deps')) {
    const problems = [];
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    if (JSON.stringify(Object.keys(pkg.dependencies ?? {})) !== '["pako"]') problems.push(`dependencies: ${JSON.stringify(pkg.dependencies)}`);
    if (pkg.peerDependencies) problems.push(`peerDependencies: ${JSON.stringify(pkg.peerDependencies)}`);
    const withOptional = installedPackages(project).filter((p) => !p.startsWith('@types/') && p !== 'undici-types');
    const expected = ['bufferutil', 'node-gyp-build', 'pako', 'utf-8-validate', 'websock'];
    if (JSON.stringify(withOptional) !== JSON.stringify(expected)) problems.push(`installed: ${withOptional.join(', ')} (expected ${expected.join(', ')})`);
    const without = installedPackages(bare);
    if (JSON.stringify(without) !== '["pako","websock"]') problems.push(`installed with --omit=optional: ${without.join(', ')}`);
    report('deps', problems, `installed: ${withOptional.join(', ')}; with --omit=optional: ${without.join(', ')}`);
  }

  // A certificate for 127.0.0.1, made by the project's own generator (no openssl needed).
  const certTool = join(work, 'self-signed.mjs');
  const bundled = run(bin('esbuild'), [join(root, 'adapters/shared/self-signed.ts'), '--bundle', '--platform=node', '--format=esm', `--outfile=${certTool}`, '--log-level=error']);
  const { generateSelfSignedCertificate } = await import(certTool);
  const { cert, key } = await generateSelfSignedCertificate({ altNames: ['127.0.0.1', 'localhost'], days: 1 });
  for (const dir of [project, bare]) {
    writeFileSync(join(dir, 'cert.pem'), cert);
    writeFileSync(join(dir, 'key.pem'), key);
  }
  if (bundled.status !== 0) console.log(tail(bundled.out).join('\n'));

  const hasPrebuild = (name) => existsSync(join(project, 'node_modules', name, 'prebuilds', `${process.platform}-${process.arch}`));
  const nodeAddons = ['bufferutil', 'utf-8-validate'].filter(hasPrebuild).map((n) => `${n}.node`);

  if (wanted('node-entries')) {
    writeFileSync(join(project, 'entries.mjs'), ENTRIES_FIXTURE);
    const r = run('node', ['entries.mjs'], { cwd: project, timeoutMs: 30_000 });
    const problems = [];
    let got;
    try { got = JSON.parse(r.stdout.trim().split('\n').pop()); } catch { problems.push(...tail(r.out)); }
    if (got) {
      for (const [entry, names] of [['root', ['DEFAULT_LIMITS', 'MisuseError']], ['core', ['DEFAULT_LIMITS', 'MisuseError', 'ServerConnection']], ['node', ['MisuseError', 'capabilities', 'createUpgradeHandler', 'serve']]]) {
        const have = got[entry].split(',');
        for (const n of names) if (!have.includes(n)) problems.push(`'${entry}' entry lacks ${n}`);
      }
      if (!got.sameError) problems.push('MisuseError differs between entries (instanceof would fail across them)');
      if (!got.accept) problems.push('websock/core did not answer the RFC 6455 §1.3 sample handshake');
      if (got.deep.some((c) => c !== 'ERR_PACKAGE_PATH_NOT_EXPORTED')) problems.push(`deep imports: ${got.deep}`);
    }
    report('node-entries', problems, got ? `'.': ${got.root} | core: ${got.core} | node: ${got.node}` : '');
  }

  if (wanted('node-require')) {
    writeFileSync(join(project, 'require.cjs'), "for (const s of ['websock', 'websock/core', 'websock/node']) { try { require(s); console.log(s, 'ok'); } catch (e) { console.log(s, e.code, e.message.split('\\n')[0]); } }\n");
    const r = run('node', ['require.cjs'], { cwd: project, timeoutMs: 30_000 });
    const lines = r.stdout.trim().split('\n');
    // Node ≥ 20.19 loads ESM through require(); older Node 20 must at least say why it cannot.
    const bad = lines.filter((l) => !/ ok$| ERR_REQUIRE_ESM /.test(l));
    report('node-require', bad, `Node ${process.version}: ${lines.join('; ')}`);
  }

  if (wanted('node-wss')) {
    const { problems, detail } = await checkReadmeServer('node', ['server.mjs', 'websock/node'], project, nodeAddons);
    report('node-wss', problems, detail);
  }

  if (wanted('node-upgrade-handler')) {
    writeFileSync(join(project, 'upgrade.mjs'), UPGRADE_FIXTURE);
    const server = startServer('node', ['upgrade.mjs'], project);
    const url = await server.ready;
    const problems = [];
    if (url === undefined) problems.push('never READY', ...tail(server.output()));
    else {
      const body = await within(fetch(url.replace('ws:', 'http:')).then((r) => r.text(), (e) => e.message), 5000, 'timeout');
      if (body !== 'ok') problems.push(`plain HTTP: expected 'ok', got ${body}`);
      const echo = await within(new Promise((res) => {
        const ws = new WebSocket(url);
        ws.on('open', () => ws.send('ping me'));
        ws.on('message', (d) => { res(String(d)); ws.close(1000); });
        ws.on('error', (e) => res(e.message));
      }), 8000, 'timeout');
      if (echo !== 'ping me') problems.push(`echo through createUpgradeHandler: ${echo}`);
    }
    server.stop();
    await within(server.exited, 5000);
    report('node-upgrade-handler', problems, 'README example: node:http server + handleUpgrade');
  }

  if (wanted('node-bundled')) {
    // An application bundled with esbuild (websock and pako inlined), run from the project (the addons stay in node_modules).
    writeFileSync(join(project, 'app.mjs'), SERVER_FIXTURE.replace("const { serve } = await import(process.argv[2] ?? globalThis.Deno.args[0]);", "import { serve } from 'websock/node';"));
    const built = run(bin('esbuild'), ['app.mjs', '--bundle', '--platform=node', '--format=esm', '--outfile=app.bundle.mjs', '--log-level=warning'], { cwd: project });
    if (built.status !== 0) report('node-bundled', tail(built.out));
    else {
      const { problems, detail } = await checkReadmeServer('node', ['app.bundle.mjs'], project, nodeAddons);
      report('node-bundled', problems, `esbuild --bundle --platform=node: ${detail}`);
    }
  }

  if (wanted('node-no-optional')) {
    const { problems, detail } = await checkReadmeServer('node', ['server.mjs', 'websock/node'], bare, []);
    report('node-no-optional', problems, `npm install --omit=optional: ${detail}`);
  }

  if (wanted('bun-wss')) {
    // bufferutil only: on Bun, buffer.isUtf8 is as fast as utf-8-validate, which is therefore not loaded.
    const { problems, detail } = await checkReadmeServer(bin('bun'), ['--no-install', 'server.mjs', 'websock/bun'], project,
      nodeAddons.filter((a) => a.startsWith('bufferutil')));
    report('bun-wss', problems, detail);
  }

  // Deno: the package from node_modules (package.json present: nodeModulesDir "manual"), an empty DENO_DIR and
  // --cached-only, so nothing can come from the network; least permissions.
  const denoEnv = { DENO_DIR: join(work, 'deno-dir') };
  if (wanted('deno-wss')) {
    const { problems, detail } = await checkReadmeServer(bin('deno'),
      ['run', '--cached-only', '--allow-net=127.0.0.1', '--allow-read=.', 'server.mjs', 'websock/deno'], project, undefined, denoEnv);
    // With -A (ffi allowed) the native unmasker is used; without, it must not be (no permission prompt).
    writeFileSync(join(project, 'native.mjs'), "import { nativeUnmask } from 'websock'; console.log('NATIVE', typeof nativeUnmask());\n");
    const all = run(bin('deno'), ['run', '-A', '--cached-only', 'native.mjs'], { cwd: project, env: denoEnv, timeoutMs: 60_000 });
    const expected = hasPrebuild('bufferutil') ? 'function' : 'undefined';
    if (!all.out.includes(`NATIVE ${expected}`)) problems.push(`deno -A: nativeUnmask() expected ${expected}: ${tail(all.out).join(' ')}`);
    report('deno-wss', problems, `${detail}; bufferutil with -A: ${/NATIVE (\w+)/.exec(all.out)?.[1]}`);
  }

  if (wanted('deno-npm-specifier')) {
    writeFileSync(join(project, 'npm-specifier.mjs'), "import { serve, capabilities } from 'npm:websock/deno'; console.log('RESOLVED', typeof serve, capabilities.runtime);\n");
    const r = run(bin('deno'), ['run', '--cached-only', '--allow-read', 'npm-specifier.mjs'], { cwd: project, env: denoEnv, timeoutMs: 60_000 });
    report('deno-npm-specifier', r.out.includes('RESOLVED function deno') ? [] : tail(r.out), "import 'npm:websock/deno' from the local node_modules");
  }

  // TypeScript consumers: the README's examples against the published .d.ts, skipLibCheck off.
  const typeChecks = [
    ['types-nodenext', { module: 'nodenext', moduleResolution: 'nodenext' }],
    ['types-bundler', { module: 'esnext', moduleResolution: 'bundler' }],
    ['types-exact-optional', { module: 'esnext', moduleResolution: 'bundler', exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, noPropertyAccessFromIndexSignature: true }],
  ];
  if (typeChecks.some(([name]) => wanted(name)) || wanted('types-deno') || wanted('types-no-node')) {
    const { blocks, files } = writeReadmeExamples(project);
    for (const [name, options] of typeChecks) {
      if (!wanted(name)) continue;
      const config = join(project, `tsconfig.${name}.json`);
      writeFileSync(config, JSON.stringify({
        compilerOptions: { target: 'ES2022', lib: ['ES2022'], types: ['node'], strict: true, noEmit: true, skipLibCheck: false, ...options },
        include: ['ts/*.ts'],
      }, null, 2));
      const r = run(bin('tsc'), ['-p', config], { cwd: project, timeoutMs: 120_000 });
      report(name, r.status === 0 ? [] : tail(r.out, 12), `tsc ${run(bin('tsc'), ['--version']).out.trim()}, ${JSON.stringify(options)}: ${blocks} README blocks as ${files} files + types-bite.ts`);
    }
    if (wanted('types-no-node')) {
      // Without @types/node: the runtime-neutral entries and the Bun/Deno adapters must not need Node's types.
      writeFileSync(join(project, 'ts-no-node.ts'), "import { ServerConnection, type Accelerators } from 'websock/core';\n" +
        "import { MisuseError, type ServeOptions } from 'websock';\nimport { serve as b } from 'websock/bun';\nimport { serve as d } from 'websock/deno';\n" +
        "const o: ServeOptions<undefined> = { port: 0, websocket: {} };\nconst a: Accelerators = {};\nvoid [ServerConnection, MisuseError, b, d, o, a];\nexport {};\n");
      const config = join(project, 'tsconfig.types-no-node.json');
      writeFileSync(config, JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', lib: ['ES2022'], types: [], strict: true, noEmit: true, skipLibCheck: false }, files: ['ts-no-node.ts'] }));
      const r = run(bin('tsc'), ['-p', config], { cwd: project, timeoutMs: 120_000 });
      report('types-no-node', r.status === 0 ? [] : tail(r.out, 12), "'websock', websock/core, websock/bun, websock/deno with types: [] and lib ES2022 only");
    }
    if (wanted('types-deno')) {
      const r = run(bin('deno'), ['check', ...readdirSync(join(project, 'ts')).map((f) => `ts/${f}`)], { cwd: project, env: denoEnv, timeoutMs: 180_000 });
      report('types-deno', r.status === 0 ? [] : tail(r.out, 12), 'deno check of the same files, through node_modules');
    }
  }

  // JSR: `deno publish --dry-run` on a copy of what git would publish (tracked and untracked, not ignored).
  if (wanted('jsr')) {
    const copy = join(work, 'jsr');
    const listed = run('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: root });
    for (const f of listed.stdout.split('\0').filter(Boolean)) {
      if (!existsSync(join(root, f))) continue; // deleted in the working tree
      mkdirSync(dirname(join(copy, f)), { recursive: true });
      cpSync(join(root, f), join(copy, f));
    }
    symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
    // A dead proxy: the dry run must not need the network.
    const r = run(bin('deno'), ['publish', '--dry-run'], {
      cwd: copy, timeoutMs: 180_000, env: { ...denoEnv, HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9' },
    });
    const files = r.out.split('\n').filter((l) => /^\s+file:\/\//.test(l)).map((l) => l.trim().replace(/^file:\/\/\S*?\/jsr\//, ''));
    const ok = /Dry run complete/.test(r.out);
    const errors = r.out.split('\n').filter((l) => /^error/.test(l));
    report('jsr', ok ? [] : errors.length > 0 ? errors : tail(r.out), ok ? `dry run offline OK, ${files.length} files` : 'deno publish --dry-run (offline)');
    if (ok) {
      const extra = files.filter((f) => /\.test\.ts|^(bench|conformance|scripts|\.ci)\/|package-lock|tsconfig/.test(f.split(' ')[0]));
      report('jsr-contents', extra.length > 0 ? [`${extra.length} of ${files.length} files are tests, benchmarks, scripts or config, e.g. ${extra.slice(0, 4).join(', ')}`] : [], 'what JSR users download', true);
    }
  }
}

const watchdog = setTimeout(() => {
  console.log(`FAIL timeout — the checks took more than ${totalMs / 1000} s`);
  for (const child of children) child.kill('SIGKILL');
  if (!keep) rmSync(work, { recursive: true, force: true });
  process.exit(2);
}, totalMs);
watchdog.unref();

const started = performance.now();
try {
  await main();
} catch (error) {
  report('internal', [String(error?.stack ?? error)]);
} finally {
  for (const child of children) child.kill('SIGKILL');
  if (keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
const failed = results.filter((r) => r.status === 'FAIL').length;
const warned = results.filter((r) => r.status === 'WARN').length;
console.log(`${results.length - failed - warned} passed, ${warned} warned, ${failed} failed (${((performance.now() - started) / 1000).toFixed(1)} s)`);
process.exit(failed > 0 ? 1 : 0);
