// Usage: node bench/memory-deflate.mjs [connections]   (Node: websock's echo vs ws's, both with permessage-deflate)
// Memory per idle *compressed* connection: N clients negotiate permessage-deflate, each sends one 4 KiB JSON-like
// text message (above both servers' 1 KiB threshold, so both sides' compressors and inflaters exist, context kept),
// gets the echo, then idles. Server RSS (VmRSS) before and after, per connection.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
const root = new URL('..', import.meta.url).pathname;
const require = createRequire(root + 'package.json');
const WebSocket = require('ws');
const N = Number(process.argv[2] ?? 1000);
const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const message = JSON.stringify(Array.from({ length: 60 }, (_, i) => ({ id: i, name: `user-${i}`, active: i % 2 === 0, score: i * 17 })));
async function measure(label, cmd, args) {
  const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((r) => createInterface({ input: child.stdout }).once('line', (l) => r(l.trim())));
  const serverPid = label.startsWith('websock') ? Number(require('node:child_process').execSync(`pgrep -P ${child.pid} | head -1`).toString()) || child.pid : child.pid;
  await sleep(500);
  const before = rss(serverPid);
  const sockets = [];
  for (let i = 0; i < N; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, N - i) }, () => new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: true });
      ws.on('open', () => ws.send(message));
      ws.on('message', () => resolve());
      ws.on('error', reject);
      sockets.push(ws);
    })));
  }
  await sleep(2000);
  const after = rss(serverPid);
  const ext = sockets[0].extensions;
  for (const s of sockets) s.terminate();
  child.kill('SIGTERM');
  await sleep(300);
  return { label, perConnKiB: ((after - before) / N).toFixed(1), extensions: ext };
}
const results = [];
results.push(await measure('ws', 'node', ['bench/servers/ws-echo.mjs', '--port', '0', '--deflate']));
results.push(await measure('websock-node', 'node', ['scripts/run.mjs', 'echo', '--runtime', 'node', '--port', '0', '--deflate']));
console.log(JSON.stringify(results));
