#!/usr/bin/env node
// A real browser against the demo server: headless Chromium (Debian's `chromium` package: apt-get install chromium)
// opens the demo page over HTTPS, connects over wss with Chromium's own permessage-deflate offer, echoes a
// compressed text message and a binary one, and closes cleanly. Driven over the DevTools protocol with `ws`.
// Usage: node scripts/browser-check.mjs [--runtime node|bun|deno] [--chromium /usr/bin/chromium]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const root = resolve(new URL('..', import.meta.url).pathname);
const require = createRequire(join(root, 'package.json'));
const WebSocket = require('ws');
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const runtime = option('--runtime', 'node');
const chromium = option('--chromium', '/usr/bin/chromium');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const demo = spawn(process.execPath, [join(root, 'scripts/run.mjs'), 'demo', '--runtime', runtime, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const pageUrl = await new Promise((resolveUrl, reject) => {
  createInterface({ input: demo.stdout }).on('line', (line) => {
    const match = /https:\/\/127\.0\.0\.1:\d+\//.exec(line);
    if (match) resolveUrl(match[0]);
  });
  demo.once('exit', (code) => reject(new Error(`demo exited with ${code}`)));
});

const profile = mkdtempSync(join(tmpdir(), 'websock-chromium-'));
const port = 9300 + Math.floor(Math.random() * 500);
const browser = spawn(chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--ignore-certificate-errors', `--user-data-dir=${profile}`, `--remote-debugging-port=${port}`, 'about:blank'], { stdio: 'ignore' });
let result;
try {
  let targets;
  for (let i = 0; i < 100 && targets === undefined; i++) {
    try {
      targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
    } catch {
      await sleep(100);
    }
  }
  const cdp = new WebSocket(targets.find((t) => t.type === 'page').webSocketDebuggerUrl);
  await new Promise((r) => cdp.once('open', r));
  let id = 0;
  const pending = new Map();
  cdp.on('message', (m) => {
    const msg = JSON.parse(m);
    pending.get(msg.id)?.(msg);
    pending.delete(msg.id);
  });
  const call = (method, params = {}) => new Promise((r) => { const n = ++id; pending.set(n, r); cdp.send(JSON.stringify({ id: n, method, params })); });
  await call('Page.navigate', { url: pageUrl });
  await sleep(2000);
  const evaluated = await call('Runtime.evaluate', { awaitPromise: true, returnByValue: true, expression: `new Promise((resolve) => {
    const ws = new WebSocket('wss://' + location.host + '/echo');
    ws.binaryType = 'arraybuffer';
    const text = 'hello from chromium ' + 'x'.repeat(2000);
    const got = [];
    ws.onopen = () => { ws.send(text); ws.send(new Uint8Array([1, 2, 3])); };
    ws.onmessage = (e) => {
      got.push(typeof e.data === 'string' ? e.data === text : new Uint8Array(e.data).join(','));
      if (got.length === 2) { const extensions = ws.extensions; ws.onclose = (c) => resolve({ extensions, got, code: c.code, wasClean: c.wasClean, page: document.querySelector('body').innerText.includes('OPEN') }); ws.close(1000, 'done'); }
    };
    setTimeout(() => resolve({ timeout: true, got }), 5000);
  })` });
  result = evaluated.result?.result?.value;
  cdp.close();
} finally {
  browser.kill();
  demo.kill('SIGTERM');
  await sleep(200);
  rmSync(profile, { recursive: true, force: true });
}
const ok = result && result.extensions.startsWith('permessage-deflate') && result.got[0] === true && result.got[1] === '1,2,3' && result.code === 1000 && result.wasClean && result.page;
console.log(JSON.stringify({ runtime, ...result }));
console.log(ok ? `chromium ↔ websock (${runtime}): OK` : `chromium ↔ websock (${runtime}): FAILED`);
process.exitCode = ok ? 0 : 1;
