/**
 * The client's frame codec: it writes masked frames exactly as told (any opcode, RSV, FIN, length, even invalid
 * ones, since fuzzing needs them) and decodes the server's frames from a byte stream, chunk by chunk.
 */

/** A frame to encode. */
export interface FrameToEncode {
  readonly opcode: number;
  readonly payload: Uint8Array;
  readonly fin: boolean;
  /** The three RSV bits as a number 0–7 (RSV1 = 4). */
  readonly rsv: number;
  /** The masking key; a client always masks (RFC 6455 §5.3). Null only to test the server's check. */
  readonly mask: Uint8Array | null;
}

/** Encodes one frame into a new buffer: header, masking key, masked payload (RFC 6455 §5.2). */
export function encodeFrame(frame: FrameToEncode): Uint8Array {
  const len = frame.payload.length;
  const ext = len <= 125 ? 0 : len <= 0xffff ? 2 : 8;
  const maskLen = frame.mask === null ? 0 : 4;
  const head = 2 + ext + maskLen;
  const out = new Uint8Array(head + len);
  out[0] = (frame.fin ? 0x80 : 0) | ((frame.rsv & 7) << 4) | (frame.opcode & 0x0f);
  const lenCode = ext === 0 ? len : ext === 2 ? 126 : 127;
  out[1] = (frame.mask === null ? 0 : 0x80) | lenCode;
  if (ext === 2) {
    out[2] = len >>> 8;
    out[3] = len & 0xff;
  } else if (ext === 8) {
    const hi = Math.floor(len / 0x100000000);
    const lo = len >>> 0;
    const dv = new DataView(out.buffer, out.byteOffset);
    dv.setUint32(2, hi);
    dv.setUint32(6, lo);
  }
  out.set(frame.payload, head);
  if (frame.mask !== null) {
    out.set(frame.mask, 2 + ext);
    maskInPlace(out, head, len, frame.mask);
  }
  return out;
}

/** XORs `len` bytes of `buf` from `start` with the 4-byte `mask` (RFC 6455 §5.3), a 32-bit word at a time. */
export function maskInPlace(buf: Uint8Array, start: number, len: number, mask: Uint8Array): void {
  let i = 0;
  const m0 = mask[0]!, m1 = mask[1]!, m2 = mask[2]!, m3 = mask[3]!;
  // Byte-wise until the absolute address is 4-aligned, then words, then the tail.
  const abs = buf.byteOffset + start;
  const lead = Math.min(len, (4 - (abs & 3)) & 3);
  for (; i < lead; i++) buf[start + i]! ^= mask[i & 3]!;
  const words = (len - i) >>> 2;
  if (words > 0) {
    const w = new Uint32Array(buf.buffer, abs + i, words);
    // The mask rotated so that word k starts at mask index (i & 3), in the platform's byte order.
    const r = [m0, m1, m2, m3];
    const b0 = r[i & 3]!, b1 = r[(i + 1) & 3]!, b2 = r[(i + 2) & 3]!, b3 = r[(i + 3) & 3]!;
    const little = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
    const word = little
      ? (b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)) >>> 0
      : ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3) >>> 0;
    for (let k = 0; k < words; k++) w[k] = (w[k]! ^ word) >>> 0;
    i += words * 4;
  }
  for (; i < len; i++) buf[start + i]! ^= mask[i & 3]!;
}

/** A decoded frame. `payload` is unmasked and owned by the receiver. */
export interface DecodedFrame {
  readonly fin: boolean;
  readonly rsv: number;
  readonly opcode: number;
  readonly masked: boolean;
  readonly payload: Uint8Array;
  /** True if the 16/64-bit length was used for a length that fits a shorter form (RFC 6455 §5.2 "minimal"). */
  readonly nonMinimalLength: boolean;
}

/**
 * Incremental frame decoder. `push()` takes chunks of any size; complete frames are handed to the callback.
 * A frame's payload is copied once into a buffer of its declared size, so large frames cost one copy.
 */
export class FrameDecoder {
  private head = new Uint8Array(14);
  private headLen = 0;
  private need = 2;
  private fin = false;
  private rsv = 0;
  private opcode = 0;
  private masked = false;
  private nonMinimal = false;
  private mask = new Uint8Array(4);
  private payload: Uint8Array | null = null;
  private filled = 0;
  private stopped = false;

  /** @param onFrame called per complete frame; return false to stop decoding (connection failed). */
  constructor(
    private readonly onFrame: (frame: DecodedFrame) => boolean,
    /** Largest payload accepted before allocation; beyond it `onTooLarge` is called and decoding stops. */
    private readonly maxPayload = 256 * 1024 * 1024,
    private readonly onTooLarge: (length: number) => void = () => {},
  ) {}

  /** Stops decoding; later pushes are ignored. */
  stop(): void {
    this.stopped = true;
  }

  /** Feeds bytes from the server. */
  push(chunk: Uint8Array): void {
    let pos = 0;
    while (pos < chunk.length && !this.stopped) {
      if (this.payload === null) {
        const take = Math.min(this.need - this.headLen, chunk.length - pos);
        this.head.set(chunk.subarray(pos, pos + take), this.headLen);
        this.headLen += take;
        pos += take;
        if (this.headLen < this.need) return;
        if (!this.parseHead()) continue;
      } else {
        const take = Math.min(this.payload.length - this.filled, chunk.length - pos);
        this.payload.set(chunk.subarray(pos, pos + take), this.filled);
        this.filled += take;
        pos += take;
        if (this.filled === this.payload.length) this.emit();
      }
    }
  }

  /** Advances the header state; returns true once the header is complete and the payload buffer exists. */
  private parseHead(): boolean {
    const h = this.head;
    if (this.need === 2) {
      this.fin = (h[0]! & 0x80) !== 0;
      this.rsv = (h[0]! >> 4) & 7;
      this.opcode = h[0]! & 0x0f;
      this.masked = (h[1]! & 0x80) !== 0;
      const l = h[1]! & 0x7f;
      const ext = l === 126 ? 2 : l === 127 ? 8 : 0;
      this.need = 2 + ext + (this.masked ? 4 : 0);
      if (this.need > 2) return false;
    }
    const l = h[1]! & 0x7f;
    let len: number;
    let o = 2;
    if (l === 126) {
      len = (h[2]! << 8) | h[3]!;
      this.nonMinimal = len < 126;
      o = 4;
    } else if (l === 127) {
      const dv = new DataView(h.buffer, h.byteOffset);
      len = dv.getUint32(2) * 0x100000000 + dv.getUint32(6);
      this.nonMinimal = len < 65536;
      o = 10;
    } else {
      len = l;
      this.nonMinimal = false;
    }
    if (this.masked) this.mask.set(h.subarray(o, o + 4));
    if (len > this.maxPayload) {
      this.stopped = true;
      this.onTooLarge(len);
      return false;
    }
    this.payload = new Uint8Array(len);
    this.filled = 0;
    if (len === 0) this.emit();
    return true;
  }

  private emit(): void {
    const payload = this.payload!;
    if (this.masked) maskInPlace(payload, 0, payload.length, this.mask);
    const frame: DecodedFrame = {
      fin: this.fin, rsv: this.rsv, opcode: this.opcode, masked: this.masked, payload, nonMinimalLength: this.nonMinimal,
    };
    this.payload = null;
    this.headLen = 0;
    this.need = 2;
    if (!this.onFrame(frame)) this.stopped = true;
  }
}
