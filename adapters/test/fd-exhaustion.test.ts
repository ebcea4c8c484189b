// A peer that opens connections until the server's process runs out of file descriptors must not stop the
// server for good: once the flood is gone, a new wss upgrade is answered. The echo server of the runtime running
// this suite is started under `prlimit --nofile` (so the limit hits it alone, not this process).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import * as net from 'node:net';
import { projectPath } from '../../scripts/project-path.ts';
import { RawClient } from './raw-client.ts';
import { runtime, sleep } from './helpers.ts';

/** Descriptors the server may hold: enough to start each runtime, far fewer than the flood. */
const FD_LIMIT = 100;
const FLOOD = 200;

const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;

/** Starts the echo server under the descriptor limit; resolves with its process and port. */
function startLimitedServer(): Promise<{ pid: number; port: number; exited: () => boolean; output: () => string }> {
  const child = spawn(
    'prlimit',
    [`--nofile=${FD_LIMIT}:${FD_LIMIT}`, 'node', projectPath('scripts', 'run.mjs'), 'echo', '--runtime', runtime, '--port', '0', '--tls'],
    { cwd: projectPath(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  let exited = false;
  child.on('exit', () => (exited = true));
  child.stderr.on('data', (d: Uint8Array) => (output += String(d)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`echo server did not start: ${output}`));
    }, 20_000);
    child.stdout.on('data', (d: Uint8Array) => {
      output += String(d);
      const url = /wss:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
      if (url === null || child.pid === undefined) return;
      clearTimeout(timer);
      resolve({ pid: child.pid, port: Number(url[1]), exited: () => exited, output: () => output });
    });
  });
}

/** Opens `count` plain TCP connections (no TLS handshake: each only holds a descriptor of the server). */
async function flood(port: number, count: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<void>((resolve) => {
        const socket = net.connect({ host: '127.0.0.1', port });
        sockets.push(socket);
        socket.on('connect', () => resolve());
        socket.on('error', () => resolve());
      }),
    ),
  );
  return sockets;
}

const maybe = hasPrlimit ? test : test.skip;

maybe(`${runtime} adapter: running out of file descriptors does not stop the server (wss)`, async () => {
  const server = await startLimitedServer();
  try {
    const sockets = await flood(server.port, FLOOD);
    await sleep(1500); // the server meets the limit: accepts fail meanwhile
    for (const socket of sockets) socket.destroy();
    await sleep(1000);
    assert.not.ok(server.exited(), `server still running (${server.output()})`);
    const client = await RawClient.connect(server.port, true);
    client.sendText('still here');
    assert.is(await client.nextText(), 'still here');
    client.destroy();
  } finally {
    process.kill(server.pid, 'SIGTERM');
  }
});

test.run();
