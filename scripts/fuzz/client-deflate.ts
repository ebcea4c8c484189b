/**
 * What a permessage-deflate client does (RFC 7692 §7.2.1): raw DEFLATE with a sync flush, minus the trailing
 * `00 00 ff ff`; and the matching inflate, used by the fuzzer's oracle. Made with pako directly, independently of
 * the core's codec.
 */
import { Deflate, Inflate, Z_SYNC_FLUSH } from 'pako';
import { concatBytes } from '../../core/bytes.ts';

/** A client-side compressor keeping its context between messages (or not). */
export class ClientDeflater {
  private deflater: Deflate | undefined;
  constructor(
    private readonly windowBits = 15,
    private readonly noContextTakeover = false,
  ) {}

  /** Compresses one message (RFC 7692 §7.2.1: sync flush, tail removed). */
  compress(data: Uint8Array | string): Uint8Array {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    if (this.deflater === undefined || this.noContextTakeover) this.deflater = new Deflate({ raw: true, windowBits: this.windowBits });
    const d = this.deflater;
    d.chunks = [];
    d.push(bytes, Z_SYNC_FLUSH);
    const out = concatBytes(d.chunks);
    d.chunks = [];
    // A sync flush ends with an empty stored block, 00 00 ff ff, which the sender removes.
    return out.subarray(0, out.length - 4);
  }
}

/** One compressed message with a fresh context. */
export function deflateMessage(data: Uint8Array | string, windowBits = 15): Uint8Array {
  return new ClientDeflater(windowBits, true).compress(data);
}

/** Result of one {@link ReferenceInflater.push}: the bytes inflated, or why inflation failed. */
export type InflateOutcome = { ok: true; data: Uint8Array } | { ok: false; reason: 'corrupt' | 'too-big' | 'ambiguous'; data: Uint8Array };

const TAIL = new Uint8Array([0, 0, 0xff, 0xff]);

type PakoStream = { output: Uint8Array; next_out: number; state: { mode: number } };

const modeOf = (inflater: Inflate): number => (inflater as unknown as { strm: PakoStream }).strm.state.mode;

/** pako's inflate mode between two blocks, read off an inflater that has taken one empty stored block. */
const BETWEEN_BLOCKS = /* @__PURE__ */ (() => {
  const inflater = new Inflate({ raw: true });
  inflater.push(new Uint8Array([0x00, 0x00, 0x00, 0xff, 0xff]), Z_SYNC_FLUSH);
  return modeOf(inflater);
})();

/**
 * The receiving side, for the oracle: inflates a message frame by frame (RFC 7692 §7.2.2), keeping the window
 * between messages unless told not to. After a final block (BFINAL) the rest of the message is ignored and the
 * next message starts a new stream (RFC 7692 §7.2.3.3). A distance beyond the agreed window is corrupt data
 * (RFC 7692 §7.1.2.2), whatever the output buffer holds: zlib alone would resolve some of them into its output
 * buffer, so that the verdict would depend on chunking (the core applies the same rule). Data that stops inside a
 * block (the stream is not between blocks once the tail is appended) is corrupt too.
 */
export class ReferenceInflater {
  private inflater: Inflate | undefined;
  private consumed = 0;
  private produced = 0;
  private ended = false;
  private failed = false;
  private readonly windowBits: number;
  constructor(
    windowBits: number,
    private readonly noContextTakeover: boolean,
  ) {
    // An agreed 8 is inflated with 9 bits, as the core does (zlib cannot make 8-bit raw streams).
    this.windowBits = Math.max(9, windowBits);
  }

  /** Feeds one frame's payload; `fin` ends the message (the tail is appended); `maxBytes` caps the message. */
  push(payload: Uint8Array, fin: boolean, maxBytes: number): InflateOutcome {
    if (this.failed) return { ok: false, reason: 'corrupt', data: new Uint8Array(0) };
    this.consumed += payload.length;
    let out: Uint8Array = new Uint8Array(0);
    if (this.consumed > 0 && !this.ended) {
      if (this.inflater === undefined) {
        this.inflater = new Inflate({ raw: true, windowBits: this.windowBits });
        (this.inflater as unknown as { strm: { state: { dmax: number } } }).strm.state.dmax = 1 << this.windowBits;
      }
      const inflater = this.inflater;
      const input = fin ? new Uint8Array(payload.length + 4) : payload;
      if (fin) {
        input.set(payload);
        input.set(TAIL, payload.length);
      }
      // Collect output ourselves: pako's onEnd clears `chunks` when the stream ends (BFINAL), and on an error the
      // last call's output is left in the stream's buffer.
      const collected: Uint8Array[] = [];
      inflater.onData = (chunk) => collected.push(chunk.slice());
      const ok = inflater.push(input, Z_SYNC_FLUSH);
      const failed = !ok || (inflater.err !== 0 && inflater.err !== 1);
      if (failed) {
        const strm = (inflater as unknown as { strm: PakoStream }).strm;
        if (strm.next_out > 0) collected.push(strm.output.slice(0, strm.next_out));
      }
      out = concatBytes(collected);
      this.produced += out.length;
      if (this.produced > maxBytes) return this.fail('too-big', out);
      if (failed) return this.fail('corrupt', out);
      if (inflater.ended) this.ended = true;
      // With the tail appended, a message ends between blocks (RFC 7692 §7.2.2); else its data stopped inside one.
      else if (fin && modeOf(inflater) !== BETWEEN_BLOCKS) return this.fail('corrupt', out);
    }
    if (fin) {
      this.consumed = 0;
      this.produced = 0;
      if (this.noContextTakeover || this.ended) this.inflater = undefined;
      this.ended = false;
    }
    return { ok: true, data: out };
  }

  private fail(reason: 'too-big' | 'corrupt', data: Uint8Array): InflateOutcome {
    this.failed = true;
    this.inflater = undefined;
    return { ok: false, reason, data };
  }
}

/** The oracle's inflater (one {@link ReferenceInflater}; its outcomes never depend on chunking). */
export class OracleDeflateReader {
  private readonly reader: ReferenceInflater;
  constructor(windowBits: number, noContextTakeover: boolean) {
    this.reader = new ReferenceInflater(windowBits, noContextTakeover);
  }

  /** Feeds one frame's payload; see {@link ReferenceInflater.push}. */
  push(payload: Uint8Array, fin: boolean, maxBytes: number): InflateOutcome {
    return this.reader.push(payload, fin, maxBytes);
  }
}

/** Inflaters for the invariant checks (client → server oracle, server → client echo check), built on pako. */
export function pakoInflaters(windowBits: number, noContextTakeover: boolean): OracleDeflateReader {
  return new OracleDeflateReader(windowBits, noContextTakeover);
}
