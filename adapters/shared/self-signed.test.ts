import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { MisuseError } from '../../core/errors.ts';
import { ecdsaSignatureToDer, generateSelfSignedCertificate, parseIpAddress } from './self-signed.ts';

// ---------------------------------------------------------------------------------------------
// Helpers: PEM → DER, a tiny DER reader (only to check the output), a bounded TLS round trip.
// ---------------------------------------------------------------------------------------------

const runtime = typeof Deno !== 'undefined' ? 'deno' : typeof Bun !== 'undefined' ? 'bun' : 'node';
const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

function pemBody(pem: string, label: string): Uint8Array<ArrayBuffer> {
  const lines = pem.trim().split('\n');
  assert.is(lines[0], `-----BEGIN ${label}-----`);
  assert.is(lines[lines.length - 1], `-----END ${label}-----`);
  const body = lines.slice(1, -1);
  for (const line of body) assert.ok(line.length <= 64 && /^[A-Za-z0-9+/=]+$/.test(line), `bad PEM line ${line}`);
  const binary = atob(body.join(''));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

interface Tlv {
  tag: number;
  /** The whole element, header included. */
  whole: Uint8Array;
  content: Uint8Array;
}

function readTlv(bytes: Uint8Array, offset: number): Tlv {
  const tag = bytes[offset]!;
  let length = bytes[offset + 1]!;
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    assert.ok(count >= 1 && count <= 3, 'length of length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[offset + 2 + i]!;
    assert.ok(length >= 0x80, 'DER: long form only when needed');
    header += count;
  }
  assert.ok(offset + header + length <= bytes.length, 'element fits');
  return {
    tag,
    whole: bytes.subarray(offset, offset + header + length),
    content: bytes.subarray(offset + header, offset + header + length),
  };
}

function children(parent: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  for (let offset = 0; offset < parent.length && out.length < 64; ) {
    const tlv = readTlv(parent, offset);
    out.push(tlv);
    offset += tlv.whole.length;
  }
  return out;
}

/** DER ECDSA-Sig-Value → 64-byte r||s, the inverse of ecdsaSignatureToDer (for P-256). */
function derSignatureToRaw(der: Uint8Array): Uint8Array<ArrayBuffer> {
  const seq = readTlv(der, 0);
  assert.is(seq.tag, 0x30);
  const [r, s] = children(seq.content);
  const raw = new Uint8Array(64);
  for (const [index, integer] of [r!, s!].entries()) {
    assert.is(integer.tag, 0x02);
    const c = integer.content;
    // Minimal: no superfluous leading 0x00, and positive.
    assert.ok((c[0]! & 0x80) === 0, 'positive INTEGER');
    if (c.length > 1) assert.ok(c[0] !== 0 || (c[1]! & 0x80) !== 0, 'minimal INTEGER');
    const trimmed = c[0] === 0 ? c.subarray(1) : c;
    assert.ok(trimmed.length <= 32);
    raw.set(trimmed, index * 32 + 32 - trimmed.length);
  }
  return raw;
}

interface RoundTrip {
  authorized: boolean;
  authorizationError: string | undefined;
  reply: string;
  protocol: string | null;
}

/** Connects with node:tls, writes a few bytes, waits for the echo, closes. Bounded by a timer. */
function nodeTlsClient(port: number, options: tls.ConnectionOptions): Promise<RoundTrip> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ...options });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('TLS round trip timed out'));
    }, 5000);
    let reply = '';
    socket.on('secureConnect', () => socket.write('ping-1234'));
    socket.on('data', (chunk: Uint8Array) => {
      reply += new TextDecoder().decode(chunk);
      if (reply.length >= 9) {
        clearTimeout(timer);
        const result: RoundTrip = {
          authorized: socket.authorized,
          authorizationError: socket.authorizationError === undefined ? undefined : String(socket.authorizationError),
          reply,
          protocol: socket.getProtocol(),
        };
        socket.end();
        socket.destroy();
        resolve(result);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
  });
}

/** A node:tls echo server on 127.0.0.1, port 0. */
async function withNodeTlsServer<T>(cert: string, key: string, body: (port: number) => Promise<T>): Promise<T> {
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer({ cert, key }, (socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  // Client-side verification failures surface as server-side handshake errors; they are expected here.
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await body((server.address() as AddressInfo).port);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** The checks made against every server: unverified, verified by name and by IP, and two refusals. */
async function checkClientSide(server: string, port: number, cert: string): Promise<void> {
  const plain = await nodeTlsClient(port, { rejectUnauthorized: false });
  assert.is(plain.reply, 'ping-1234');
  assert.ok(plain.protocol === 'TLSv1.3' || plain.protocol === 'TLSv1.2', `protocol ${plain.protocol}`);

  const byName = await nodeTlsClient(port, { ca: cert, servername: 'localhost', rejectUnauthorized: true });
  assert.is(byName.reply, 'ping-1234');
  assert.is(byName.authorized, true, `not authorized: ${byName.authorizationError}`);

  // No servername: Node checks the host 127.0.0.1 against the iPAddress SAN.
  const byIp = await nodeTlsClient(port, { ca: cert, rejectUnauthorized: true });
  assert.is(byIp.authorized, true, `not authorized: ${byIp.authorizationError}`);

  // Negative controls: verification is real, not a rubber stamp.
  await nodeTlsClient(port, { rejectUnauthorized: true, servername: 'localhost' }).then(
    () => assert.unreachable('an unknown self-signed certificate must be refused'),
    (error: unknown) => assert.instance(error, Error),
  );
  await nodeTlsClient(port, { ca: cert, servername: 'example.com', rejectUnauthorized: true }).then(
    () => assert.unreachable('a name outside the SAN must be refused'),
    (error: unknown) => assert.instance(error, Error),
  );
  console.log(`  [${runtime}] ${server}: ${plain.protocol}, echo ok, verified by name and IP, 2 refusals ok`);
}

const defaultCertificate = generateSelfSignedCertificate();

// ---------------------------------------------------------------------------------------------
// Structure, signature and key, checked with WebCrypto only (so on every runtime).
// ---------------------------------------------------------------------------------------------

test('PEM shapes: CERTIFICATE and PKCS#8 PRIVATE KEY', async () => {
  // Timing is reported, not asserted: the first call includes WebCrypto warm-up.
  const timings: number[] = [];
  let fresh = await generateSelfSignedCertificate();
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    fresh = await generateSelfSignedCertificate();
    timings.push(performance.now() - started);
  }
  console.log(`  [${runtime}] generateSelfSignedCertificate: ${Math.min(...timings).toFixed(2)} ms (best of 5 after one warm-up)`);
  const der = pemBody(fresh.cert, 'CERTIFICATE');
  assert.is(der[0], 0x30);
  const pkcs8 = pemBody(fresh.key, 'PRIVATE KEY');
  assert.is(pkcs8[0], 0x30);
  assert.not.ok(fresh.cert.includes('\r'));
  assert.ok(fresh.cert.endsWith('-----END CERTIFICATE-----\n'));
});

test('certificate structure: v3, positive serial, ecdsa-with-SHA256, extensions in DER', async () => {
  const { cert } = await defaultCertificate;
  const der = pemBody(cert, 'CERTIFICATE');
  const top = readTlv(der, 0);
  assert.is(top.whole.length, der.length, 'no trailing bytes');
  const [tbs, sigAlg, sigValue] = children(top.content);
  assert.is(hex(sigAlg!.whole), '300a06082a8648ce3d040302');
  assert.is(sigValue!.tag, 0x03);
  const fields = children(tbs!.content);
  assert.is(fields.length, 8);
  assert.is(hex(fields[0]!.whole), 'a003020102', 'version v3');
  const serial = fields[1]!.content;
  assert.ok(serial.length >= 1 && serial.length <= 20 && (serial[0]! & 0x80) === 0 && serial[0] !== 0);
  assert.is(hex(fields[2]!.whole), hex(sigAlg!.whole), 'inner and outer algorithm agree');
  assert.is(hex(fields[3]!.whole), hex(fields[5]!.whole), 'issuer = subject');
  assert.ok(hex(fields[3]!.whole).includes(hex(new TextEncoder().encode('localhost'))));
  const [notBefore, notAfter] = children(fields[4]!.content);
  assert.is(notBefore!.tag, 0x17, 'UTCTime');
  assert.is(notAfter!.tag, 0x17, 'UTCTime');
  assert.is(fields[7]!.tag, 0xa3, 'extensions [3]');
  const extensions = children(readTlv(fields[7]!.content, 0).content).map((e) => hex(e.whole));
  assert.equal(extensions.slice(0, 3), [
    '300c0603551d130101ff04023000', // basicConstraints critical CA:false
    '300e0603551d0f0101ff0404030207' + '80', // keyUsage critical digitalSignature
    '30130603551d25040c300a06082b06010505070301', // extKeyUsage serverAuth
  ]);
  // subjectAltName: dNSName localhost, iPAddress 127.0.0.1, iPAddress ::1
  assert.ok(extensions[3]!.startsWith('0603551d1104', 4));
  assert.ok(extensions[3]!.endsWith('8209' + hex(new TextEncoder().encode('localhost')) + '87047f000001' + '8710' + '0'.repeat(31) + '1'));
});

test('signature verifies with WebCrypto, and the PKCS#8 key belongs to the certificate', async () => {
  const { cert, key } = await defaultCertificate;
  const der = pemBody(cert, 'CERTIFICATE');
  const [tbs, , sigValue] = children(readTlv(der, 0).content);
  const spki = children(tbs!.content)[6]!.whole;
  assert.is(sigValue!.content[0], 0, 'no unused bits');
  const raw = derSignatureToRaw(sigValue!.content.subarray(1));
  const subtle = globalThis.crypto.subtle;
  const ecdsa = { name: 'ECDSA', namedCurve: 'P-256' };
  const publicKey = await subtle.importKey('spki', spki.slice(), ecdsa, true, ['verify']);
  const sha256 = { name: 'ECDSA', hash: 'SHA-256' };
  assert.ok(await subtle.verify(sha256, publicKey, raw, tbs!.whole.slice()), 'certificate signature');
  const tampered = tbs!.whole.slice();
  tampered[tampered.length - 1]! ^= 1;
  assert.not.ok(await subtle.verify(sha256, publicKey, raw, tampered));

  const privateKey = await subtle.importKey('pkcs8', pemBody(key, 'PRIVATE KEY'), ecdsa, false, ['sign']);
  const message = new TextEncoder().encode('key pair check');
  const signature = await subtle.sign(sha256, privateKey, message);
  assert.ok(await subtle.verify(sha256, publicKey, signature, message), 'key matches certificate');
});

test('32 fresh certificates all verify (r and s with and without the high bit set)', async () => {
  const subtle = globalThis.crypto.subtle;
  const sha256 = { name: 'ECDSA', hash: 'SHA-256' };
  const serials = new Set<string>();
  for (let i = 0; i < 32; i++) {
    const der = pemBody((await generateSelfSignedCertificate()).cert, 'CERTIFICATE');
    const [tbs, , sigValue] = children(readTlv(der, 0).content);
    const fields = children(tbs!.content);
    serials.add(hex(fields[1]!.content));
    const publicKey = await subtle.importKey('spki', fields[6]!.whole.slice(), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    const raw = derSignatureToRaw(sigValue!.content.subarray(1));
    assert.ok(await subtle.verify(sha256, publicKey, raw, tbs!.whole.slice()), `certificate ${i}`);
  }
  assert.is(serials.size, 32, 'serials are random');
});

test('ecdsaSignatureToDer: minimal INTEGERs, 0x00 before a set high bit', () => {
  const raw = new Uint8Array(64);
  raw[0] = 0x80; // r has its high bit set → 33 content bytes
  raw[63] = 0x05; // s = 5 → one byte after trimming leading zeros
  assert.is(hex(ecdsaSignatureToDer(raw)), '3026' + '022100' + '80' + '00'.repeat(31) + '020105');
  const zeroR = new Uint8Array(64);
  zeroR[32] = 0x7f;
  assert.is(hex(ecdsaSignatureToDer(zeroR)), '3025020100' + '02207f' + '00'.repeat(31));
  assert.throws(() => ecdsaSignatureToDer(new Uint8Array(3)));
});

test('parseIpAddress: IPv4, IPv6 forms, and non-addresses', () => {
  const ip = (text: string): string | undefined => {
    const bytes = parseIpAddress(text);
    return bytes === undefined ? undefined : hex(bytes);
  };
  assert.is(ip('127.0.0.1'), '7f000001');
  assert.is(ip('255.255.255.255'), 'ffffffff');
  assert.is(ip('::1'), '0'.repeat(31) + '1');
  assert.is(ip('[::1]'), '0'.repeat(31) + '1');
  assert.is(ip('::'), '0'.repeat(32));
  assert.is(ip('fe80::1'), 'fe80' + '0'.repeat(27) + '1');
  assert.is(ip('2001:db8:0:0:1:0:0:1'), '20010db8000000000001000000000001');
  assert.is(ip('::ffff:192.0.2.1'), '0'.repeat(20) + 'ffffc0000201');
  assert.is(ip('1::'), '0001' + '0'.repeat(28));
  for (const bad of ['localhost', '256.0.0.1', '1.2.3', '01.2.3.4', '1.2.3.4.5', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', 'g::1', '12345::', '1:2:3:4:5:6:7::8', 'fe80::1%eth0', '']) {
    assert.is(ip(bad), undefined, bad);
  }
});

test('options: commonName, altNames and days are honoured', async () => {
  const { cert } = await generateSelfSignedCertificate({
    commonName: 'demo.test',
    altNames: ['demo.test', '*.demo.test', '10.1.2.3', 'fe80::1'],
    days: 1,
  });
  const der = pemBody(cert, 'CERTIFICATE');
  const fields = children(children(readTlv(der, 0).content)[0]!.content);
  assert.ok(hex(fields[5]!.whole).endsWith(hex(new TextEncoder().encode('demo.test'))));
  const text = (tlv: Tlv): string => String.fromCharCode(...tlv.content);
  const [notBefore, notAfter] = children(fields[4]!.content).map(text);
  const parse = (t: string): number =>
    Date.UTC(2000 + Number(t.slice(0, 2)), Number(t.slice(2, 4)) - 1, Number(t.slice(4, 6)), Number(t.slice(6, 8)), Number(t.slice(8, 10)), Number(t.slice(10, 12)));
  const now = Date.now();
  assert.ok(parse(notBefore!) < now && parse(notBefore!) > now - 2 * 3600_000, 'notBefore a little in the past');
  const span = parse(notAfter!) - now;
  assert.ok(span > 23 * 3600_000 && span <= 24 * 3600_000 + 1000, 'notAfter one day ahead');
  const san = children(readTlv(fields[7]!.content, 0).content)[3]!;
  assert.ok(hex(san.whole).endsWith('8209' + hex(new TextEncoder().encode('demo.test')) + '820b' + hex(new TextEncoder().encode('*.demo.test')) + '87040a010203' + '8710fe80' + '0'.repeat(27) + '1'));

  const noSan = await generateSelfSignedCertificate({ altNames: [] });
  const noSanFields = children(children(readTlv(pemBody(noSan.cert, 'CERTIFICATE'), 0).content)[0]!.content);
  assert.is(children(readTlv(noSanFields[7]!.content, 0).content).length, 3);

  const far = await generateSelfSignedCertificate({ days: 36500 });
  const farFields = children(children(readTlv(pemBody(far.cert, 'CERTIFICATE'), 0).content)[0]!.content);
  assert.is(children(farFields[4]!.content)[1]!.tag, 0x18, 'GeneralizedTime from 2050');
});

test('misuse throws MisuseError', async () => {
  const rejects = async (options: Parameters<typeof generateSelfSignedCertificate>[0]): Promise<void> => {
    try {
      await generateSelfSignedCertificate(options);
    } catch (error) {
      assert.instance(error, MisuseError);
      assert.is((error as MisuseError).code, 'INVALID_OPTION');
      return;
    }
    assert.unreachable(`accepted ${JSON.stringify(options)}`);
  };
  await rejects({ days: 0 });
  await rejects({ days: -1 });
  await rejects({ days: Number.NaN });
  await rejects({ days: Number.POSITIVE_INFINITY });
  await rejects({ days: 36501 });
  await rejects({ commonName: '' });
  await rejects({ commonName: 'x'.repeat(65) });
  await rejects({ altNames: ['bad name'] });
  await rejects({ altNames: ['bücher.example'] });
  await rejects({ altNames: [''] });
  await rejects({ altNames: 'localhost' as unknown as string[] });
});

// ---------------------------------------------------------------------------------------------
// node:crypto X509Certificate, where the runtime has it.
// ---------------------------------------------------------------------------------------------

test('node:crypto X509Certificate parses it: subject, SAN, validity, signature', async () => {
  const { cert, key } = await defaultCertificate;
  const nodeCrypto = await import('node:crypto');
  if (typeof nodeCrypto.X509Certificate !== 'function') {
    console.log(`  [${runtime}] node:crypto X509Certificate missing: skipped`);
    return;
  }
  const x509 = new nodeCrypto.X509Certificate(cert);
  assert.is(x509.subject, 'CN=localhost');
  assert.is(x509.issuer, 'CN=localhost');
  // Node and Bun print IPv6 uncompressed, Deno compressed.
  assert.ok(
    ['DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1', 'DNS:localhost, IP Address:127.0.0.1, IP Address:::1'].includes(
      x509.subjectAltName ?? '',
    ),
    `subjectAltName ${x509.subjectAltName}`,
  );
  assert.is(x509.ca, false);
  const from = Date.parse(x509.validFrom);
  const to = Date.parse(x509.validTo);
  const now = Date.now();
  assert.ok(from < now && from > now - 2 * 3600_000, `validFrom ${x509.validFrom}`);
  assert.ok(Math.abs(to - now - 30 * 86400_000) < 5000, `validTo ${x509.validTo}`);
  assert.ok(x509.verify(x509.publicKey), 'self-signature verifies');
  assert.ok(x509.checkPrivateKey(nodeCrypto.createPrivateKey(key)), 'key matches');
  assert.is(x509.checkHost('localhost'), 'localhost');
  assert.is(x509.checkIP('127.0.0.1'), '127.0.0.1');
  assert.is(x509.checkHost('example.com'), undefined);
});

// ---------------------------------------------------------------------------------------------
// Real TLS handshakes on each runtime's own server, with node:tls clients.
// ---------------------------------------------------------------------------------------------

test('node:tls server + node:tls client: handshake, echo, verification with ca', async () => {
  const { cert, key } = await defaultCertificate;
  await withNodeTlsServer(cert, key, (port) => checkClientSide('node:tls server', port, cert));
});

/** The part of the Bun namespace used here (typed locally, so `deno check` accepts this file too). */
interface BunTlsApi {
  listen(options: {
    hostname: string;
    port: number;
    tls: { cert: string; key: string };
    socket: { data(socket: { write(data: Uint8Array): number }, data: Uint8Array): void };
  }): { readonly port: number; stop(closeActiveConnections?: boolean): void };
}
declare const Bun: BunTlsApi | undefined;

test('Bun.listen({ tls }) server (Bun only)', async () => {
  if (typeof Bun === 'undefined') return;
  const { cert, key } = await defaultCertificate;
  const server = Bun.listen({
    hostname: '127.0.0.1',
    port: 0,
    tls: { cert, key },
    socket: {
      data(socket, data) {
        socket.write(data);
      },
    },
  });
  try {
    await checkClientSide('Bun.listen tls server', server.port, cert);
  } finally {
    server.stop(true);
  }
});

/** The part of the Deno namespace used here (the project's type-check does not load Deno's types). */
interface DenoTlsApi {
  listenTls(options: { hostname: string; port: number; cert: string; key: string }): DenoListener;
  connectTls(options: { hostname: string; port: number; caCerts?: string[] }): Promise<DenoConn>;
}
interface DenoListener extends AsyncIterable<DenoConn> {
  readonly addr: { port: number };
  close(): void;
}
interface DenoConn {
  read(buffer: Uint8Array): Promise<number | null>;
  write(data: Uint8Array): Promise<number>;
  handshake(): Promise<{ alpnProtocol: string | null }>;
  close(): void;
}
declare const Deno: DenoTlsApi | undefined;

test('Deno.listenTls server (Deno only): rustls takes the PKCS#8 EC key; Deno.connectTls verifies it', async () => {
  if (typeof Deno === 'undefined') return;
  const { cert, key } = await defaultCertificate;
  const listener = Deno.listenTls({ hostname: '127.0.0.1', port: 0, cert, key });
  const open = new Set<DenoConn>();
  const serving = (async () => {
    for await (const conn of listener) {
      open.add(conn);
      void (async () => {
        const buffer = new Uint8Array(1024);
        try {
          for (let i = 0; i < 100; i++) {
            const n = await conn.read(buffer);
            if (n === null) break;
            await conn.write(buffer.subarray(0, n));
          }
        } catch {
          // A client that refuses the certificate aborts the handshake: expected in the negative checks.
        } finally {
          open.delete(conn);
          try {
            conn.close();
          } catch {
            // already closed
          }
        }
      })();
    }
  })().catch(() => {});
  try {
    await checkClientSide('Deno.listenTls server', listener.addr.port, cert);
    // Deno's own client (rustls + webpki) against the iPAddress SAN 127.0.0.1.
    const client = await Deno.connectTls({ hostname: '127.0.0.1', port: listener.addr.port, caCerts: [cert] });
    await client.handshake();
    await client.write(new TextEncoder().encode('deno-ping'));
    const buffer = new Uint8Array(64);
    let received = '';
    for (let i = 0; i < 10 && received.length < 9; i++) {
      const n = await client.read(buffer);
      if (n === null) break;
      received += new TextDecoder().decode(buffer.subarray(0, n));
    }
    client.close();
    assert.is(received, 'deno-ping');
    console.log(`  [deno] Deno.connectTls with caCerts → Deno.listenTls: verified (IP SAN), echo ok`);
  } finally {
    listener.close();
    for (const conn of open) {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
    await serving;
  }
});

test.run();
