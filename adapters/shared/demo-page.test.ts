import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEMO_ECHO_PATH, demoPageContentSecurityPolicy, demoPageHtml } from './demo-page.ts';

const html = demoPageHtml();

function between(text: string, open: string, close: string): string {
  const start = text.indexOf(open);
  const end = text.indexOf(close, start);
  assert.ok(start >= 0 && end > start, `${open}…${close} present`);
  return text.slice(start + open.length, end);
}
const script = between(html, '<script>', '</script>');
const style = between(html, '<style>', '</style>');
/** The markup with the script and style bodies removed. */
const markup = html.replace(script, '').replace(style, '');

test('document skeleton', () => {
  assert.ok(html.startsWith('<!doctype html>\n<html lang="en">'));
  assert.ok(html.includes('<meta charset="utf-8">'));
  assert.ok(html.includes('<meta name="viewport"'));
  assert.ok(/<title>[^<]+<\/title>/.test(html));
  assert.is(html.split('<script').length, 2, 'one script block');
  assert.is(html.split('<style').length, 2, 'one style block');
  assert.ok(html.trimEnd().endsWith('</html>'));
  assert.is(demoPageHtml(), html, 'stable output');
});

test('tags are balanced (void elements aside)', () => {
  const voidElements = new Set(['meta', 'link', 'input', 'br', 'img', 'hr']);
  const stack: string[] = [];
  const tagPattern = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>/g;
  for (const match of markup.matchAll(tagPattern)) {
    const [, closing, rawName] = match;
    const name = rawName!.toLowerCase();
    if (voidElements.has(name)) continue;
    if (closing) assert.is(stack.pop(), name, `closing </${name}>`);
    else stack.push(name);
  }
  assert.equal(stack, []);
});

test('self-contained: no external references, no inline handlers or style attributes', () => {
  assert.not.ok(/https?:\/\//i.test(html), 'no http(s) URL');
  assert.not.ok(/\/\/[a-z0-9.-]+\.[a-z]{2,}\//i.test(html), 'no protocol-relative URL');
  assert.not.ok(/@import|url\(/i.test(style), 'no CSS imports or url()');
  for (const attribute of markup.matchAll(/\s(src|href)="([^"]*)"/g)) {
    assert.ok(attribute[2]!.startsWith('data:'), `${attribute[1]}="${attribute[2]}" is inline data`);
  }
  assert.not.ok(/<[^>]*\son[a-z]+=/i.test(markup), 'no inline event handler attributes (CSP)');
  assert.not.ok(/<[^>]*\sstyle=/i.test(markup), 'no style attributes (CSP)');
  assert.not.ok(/innerHTML|eval\(|new Function/.test(script), 'no HTML or code injection sinks');
});

test('wss/ws URL logic targets /echo on the page host', () => {
  assert.is(DEMO_ECHO_PATH, '/echo');
  assert.ok(script.includes("location.protocol === 'https:' ? 'wss:' : 'ws:'"));
  assert.ok(script.includes("'//' + location.host + \"/echo\""));
  assert.ok(html.toLowerCase().includes('self-signed certificate'));
});

test('the script compiles', () => {
  // Compiling (not running) is a syntax check that works on every runtime.
  assert.type(new Function(script), 'function');
});

test('CSP hashes match the inline script and style', async () => {
  const policy = await demoPageContentSecurityPolicy();
  const digest = async (text: string): Promise<string> => {
    const bytes = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
    return btoa(String.fromCharCode(...bytes));
  };
  assert.ok(policy.includes(`script-src 'sha256-${await digest(script)}'`));
  assert.ok(policy.includes(`style-src 'sha256-${await digest(style)}'`));
  assert.ok(policy.startsWith("default-src 'none'"));
  assert.ok(policy.includes("connect-src 'self'"));
  assert.not.ok(policy.includes('unsafe-inline'));
});

// ---------------------------------------------------------------------------------------------
// Behaviour: run the page script against a minimal fake DOM and WebSocket.
// ---------------------------------------------------------------------------------------------

type Listener = (event: Record<string, unknown>) => void;

class FakeElement {
  textContent = '';
  className = '';
  value = '';
  disabled = false;
  scrollTop = 0;
  scrollHeight = 0;
  readonly attributes = new Map<string, string>();
  readonly children: FakeElement[] = [];
  readonly listeners = new Map<string, Listener[]>();
  setAttribute(name: string, value: string): void {
    this.attributes.set(name, value);
  }
  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  dispatch(type: string, event: Record<string, unknown> = {}): void {
    for (const listener of this.listeners.get(type) ?? []) listener({ preventDefault() {}, ...event });
  }
  appendChild(child: FakeElement): void {
    this.children.push(child);
  }
  removeChild(child: FakeElement): void {
    this.children.splice(this.children.indexOf(child), 1);
  }
  get childElementCount(): number {
    return this.children.length;
  }
  get firstElementChild(): FakeElement | undefined {
    return this.children[0];
  }
  get firstChild(): FakeElement | undefined {
    return this.children[0];
  }
  focus(): void {}
}

class FakeWebSocket {
  static instances: FakeWebSocket[] = [];
  readyState = 0;
  protocol = '';
  extensions = '';
  binaryType = 'blob';
  readonly sent: string[] = [];
  readonly listeners = new Map<string, Listener[]>();
  closedWith: [number, string] | undefined;
  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this);
  }
  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  emit(type: string, event: Record<string, unknown> = {}): void {
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }
  send(data: string): void {
    this.sent.push(data);
  }
  close(code: number, reason: string): void {
    this.closedWith = [code, reason];
    this.readyState = 2;
  }
}

function runPage(protocol: string, host: string) {
  const ids = [...markup.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!);
  const elements = new Map(ids.map((id) => [id, new FakeElement()]));
  const document = {
    getElementById: (id: string): FakeElement => {
      const element = elements.get(id);
      assert.ok(element, `the script looks up #${id}, which the markup has`);
      return element!;
    },
    createElement: (): FakeElement => new FakeElement(),
  };
  FakeWebSocket.instances = [];
  new Function('document', 'location', 'WebSocket', script)(document, { protocol, host }, FakeWebSocket);
  const el = (id: string): FakeElement => elements.get(id)!;
  const logTexts = (): string[] => el('log').children.map((li) => `${li.className}:${li.children[2]!.textContent}`);
  return { el, logTexts };
}

test('https page → wss URL; state, protocol, extensions, send, receive, close, reconnect', () => {
  const { el, logTexts } = runPage('https:', '127.0.0.1:8443');
  assert.is(FakeWebSocket.instances.length, 1);
  const ws = FakeWebSocket.instances[0]!;
  assert.is(ws.url, 'wss://127.0.0.1:8443/echo');
  assert.is(el('url').textContent, 'wss://127.0.0.1:8443/echo');
  assert.is(el('state').textContent, 'connecting');
  assert.is(el('send').disabled, true);

  ws.readyState = 1;
  ws.protocol = 'chat';
  ws.extensions = 'permessage-deflate; client_max_window_bits=15';
  ws.emit('open');
  assert.is(el('state').textContent, 'open');
  assert.is(el('state').attributes.get('data-state'), 'open');
  assert.is(el('protocol').textContent, 'chat');
  assert.is(el('extensions').textContent, 'permessage-deflate; client_max_window_bits=15');
  assert.is(el('send').disabled, false);

  el('message').value = '<b>hello</b>';
  el('send-form').dispatch('submit');
  assert.equal(ws.sent, ['<b>hello</b>']);
  assert.is(el('message').value, '');
  ws.emit('message', { data: '<b>hello</b>' });
  ws.emit('message', { data: new ArrayBuffer(3) });
  assert.is(el('counts').textContent, '1 sent · 2 received');
  const entries = logTexts();
  assert.ok(entries.includes('sent:<b>hello</b>'));
  assert.ok(entries.includes('received:<b>hello</b>'));
  assert.ok(entries.includes('received:[binary, 3 bytes]'));
  const time = el('log').children[0]!.children[0]!.textContent;
  assert.ok(/^\d\d:\d\d:\d\d\.\d\d\d$/.test(time), `timestamp ${time}`);

  el('close').dispatch('click');
  assert.equal(ws.closedWith, [1000, 'closed by the user']);
  ws.readyState = 3;
  ws.emit('close', { code: 1000, reason: 'bye', wasClean: true });
  assert.is(el('state').textContent, 'closed');
  assert.is(el('close-info').textContent, 'code 1000 · bye · clean');

  el('reconnect').dispatch('click');
  assert.is(FakeWebSocket.instances.length, 2);
  assert.is(FakeWebSocket.instances[1]!.url, 'wss://127.0.0.1:8443/echo');
  assert.is(el('state').textContent, 'connecting');
  // Events of the old socket no longer touch the page.
  ws.emit('message', { data: 'stale' });
  assert.not.ok(logTexts().includes('received:stale'));

  el('clear').dispatch('click');
  assert.is(el('log').children.length, 0);
});

test('http page → ws URL; the log stays bounded', () => {
  const { el } = runPage('http:', 'localhost:8080');
  const ws = FakeWebSocket.instances[0]!;
  assert.is(ws.url, 'ws://localhost:8080/echo');
  ws.readyState = 1;
  ws.emit('open');
  for (let i = 0; i < 700; i++) ws.emit('message', { data: `m${i}` });
  assert.is(el('log').children.length, 500);
  assert.is(el('log').children[499]!.children[2]!.textContent, 'm699');
});

test.run();
