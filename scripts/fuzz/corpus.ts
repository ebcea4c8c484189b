/**
 * The fuzzer's starting corpus: hand-made traces built with core/testing.ts helpers (handshakes, every frame
 * kind, fragmentation, permessage-deflate, limits, timing, commands, closes), plus any `.jsonl` traces found in
 * a folder (conformance/records/ by default), stripped of their recorded output.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clientFrame, concatBytes, upgradeRequest } from '../../core/testing.ts';
import type { Trace, TraceApp, TraceCommand, TraceConnectionOptions, TraceRecord } from '../../core/trace/format.ts';
import { parseTrace } from '../../core/trace/jsonl.ts';
import { ClientDeflater } from './client-deflate.ts';

const text = new TextEncoder();

/** Builds a trace step by step; each input chunk advances the clock by 1 ms unless told otherwise. */
class TraceBuilder {
  private readonly records: TraceRecord[] = [];
  private t = 0;
  constructor(
    private readonly label: string,
    private readonly options: TraceConnectionOptions = {},
    private readonly app: TraceApp = 'echo',
  ) {}

  /** Each chunk its own record. */
  in(...chunks: Uint8Array[]): this {
    for (const data of chunks) this.records.push({ kind: 'in', t: ++this.t, data });
    return this;
  }

  /** All chunks in one record (as if they arrived together). */
  joined(...chunks: Uint8Array[]): this {
    this.records.push({ kind: 'in', t: ++this.t, data: concatBytes(chunks) });
    return this;
  }

  /** One record, cut into pieces of `size` bytes (each its own record at the same time). */
  cut(data: Uint8Array, size: number): this {
    this.t++;
    for (let at = 0; at < data.length; at += size) this.records.push({ kind: 'in', t: this.t, data: data.slice(at, at + size) });
    return this;
  }

  at(t: number): this {
    this.t = t;
    return this;
  }

  tick(t: number): this {
    this.t = Math.max(this.t, t);
    this.records.push({ kind: 'tick', t: this.t });
    return this;
  }

  end(): this {
    this.records.push({ kind: 'end', t: ++this.t });
    return this;
  }

  cmd(cmd: TraceCommand): this {
    this.records.push({ kind: 'cmd', t: ++this.t, cmd });
    return this;
  }

  build(): Trace {
    return { header: { websockTrace: 1, label: this.label, app: this.app, options: this.options, meta: { source: 'fuzz corpus' } }, records: this.records };
  }
}

const close = (code: number, reason = ''): Uint8Array => {
  const r = text.encode(reason);
  const payload = new Uint8Array(2 + r.length);
  payload[0] = code >> 8;
  payload[1] = code & 0xff;
  payload.set(r, 2);
  return clientFrame(8, payload);
};

const DEFLATE_OFFER = 'permessage-deflate; client_max_window_bits';

/** The hand-made traces. */
export function builtinCorpus(): Trace[] {
  const traces: Trace[] = [];
  const req = upgradeRequest();

  traces.push(new TraceBuilder('basic').in(req, clientFrame(1, 'Hello'), clientFrame(2, new Uint8Array([1, 2, 3])), close(1000, 'bye')).build());

  traces.push(
    new TraceBuilder('all-frame-kinds')
      .joined(req, clientFrame(1, ''))
      .in(
        clientFrame(2, new Uint8Array(0)),
        clientFrame(9, 'ping!'),
        clientFrame(10, 'unsolicited'),
        clientFrame(1, 'frag-', { fin: false }),
        clientFrame(9, 'mid'),
        clientFrame(0, 'ment', { fin: false }),
        clientFrame(0, 'ed', { fin: true }),
        clientFrame(2, new Uint8Array(200).fill(7)),
        clientFrame(2, new Uint8Array(300).fill(9), { lengthForm: 64 }),
        clientFrame(1, 'ok', { lengthForm: 16 }),
      )
      .joined(clientFrame(1, 'héllo wörld ✓ 𝄞'), close(1001))
      .build(),
  );

  const utf8 = text.encode('ünïcödé 𝄞 text');
  traces.push(
    new TraceBuilder('fragmentation')
      .in(req)
      .cut(
        concatBytes([
          clientFrame(1, utf8.subarray(0, 3), { fin: false }),
          clientFrame(0, utf8.subarray(3, 12), { fin: false }),
          clientFrame(0, utf8.subarray(12), { fin: true }),
          ...Array.from({ length: 12 }, (_, i) => clientFrame(i === 0 ? 2 : 0, new Uint8Array(5).fill(i), { fin: i === 11 })),
        ]),
        7,
      )
      .in(close(1000))
      .build(),
  );

  {
    const deflater = new ClientDeflater();
    const big = 'compressible text '.repeat(120);
    const compressed = deflater.compress(big);
    const again = deflater.compress(big);
    const split = deflater.compress('split across two frames, split across two frames');
    traces.push(
      new TraceBuilder('deflate', { deflate: {} })
        .in(upgradeRequest({ 'Sec-WebSocket-Extensions': DEFLATE_OFFER }))
        .in(
          clientFrame(1, compressed, { rsv: 4 }),
          clientFrame(1, again, { rsv: 4 }),
          clientFrame(1, split.subarray(0, 10), { rsv: 4, fin: false }),
          clientFrame(0, split.subarray(10)),
          clientFrame(2, 'plain, not compressed'),
          clientFrame(2, deflater.compress(new Uint8Array(3000).fill(65)), { rsv: 4 }),
          close(1000),
        )
        .build(),
    );
  }
  {
    const deflater = new ClientDeflater(9, true);
    traces.push(
      new TraceBuilder('deflate-no-context', { deflate: { clientNoContextTakeover: true, serverNoContextTakeover: true, serverMaxWindowBits: 9, threshold: 0 } })
        .in(upgradeRequest({ 'Sec-WebSocket-Extensions': 'permessage-deflate; client_no_context_takeover; server_no_context_takeover; client_max_window_bits=9; server_max_window_bits=10' }))
        .in(clientFrame(1, deflater.compress('one one one one'), { rsv: 4 }), clientFrame(1, deflater.compress('one one one one'), { rsv: 4 }))
        .in(clientFrame(1, deflater.compress(''), { rsv: 4 }), close(1000))
        .build(),
    );
  }

  traces.push(
    new TraceBuilder('small-limits', { limits: { maxMessageSize: 256, maxFrameSize: 128, maxHeaderBytes: 512, maxHeaderCount: 8, maxPendingBytes: 64, fragmentOverheadBytes: 8 } })
      .in(req, clientFrame(2, new Uint8Array(128)), clientFrame(2, new Uint8Array(100), { fin: false }), clientFrame(0, new Uint8Array(100), { fin: false }), clientFrame(0, new Uint8Array(40)))
      .in(clientFrame(2, new Uint8Array(129)))
      .build(),
  );

  traces.push(
    new TraceBuilder('stream-mode', { receiveMode: 'stream' })
      .in(req)
      .cut(concatBytes([clientFrame(1, 'streamed text message', { fin: false }), clientFrame(0, ' continues'), clientFrame(2, new Uint8Array(50).fill(3))]), 5)
      .in(close(1000))
      .build(),
  );

  traces.push(
    new TraceBuilder('keepalive', { limits: { pingIntervalMs: 100, pongTimeoutMs: 50, closeTimeoutMs: 40 } })
      .in(req)
      .tick(100)
      .in(clientFrame(10, ''))
      .tick(220)
      .tick(280)
      .build(),
  );

  traces.push(new TraceBuilder('handshake-timeout', { limits: { handshakeTimeoutMs: 1000 } }).in(req.subarray(0, 30)).tick(1000).in(req.subarray(30)).build());

  traces.push(
    new TraceBuilder('server-close', { limits: { closeTimeoutMs: 500 } })
      .in(req, clientFrame(1, 'before'))
      .cmd({ type: 'close', code: 4000, reason: 'server says bye' })
      .in(clientFrame(1, 'after close: discarded'), clientFrame(9, 'still pinging'))
      .tick(600)
      .build(),
  );
  traces.push(
    new TraceBuilder('server-close-answered').in(req).cmd({ type: 'close', code: 1000 }).in(close(1000)).build(),
  );

  traces.push(
    new TraceBuilder('async-accept', { limits: { maxPendingBytes: 1024 } }, 'recorded')
      .joined(req, clientFrame(1, 'early'))
      .in(clientFrame(2, new Uint8Array([9, 9])))
      .cmd({ type: 'accept', headers: [['X-Test', 'yes']] })
      .cmd({ type: 'send', data: text.encode('server speaks first'), text: true })
      .cmd({ type: 'ping', data: text.encode('hb') })
      .in(clientFrame(10, 'hb'), close(1000))
      .build(),
  );
  traces.push(new TraceBuilder('reject', {}, 'recorded').in(req).cmd({ type: 'reject', status: 403, bodyText: 'forbidden' }).in(clientFrame(1, 'ignored')).build());

  traces.push(
    new TraceBuilder('plain-http', { plainHttp: true, limits: { handshakeTimeoutMs: 100 } })
      .in(text.encode('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'))
      .tick(100)
      .build(),
  );
  traces.push(new TraceBuilder('bad-version').in(upgradeRequest({ 'Sec-WebSocket-Version': '8' })).build());
  traces.push(new TraceBuilder('bad-key').in(upgradeRequest({ 'Sec-WebSocket-Key': 'short' }), clientFrame(1, 'x')).build());
  traces.push(new TraceBuilder('post').in(text.encode('POST / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n')).build());
  traces.push(new TraceBuilder('subprotocol-offer').in(upgradeRequest({ 'Sec-WebSocket-Protocol': 'chat, superchat', Origin: 'http://example.com' }), clientFrame(1, 'hi')).build());

  traces.push(new TraceBuilder('end-mid-message').in(req, clientFrame(1, 'partial', { fin: false }), clientFrame(0, 'x').subarray(0, 4)).end().build());
  traces.push(new TraceBuilder('invalid-utf8').in(req, clientFrame(1, new Uint8Array([0x68, 0xc3]), { fin: false }), clientFrame(0, new Uint8Array([0x28]))).build());
  traces.push(new TraceBuilder('invalid-close').in(req, clientFrame(8, new Uint8Array([0x03, 0xed]))).build());
  traces.push(new TraceBuilder('unmasked').in(req, clientFrame(1, 'no mask', { mask: null })).build());
  {
    const deflater = new ClientDeflater();
    const text1 = deflater.compress('stream me '.repeat(60));
    traces.push(
      new TraceBuilder('deflate-stream-small-limits', { deflate: { threshold: 16 }, receiveMode: 'stream', limits: { maxMessageSize: 65536, maxFrameSize: 400 } })
        .in(upgradeRequest({ 'Sec-WebSocket-Extensions': DEFLATE_OFFER }))
        .cut(concatBytes([clientFrame(1, text1.subarray(0, 5), { rsv: 4, fin: false }), clientFrame(9, 'mid'), clientFrame(0, text1.subarray(5))]), 9)
        .in(clientFrame(2, deflater.compress(new Uint8Array(900).fill(1)), { rsv: 4 }))
        .build(),
    );
  }
  traces.push(
    new TraceBuilder('app-commands', { deflate: { threshold: 0 } }, 'recorded')
      .in(upgradeRequest({ 'Sec-WebSocket-Protocol': 'chat, superchat', 'Sec-WebSocket-Extensions': 'permessage-deflate; server_no_context_takeover' }))
      .cmd({ type: 'accept', protocol: 'superchat', deflate: { serverNoContextTakeover: true, clientNoContextTakeover: false, serverMaxWindowBits: 10, clientMaxWindowBits: 15 } })
      .cmd({ type: 'send', data: text.encode('part one, '), text: true, fin: false })
      .cmd({ type: 'send', data: text.encode('part two'), text: true })
      .cmd({ type: 'send', data: new Uint8Array(2000).fill(120), binary: true, compress: true })
      .cmd({ type: 'pong', data: text.encode('unsolicited') })
      .in(clientFrame(1, 'after the app spoke'), clientFrame(8, concatBytes([new Uint8Array([0x0f, 0xa0]), text.encode('r'.repeat(123))])))
      .build(),
  );
  traces.push(new TraceBuilder('reject-bodyless', { plainHttp: true }, 'recorded').in(text.encode('GET /x HTTP/1.1\r\nHost: h\r\n\r\n')).cmd({ type: 'reject', status: 204 }).build());
  traces.push(
    new TraceBuilder('tiny-fragments', { limits: { maxMessageSize: 400, fragmentOverheadBytes: 4 } })
      .in(req)
      .joined(...Array.from({ length: 60 }, (_, i) => clientFrame(i === 0 ? 1 : 0, i % 7 === 3 ? '' : 'ab', { fin: i === 59 })))
      .build(),
  );
  traces.push(new TraceBuilder('many-pings').in(req, concatBytes(Array.from({ length: 80 }, (_, i) => clientFrame(9, `p${i}`)))).build());
  return traces;
}

/** Traces from the `.jsonl` files in `dir` (if it exists), without their recorded output and events. */
export function loadCorpusDir(dir: string): Trace[] {
  if (!existsSync(dir)) return [];
  const traces: Trace[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.jsonl')) continue;
    try {
      const trace = parseTrace(readFileSync(join(dir, name)));
      traces.push({ header: trace.header, records: trace.records.filter((r) => r.kind !== 'out' && r.kind !== 'ev' && r.kind !== 'truncated') });
    } catch (error) {
      console.error(`skipping ${name}: ${(error as Error).message}`);
    }
  }
  return traces;
}
