// The servers the benchmark compares, per runtime: websock's echo, the runtime's usual choice, and a raw echo.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * @typedef {object} ServerSpec
 * @property {string} id         e.g. "node/websock"
 * @property {'node'|'bun'|'deno'} runtime
 * @property {'websock'|'reference'|'raw'} kind
 * @property {string} label      what it is, for the report
 * @property {boolean} deflate   can negotiate permessage-deflate
 * @property {string|undefined} missing  why it cannot run (undefined when it can)
 * @property {(o: { tls: boolean, deflate: boolean }) => { cmd: string, args: string[] }} command
 */

/**
 * Lists the servers, with the commands that start them (each prints its URL when listening).
 * @param {string} root repository root
 * @param {{ cert: string, key: string }} tls certificate files for the reference servers
 * @returns {ServerSpec[]}
 */
export function serverCatalog(root, tls) {
  const node = process.execPath;
  const bun = join(root, 'node_modules/bun/bin/bun.exe');
  const deno = join(root, 'node_modules/deno/deno');
  const bin = { node, bun, deno };
  const launch = (runtime, script) => {
    const path = join(root, script);
    if (runtime === 'node') return [node, [path]];
    if (runtime === 'bun') return [bun, [path]];
    return [deno, ['run', '-A', path]];
  };
  const tlsArgs = (on) => (on ? ['--tls', '--cert', tls.cert, '--key', tls.key] : []);
  const ref = (runtime, kind, script, label, deflate) => ({
    id: `${runtime}/${kind}`,
    runtime,
    kind,
    label,
    deflate,
    missing: existsSync(bin[runtime]) ? undefined : `${bin[runtime]} not found`,
    command: (o) => {
      const [cmd, pre] = launch(runtime, script);
      return { cmd, args: [...pre, '--port', '0', ...tlsArgs(o.tls), ...(o.deflate ? ['--deflate'] : [])] };
    },
  });

  const runMjs = join(root, 'scripts/run.mjs');
  const echoTs = join(root, 'scripts/echo.ts');
  const echoSource = existsSync(echoTs) ? readFileSync(echoTs, 'utf8') : '';
  // Pass our certificate only if the echo script takes one; otherwise it makes its own.
  const echoTakesCert = echoSource.includes('--cert');
  const websock = (runtime) => ({
    id: `${runtime}/websock`,
    runtime,
    kind: 'websock',
    label: `websock echo (scripts/echo.ts on ${runtime})`,
    deflate: true,
    missing: existsSync(runMjs) && existsSync(echoTs) ? undefined : 'scripts/run.mjs or scripts/echo.ts not there yet',
    command: (o) => ({
      cmd: node,
      args: [
        runMjs, 'echo', '--runtime', runtime, '--port', '0',
        ...(o.tls ? (echoTakesCert ? tlsArgs(true) : ['--tls']) : []),
        ...(o.deflate ? ['--deflate'] : []),
      ],
    }),
  });

  return [
    websock('node'),
    ref('node', 'reference', 'bench/servers/ws-echo.mjs', 'ws 8 + bufferutil + utf-8-validate', true),
    ref('node', 'raw', 'bench/servers/tcp-echo-node.mjs', 'node:net / node:tls echo (socket.pipe)', false),
    websock('bun'),
    ref('bun', 'reference', 'bench/servers/bun-echo.ts', 'Bun.serve websocket (uWebSockets)', true),
    ref('bun', 'raw', 'bench/servers/tcp-echo-bun.ts', 'Bun.listen echo', false),
    websock('deno'),
    ref('deno', 'reference', 'bench/servers/deno-echo.ts', 'Deno.serve + Deno.upgradeWebSocket', false),
    ref('deno', 'raw', 'bench/servers/tcp-echo-deno.ts', 'Deno.listen / listenTls echo', false),
  ];
}
