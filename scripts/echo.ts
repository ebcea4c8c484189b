/**
 * Echo server for conformance runs and benchmarks: every text and binary message is sent back unchanged,
 * on any path, text as its UTF-8 bytes (`textMessages: 'bytes'`). Prints exactly one line, the URL, once listening.
 *   npm run echo -- [--runtime node|bun|deno] [--port N] [--host H] [--tls] [--cert F --key F] [--deflate]
 * Runs on the runtime executing it (scripts/run.mjs picks it). Keepalive pings are off so that a test
 * client sees only the frames it caused; messages and frames up to 64 MiB.
 */
import { parseFlags, portFlag, stringFlag } from '../adapters/cli-args.ts';
import { detectRuntime, exitProcess, onTerminationSignal, scriptArguments, serveOnCurrentRuntime } from '../adapters/runtime.ts';
import { generateSelfSignedCertificate } from '../adapters/shared/self-signed.ts';
import type { ServerWebSocket, TlsConfig } from '../adapters/shared/types.ts';

const flags = parseFlags(scriptArguments(), ['tls', 'deflate']);
const runtime = stringFlag(flags, 'runtime');
if (runtime !== undefined && runtime !== detectRuntime()) {
  console.error(`echo: asked for --runtime ${runtime} but running on ${detectRuntime()} (use node scripts/run.mjs echo --runtime ${runtime})`);
  exitProcess(2);
}
const certFile = stringFlag(flags, 'cert');
const keyFile = stringFlag(flags, 'key');
if ((certFile === undefined) !== (keyFile === undefined)) {
  console.error('echo: --cert and --key go together');
  exitProcess(2);
}
let tls: TlsConfig | undefined;
if (certFile !== undefined && keyFile !== undefined) tls = { certFile, keyFile };
else if (flags.values.has('tls')) tls = await generateSelfSignedCertificate({ commonName: 'localhost' });

const MAX = 64 * 1024 * 1024;
const server = await serveOnCurrentRuntime({
  port: portFlag(flags, 'port', 9001),
  hostname: stringFlag(flags, 'host', '127.0.0.1'),
  ...(tls !== undefined ? { tls } : {}),
  deflate: flags.values.has('deflate') ? {} : false,
  limits: { maxMessageSize: MAX, maxFrameSize: MAX, pingIntervalMs: 0 },
  // A benchmark and test tool: the bench holds 10,000 idle connections and more, as the references allow.
  maxConnections: Infinity,
  // Text stays bytes (validated on the way in, checked again by sendText): an echo has no use for strings.
  textMessages: 'bytes',
  websocket: {
    message(ws: ServerWebSocket<unknown>, data: string | Uint8Array, isBinary: boolean) {
      if (isBinary) ws.send(data);
      else ws.sendText(data);
    },
  },
});
console.log(server.url);

onTerminationSignal(() => {
  void server.stop({ timeoutMs: 1000 }).then(() => exitProcess(0));
});
