/**
 * The demo server's single HTML page: a self-contained WebSocket echo client (no external resources).
 * It connects back to `/echo` on the host that served it, over `wss:` when the page came over https.
 * Script and style are inline blocks only (no inline handlers or style attributes), so a strict
 * Content-Security-Policy built from their hashes ({@link demoPageContentSecurityPolicy}) allows them.
 * Runtime-neutral: no `node:*`, `Deno.*` or `Bun.*`.
 */

/** The path the page connects to, on the page's own host. */
export const DEMO_ECHO_PATH = '/echo';

const STYLE = `
:root {
  color-scheme: light dark;
  --bg: #f5f6f8; --card: #ffffff; --text: #1d2330; --muted: #667085; --border: #d9dde5;
  --accent: #2f6fed; --ok: #12805c; --warn: #b25e09; --bad: #c0362c; --mono-bg: #f0f2f5;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #12151b; --card: #1b1f27; --text: #e6e9ef; --muted: #98a2b3; --border: #2c323d;
    --accent: #6b9bff; --ok: #3ccf91; --warn: #f0a64a; --bad: #ff6b5e; --mono-bg: #151920;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
main { max-width: 860px; margin: 0 auto; padding: 24px 16px 48px; }
header { display: flex; align-items: center; justify-content: space-between; gap: 12px; flex-wrap: wrap; }
h1 { font-size: 22px; margin: 0; letter-spacing: -0.01em; }
h1 small { color: var(--muted); font-weight: 400; font-size: 14px; margin-left: 6px; }
.card { background: var(--card); border: 1px solid var(--border); border-radius: 12px; padding: 16px; margin-top: 16px; }
.state { display: inline-flex; align-items: center; gap: 8px; padding: 4px 12px; border-radius: 999px;
  border: 1px solid var(--border); font-weight: 600; font-size: 13px; text-transform: uppercase; letter-spacing: 0.04em; }
.state::before { content: ""; width: 9px; height: 9px; border-radius: 50%; background: var(--muted); }
.state[data-state="open"] { color: var(--ok); }
.state[data-state="open"]::before { background: var(--ok); }
.state[data-state="connecting"], .state[data-state="closing"] { color: var(--warn); }
.state[data-state="connecting"]::before, .state[data-state="closing"]::before { background: var(--warn); }
.state[data-state="closed"] { color: var(--bad); }
.state[data-state="closed"]::before { background: var(--bad); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 6px 16px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; overflow-wrap: anywhere; }
form { display: flex; gap: 8px; }
input[type="text"] { flex: 1; min-width: 0; padding: 9px 12px; border-radius: 8px; border: 1px solid var(--border);
  background: var(--bg); color: var(--text); font: inherit; }
input[type="text"]:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
button { padding: 9px 16px; border-radius: 8px; border: 1px solid var(--border); background: var(--card);
  color: var(--text); font: inherit; font-weight: 600; cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button:disabled { opacity: 0.5; cursor: not-allowed; }
.actions { display: flex; gap: 8px; margin-top: 10px; flex-wrap: wrap; }
.log-head { display: flex; justify-content: space-between; align-items: baseline; }
.log-head h2 { font-size: 15px; margin: 0; }
.counts { color: var(--muted); font-size: 13px; }
ol#log { list-style: none; margin: 10px 0 0; padding: 8px; height: 320px; overflow-y: auto; background: var(--mono-bg);
  border-radius: 8px; border: 1px solid var(--border);
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
ol#log li { display: grid; grid-template-columns: 96px 20px 1fr; gap: 6px; padding: 2px 4px; border-radius: 4px; }
ol#log li .time { color: var(--muted); }
ol#log li .text { white-space: pre-wrap; overflow-wrap: anywhere; }
ol#log li.sent .dir { color: var(--accent); }
ol#log li.received .dir { color: var(--ok); }
ol#log li.event .dir, ol#log li.event .text { color: var(--muted); }
ol#log li.error .dir, ol#log li.error .text { color: var(--bad); }
.note { color: var(--muted); font-size: 13px; border-left: 3px solid var(--warn); padding-left: 10px; margin-top: 16px; }
`;

const SCRIPT = `
'use strict';
(function () {
  var MAX_LOG_ENTRIES = 500;
  var byId = function (id) { return document.getElementById(id); };
  var stateEl = byId('state');
  var urlEl = byId('url');
  var protocolEl = byId('protocol');
  var extensionsEl = byId('extensions');
  var closeInfoEl = byId('close-info');
  var countsEl = byId('counts');
  var logEl = byId('log');
  var form = byId('send-form');
  var input = byId('message');
  var sendButton = byId('send');
  var reconnectButton = byId('reconnect');
  var closeButton = byId('close');
  var clearButton = byId('clear');
  var socket = null;
  var sentCount = 0;
  var receivedCount = 0;

  // RFC 6455 §3: wss when the page itself came over TLS, ws otherwise; same host and port as the page.
  var scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  var url = scheme + '//' + location.host + ${JSON.stringify(DEMO_ECHO_PATH)};
  urlEl.textContent = url;

  function pad(n, width) { var s = String(n); while (s.length < width) s = '0' + s; return s; }
  function timestamp() {
    var d = new Date();
    return pad(d.getHours(), 2) + ':' + pad(d.getMinutes(), 2) + ':' + pad(d.getSeconds(), 2) + '.' + pad(d.getMilliseconds(), 3);
  }
  // textContent only: echoed text is never parsed as HTML.
  function log(kind, text) {
    var item = document.createElement('li');
    item.className = kind;
    var time = document.createElement('span');
    time.className = 'time';
    time.textContent = timestamp();
    var dir = document.createElement('span');
    dir.className = 'dir';
    dir.textContent = kind === 'sent' ? '\\u2192' : kind === 'received' ? '\\u2190' : kind === 'error' ? '!' : '\\u2022';
    var body = document.createElement('span');
    body.className = 'text';
    body.textContent = text;
    item.appendChild(time);
    item.appendChild(dir);
    item.appendChild(body);
    logEl.appendChild(item);
    while (logEl.childElementCount > MAX_LOG_ENTRIES) logEl.removeChild(logEl.firstElementChild);
    logEl.scrollTop = logEl.scrollHeight;
  }
  function showCounts() { countsEl.textContent = sentCount + ' sent \\u00b7 ' + receivedCount + ' received'; }
  function showState() {
    var names = ['connecting', 'open', 'closing', 'closed'];
    var state = socket ? names[socket.readyState] : 'closed';
    stateEl.textContent = state;
    stateEl.setAttribute('data-state', state);
    var open = state === 'open';
    sendButton.disabled = !open;
    input.disabled = !open;
    closeButton.disabled = !open;
    reconnectButton.disabled = state === 'connecting';
  }

  function connect() {
    if (socket && socket.readyState < 2) socket.close(1000, 'reconnecting');
    protocolEl.textContent = '\\u2013';
    extensionsEl.textContent = '\\u2013';
    closeInfoEl.textContent = '\\u2013';
    log('event', 'connecting to ' + url);
    var ws;
    try {
      ws = new WebSocket(url);
    } catch (error) {
      log('error', 'cannot connect: ' + error);
      socket = null;
      showState();
      return;
    }
    ws.binaryType = 'arraybuffer';
    socket = ws;
    showState();
    ws.addEventListener('open', function () {
      if (ws !== socket) return;
      protocolEl.textContent = ws.protocol || '(none)';
      extensionsEl.textContent = ws.extensions || '(none)';
      log('event', 'open' + (ws.extensions ? ' \\u00b7 extensions: ' + ws.extensions : ''));
      showState();
      input.focus();
    });
    ws.addEventListener('message', function (event) {
      if (ws !== socket) return;
      receivedCount++;
      showCounts();
      if (typeof event.data === 'string') log('received', event.data);
      else log('received', '[binary, ' + event.data.byteLength + ' bytes]');
    });
    ws.addEventListener('error', function () {
      if (ws !== socket) return;
      log('error', 'connection error (server down, or its certificate not accepted by this browser)');
    });
    ws.addEventListener('close', function (event) {
      if (ws !== socket) return;
      var info = 'code ' + event.code + (event.reason ? ' \\u00b7 ' + event.reason : '') + (event.wasClean ? ' \\u00b7 clean' : ' \\u00b7 not clean');
      closeInfoEl.textContent = info;
      log('event', 'closed: ' + info);
      showState();
    });
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    if (!socket || socket.readyState !== 1) return;
    var text = input.value;
    socket.send(text);
    sentCount++;
    showCounts();
    log('sent', text);
    input.value = '';
    input.focus();
  });
  reconnectButton.addEventListener('click', connect);
  closeButton.addEventListener('click', function () {
    if (socket && socket.readyState === 1) {
      socket.close(1000, 'closed by the user');
      showState();
    }
  });
  clearButton.addEventListener('click', function () {
    while (logEl.firstChild) logEl.removeChild(logEl.firstChild);
    sentCount = 0;
    receivedCount = 0;
    showCounts();
  });

  showCounts();
  connect();
})();
`;

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>websock demo \u00b7 echo</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<main>
  <header>
    <h1>websock <small>echo demo</small></h1>
    <span id="state" class="state" data-state="connecting" role="status" aria-live="polite">connecting</span>
  </header>

  <section class="card" aria-label="Connection">
    <dl>
      <dt>URL</dt><dd id="url">\u2013</dd>
      <dt>Protocol</dt><dd id="protocol">\u2013</dd>
      <dt>Extensions</dt><dd id="extensions">\u2013</dd>
      <dt>Last close</dt><dd id="close-info">\u2013</dd>
    </dl>
    <div class="actions">
      <button type="button" id="reconnect">Reconnect</button>
      <button type="button" id="close">Close</button>
    </div>
  </section>

  <section class="card" aria-label="Messages">
    <form id="send-form" autocomplete="off">
      <input type="text" id="message" placeholder="Type a message, press Enter" aria-label="Message" disabled>
      <button type="submit" id="send" class="primary" disabled>Send</button>
    </form>
    <div class="log-head">
      <h2>Log</h2>
      <span><span id="counts" class="counts"></span> <button type="button" id="clear">Clear</button></span>
    </div>
    <ol id="log" aria-live="polite"></ol>
  </section>

  <p class="note">This server uses a <strong>self-signed certificate</strong> generated when it started, so your
  browser warns about it. Accept it for this page (the WebSocket to the same host then uses that decision), and
  only ever do that for a local demo. Everything you send is echoed back by the server.</p>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;

/** The demo page, complete and self-contained (inline CSS and JavaScript, no external references). */
export function demoPageHtml(): string {
  return HTML;
}

/**
 * A strict Content-Security-Policy for {@link demoPageHtml}: nothing is allowed but the page's own inline
 * script and style (by SHA-256 hash) and WebSocket connections to its own origin. Async because WebCrypto
 * digests are. Send it as the `Content-Security-Policy` response header with the page.
 */
export async function demoPageContentSecurityPolicy(): Promise<string> {
  const [scriptHash, styleHash] = await Promise.all([sha256Base64(SCRIPT), sha256Base64(STYLE)]);
  return [
    "default-src 'none'",
    `script-src 'sha256-${scriptHash}'`,
    `style-src 'sha256-${styleHash}'`,
    // CSP Level 3: 'self' also matches ws:/wss: on the page's host and port.
    "connect-src 'self'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

async function sha256Base64(text: string): Promise<string> {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return btoa(String.fromCharCode(...digest));
}
