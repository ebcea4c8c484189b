/**
 * HTTPS + wss demo: serves a small page at `/` that connects back over wss to `/echo` and shows the echoes.
 *   npm start -- [--runtime node|bun|deno] [--port 8443] [--host 127.0.0.1] [--cert F --key F]
 * Without --cert/--key a self-signed certificate is generated at start (the browser warns once; accept it
 * for this local page only). Runs on the runtime executing it (scripts/run.mjs picks it).
 */
import { parseFlags, portFlag, stringFlag } from '../adapters/cli-args.ts';
import { detectRuntime, exitProcess, onTerminationSignal, scriptArguments, serveOnCurrentRuntime } from '../adapters/runtime.ts';
import { generateSelfSignedCertificate } from '../adapters/shared/self-signed.ts';
import { DEMO_ECHO_PATH, demoPageContentSecurityPolicy, demoPageHtml } from '../adapters/shared/demo-page.ts';
import type { HttpRequest, HttpResponse, ServerWebSocket, TlsConfig } from '../adapters/shared/types.ts';

const flags = parseFlags(scriptArguments());
const runtime = stringFlag(flags, 'runtime');
if (runtime !== undefined && runtime !== detectRuntime()) {
  console.error(`demo: asked for --runtime ${runtime} but running on ${detectRuntime()} (use node scripts/run.mjs demo --runtime ${runtime})`);
  exitProcess(2);
}
const host = stringFlag(flags, 'host', '127.0.0.1');
const certFile = stringFlag(flags, 'cert');
const keyFile = stringFlag(flags, 'key');
if ((certFile === undefined) !== (keyFile === undefined)) {
  console.error('demo: --cert and --key go together');
  exitProcess(2);
}
const selfSigned = certFile === undefined;
const tls: TlsConfig =
  certFile !== undefined && keyFile !== undefined
    ? { certFile, keyFile }
    : await generateSelfSignedCertificate({ commonName: 'localhost', altNames: ['localhost', '127.0.0.1', '::1', ...(host === '127.0.0.1' || host === 'localhost' ? [] : [host])] });

const page = demoPageHtml();
const pageHeaders = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': await demoPageContentSecurityPolicy(),
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

let boundPort = 0;
/** The page's own origins (by IP or by name), so that other sites' pages cannot use this socket. */
function isOwnOrigin(origin: string | undefined): boolean {
  if (origin === undefined) return true; // command-line clients send no Origin
  const names = new Set([host, 'localhost', '127.0.0.1', '[::1]']);
  for (const name of names) if (origin.toLowerCase() === `https://${name}:${boundPort}`) return true;
  return false;
}

function answer(req: HttpRequest): HttpResponse {
  if (req.method !== 'GET' && req.method !== 'HEAD') return { status: 405, headers: { allow: 'GET, HEAD' } };
  // HEAD: the core sends the same headers (Content-Length included) without the content.
  if (req.path === '/' || req.path === '/index.html') return { status: 200, headers: pageHeaders, body: page };
  return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not found\n' };
}

const server = await serveOnCurrentRuntime({
  port: portFlag(flags, 'port', 8443),
  hostname: host,
  tls,
  origins: isOwnOrigin,
  limits: { maxMessageSize: 1024 * 1024, maxFrameSize: 1024 * 1024 },
  deflate: {},
  fetch: answer,
  upgrade: (req) => (req.path === DEMO_ECHO_PATH ? undefined : { status: 404, body: 'WebSocket endpoint is /echo\n' }),
  websocket: {
    message(ws: ServerWebSocket<unknown>, data: string | Uint8Array) {
      ws.send(data);
    },
  },
});
boundPort = server.port;
const pageUrl = `https://${host.includes(':') ? `[${host}]` : host}:${server.port}/`;
console.log(`websock demo on ${detectRuntime()}: open ${pageUrl} (echo at ${server.url.replace(/\/$/, '')}${DEMO_ECHO_PATH})`);
if (selfSigned) console.log('self-signed certificate generated at start: the browser will warn once; accept it for this local page only.');

onTerminationSignal(() => {
  void server.stop({ timeoutMs: 1000 }).then(() => exitProcess(0));
});
