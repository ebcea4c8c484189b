/**
 * The client side of permessage-deflate (RFC 7692), as the suite's cases 12.x/13.x use it: offers built from
 * (requestNoContextTakeover, requestMaxWindowBits), the server's response checked against them, and a
 * synchronous codec on pako (raw deflate, sync flush, the 00 00 ff ff tail stripped and re-appended).
 */
import { Deflate, Inflate, Z_RLE, Z_SYNC_FLUSH } from 'pako';

/** One permessage-deflate offer of the client (the suite's PerMessageDeflateOffer). */
export interface DeflateOffer {
  /** Ask the server not to keep its compression context between messages (`server_no_context_takeover`). */
  readonly requestNoContextTakeover: boolean;
  /** Ask the server to limit its window (`server_max_window_bits=N`), 0 = no request. */
  readonly requestMaxWindowBits: number;
}

/** The suite's default offer: allow both client parameters, request nothing. */
export const DEFAULT_OFFER: DeflateOffer = { requestNoContextTakeover: false, requestMaxWindowBits: 0 };

/** The `Sec-WebSocket-Extensions` value for a list of offers (the client accepts both client parameters). */
export function formatOffers(offers: readonly DeflateOffer[]): string {
  return offers
    .map((o) => {
      const p = ['permessage-deflate', 'client_no_context_takeover', 'client_max_window_bits'];
      if (o.requestNoContextTakeover) p.push('server_no_context_takeover');
      if (o.requestMaxWindowBits > 0) p.push(`server_max_window_bits=${o.requestMaxWindowBits}`);
      return p.join('; ');
    })
    .join(', ');
}

/** The parameters the server accepted. */
export interface DeflateAgreement {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number;
  readonly clientMaxWindowBits: number;
}

/**
 * Parses the server's `Sec-WebSocket-Extensions` response. Returns null if no extension was accepted,
 * an error string if the response is not acceptable for the offers (unknown extension or parameter,
 * repeated parameter, value out of range, or a parameter the client did not allow), else the agreement.
 */
export function parseDeflateResponse(header: string | undefined, offers: readonly DeflateOffer[]): DeflateAgreement | null | string {
  if (header === undefined || header.trim() === '') return null;
  if (offers.length === 0) return `unexpected Sec-WebSocket-Extensions: ${header}`;
  const exts = header.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (exts.length !== 1) return `expected one extension, got: ${header}`;
  const parts = exts[0]!.split(';').map((s) => s.trim());
  if (parts[0]!.toLowerCase() !== 'permessage-deflate') return `unknown extension ${parts[0]}`;
  let snct = false, cnct = false, smwb = 15, cmwb = 15;
  const seen = new Set<string>();
  for (const p of parts.slice(1)) {
    if (p === '') continue;
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    let value = eq < 0 ? undefined : p.slice(eq + 1).trim();
    if (value !== undefined && value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (seen.has(name)) return `repeated parameter ${name}`;
    seen.add(name);
    switch (name) {
      case 'server_no_context_takeover':
        if (value !== undefined) return 'server_no_context_takeover has a value';
        snct = true;
        break;
      case 'client_no_context_takeover':
        if (value !== undefined) return 'client_no_context_takeover has a value';
        cnct = true;
        break;
      case 'server_max_window_bits': {
        const n = windowBits(value);
        if (n === null) return `bad server_max_window_bits ${value}`;
        smwb = n;
        break;
      }
      case 'client_max_window_bits': {
        const n = windowBits(value);
        if (n === null) return `bad client_max_window_bits ${value}`;
        cmwb = n;
        break;
      }
      default:
        return `unknown parameter ${name}`;
    }
  }
  // RFC 7692 §7.1.2.1: a server must not answer a larger server_max_window_bits than the client requested.
  const fits = offers.some((o) => (o.requestMaxWindowBits === 0 || smwb <= o.requestMaxWindowBits) && (!o.requestNoContextTakeover || snct));
  if (!fits) return `response ${exts[0]} does not match any offer`;
  return { serverNoContextTakeover: snct, clientNoContextTakeover: cnct, serverMaxWindowBits: smwb, clientMaxWindowBits: cmwb };
}

function windowBits(value: string | undefined): number | null {
  if (value === undefined || !/^[0-9]{1,2}$/.test(value)) return null;
  const n = Number(value);
  return n >= 8 && n <= 15 ? n : null;
}

const TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

/** Compresses and decompresses whole messages for one connection, honouring the agreed context takeover. */
export class DeflateCodec {
  private deflater: Deflate | null = null;
  private inflater: Inflate | null = null;

  constructor(private readonly agreement: DeflateAgreement, private readonly level = 1) {}

  /** The compressed payload of one message (RFC 7692 §7.2.1: sync flush, tail removed). */
  compress(data: Uint8Array): Uint8Array {
    // zlib cannot deflate raw with an 8-bit window (it writes 9). For client_max_window_bits=8 (RFC 7692
    // §7.1.2.2) the run-length strategy keeps every back-reference at distance 1, inside any window.
    const eight = this.agreement.clientMaxWindowBits <= 8;
    if (this.deflater === null || this.agreement.clientNoContextTakeover) {
      this.deflater = new Deflate({
        raw: true, windowBits: Math.max(9, this.agreement.clientMaxWindowBits), level: this.level, memLevel: 8,
        chunkSize: 256 * 1024, ...(eight ? { strategy: Z_RLE } : {}),
      });
    }
    const d = this.deflater;
    d.chunks = [];
    d.push(data, Z_SYNC_FLUSH);
    const out = joinChunks(d.chunks);
    d.chunks = [];
    // RFC 7692 §7.2.1: remove the trailing 00 00 ff ff of the sync flush.
    return endsWithTail(out) ? out.subarray(0, out.length - 4) : out;
  }

  /** The decompressed payload of one message, or an error string. */
  decompress(data: Uint8Array): Uint8Array | string {
    if (this.inflater === null || this.agreement.serverNoContextTakeover) {
      this.inflater = new Inflate({ raw: true, windowBits: 15, chunkSize: 256 * 1024 });
    }
    const inf = this.inflater;
    inf.chunks = [];
    inf.push(data, false);
    if (inf.err) return `inflate error: ${inf.msg}`;
    // RFC 7692 §7.2.2: append the tail the sender removed, then flush.
    inf.push(TAIL, Z_SYNC_FLUSH);
    if (inf.err) return `inflate error: ${inf.msg}`;
    const out = joinChunks(inf.chunks);
    inf.chunks = [];
    return out;
  }
}

function endsWithTail(b: Uint8Array): boolean {
  const n = b.length;
  return n >= 4 && b[n - 4] === 0 && b[n - 3] === 0 && b[n - 2] === 0xff && b[n - 1] === 0xff;
}

function joinChunks(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
