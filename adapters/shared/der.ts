/**
 * A minimal DER (ITU-T X.690 §10) encoder: just the types an X.509 certificate needs.
 * Every function returns the complete TLV (tag, length, value) as a fresh `Uint8Array` (over an
 * `ArrayBuffer`, so WebCrypto accepts it as a `BufferSource`).
 * Runtime-neutral: no `node:*`, no `Buffer`.
 */

/** Universal tag numbers used below (X.680 §8.4). */
const TAG_BOOLEAN = 0x01;
const TAG_INTEGER = 0x02;
const TAG_BIT_STRING = 0x03;
const TAG_OCTET_STRING = 0x04;
const TAG_OID = 0x06;
const TAG_UTF8_STRING = 0x0c;
const TAG_IA5_STRING = 0x16;
const TAG_UTC_TIME = 0x17;
const TAG_GENERALIZED_TIME = 0x18;
const TAG_SEQUENCE = 0x30; // constructed
const TAG_SET = 0x31; // constructed

export { concatBytes } from '../../core/bytes.ts';
import { concatBytes } from '../../core/bytes.ts';

/** DER length octets: short form below 128, otherwise the minimal long form (X.690 §10.1). */
export function derLength(length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`invalid DER length ${length}`);
  if (length < 0x80) return Uint8Array.of(length);
  const octets: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256);
  return Uint8Array.of(0x80 | octets.length, ...octets);
}

/** Any TLV: one identifier octet (tag numbers below 31 only, which is all X.509 needs) and content. */
export function derTlv(tag: number, content: Uint8Array): Uint8Array<ArrayBuffer> {
  return concatBytes([Uint8Array.of(tag), derLength(content.length), content]);
}

/** SEQUENCE of already-encoded elements. */
export function derSequence(...elements: Uint8Array[]): Uint8Array<ArrayBuffer> {
  return derTlv(TAG_SEQUENCE, concatBytes(elements));
}

/** SET of already-encoded elements. The caller passes them in DER order (only single-element sets are used here). */
export function derSet(...elements: Uint8Array[]): Uint8Array {
  return derTlv(TAG_SET, concatBytes(elements));
}

/** BOOLEAN: DER requires 0xFF for true (X.690 §11.1). */
export function derBoolean(value: boolean): Uint8Array {
  return derTlv(TAG_BOOLEAN, Uint8Array.of(value ? 0xff : 0x00));
}

/**
 * Minimal two's-complement content octets of a non-negative integer given as big-endian magnitude:
 * leading zero octets removed, then one 0x00 added back when the high bit is set, so it stays positive
 * (X.690 §8.3.2).
 */
export function unsignedIntegerContent(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.length === 0 ? Uint8Array.of(0) : magnitude.subarray(start);
  if ((trimmed[0]! & 0x80) !== 0) return concatBytes([Uint8Array.of(0), trimmed]);
  return trimmed.slice();
}

/** INTEGER from a non-negative big-endian magnitude (e.g. a serial number or an ECDSA r / s). */
export function derUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  return derTlv(TAG_INTEGER, unsignedIntegerContent(magnitude));
}

/** INTEGER from a small non-negative JavaScript number (e.g. the certificate version). */
export function derSmallInteger(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`invalid small integer ${value}`);
  const octets: number[] = [];
  for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256);
  return derUnsignedInteger(Uint8Array.from(octets));
}

/** OBJECT IDENTIFIER from dotted text, e.g. `'2.5.4.3'` (X.690 §8.19: base-128 arcs, first two combined). */
export function derOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((arc) => {
    if (!/^\d{1,15}$/.test(arc)) throw new RangeError(`invalid OID ${dotted}`);
    return Number(arc);
  });
  if (arcs.length < 2 || arcs[0]! > 2 || (arcs[0]! < 2 && arcs[1]! > 39)) throw new RangeError(`invalid OID ${dotted}`);
  const octets: number[] = [];
  const pushArc = (arc: number): void => {
    const groups: number[] = [arc % 128];
    for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128)) groups.unshift(0x80 | rest % 128);
    octets.push(...groups);
  };
  pushArc(arcs[0]! * 40 + arcs[1]!);
  for (const arc of arcs.slice(2)) pushArc(arc);
  return derTlv(TAG_OID, Uint8Array.from(octets));
}

/** OCTET STRING. */
export function derOctetString(content: Uint8Array): Uint8Array {
  return derTlv(TAG_OCTET_STRING, content);
}

/** BIT STRING whose content is whole octets (`unusedBits` trailing bits of the last octet are padding). */
export function derBitString(content: Uint8Array, unusedBits = 0): Uint8Array {
  if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7 || (content.length === 0 && unusedBits !== 0)) {
    throw new RangeError(`invalid unused bit count ${unusedBits}`);
  }
  return derTlv(TAG_BIT_STRING, concatBytes([Uint8Array.of(unusedBits), content]));
}

/**
 * BIT STRING for a named-bit list (e.g. KeyUsage), given the numbers of the bits that are set
 * (bit 0 is the most significant bit of the first octet). DER drops trailing zero bits (X.690 §11.2.2).
 */
export function derNamedBits(setBits: readonly number[]): Uint8Array {
  if (setBits.length === 0) return derBitString(new Uint8Array(0));
  const highest = Math.max(...setBits);
  const content = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const bit of setBits) {
    const index = Math.floor(bit / 8);
    content[index] = (content[index] ?? 0) | (0x80 >> bit % 8);
  }
  return derBitString(content, 7 - (highest % 8));
}

const textEncoder = new TextEncoder();

/** UTF8String. */
export function derUtf8String(text: string): Uint8Array {
  return derTlv(TAG_UTF8_STRING, textEncoder.encode(text));
}

/** Bytes of a string that must be 7-bit ASCII (IA5String and time strings). */
function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) throw new RangeError('IA5String content must be ASCII');
    out[i] = code;
  }
  return out;
}

/** IA5String (ASCII). */
export function derIa5String(text: string): Uint8Array {
  return derTlv(TAG_IA5_STRING, asciiBytes(text));
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * A certificate time: UTCTime `YYMMDDHHMMSSZ` for 1950–2049, GeneralizedTime `YYYYMMDDHHMMSSZ`
 * otherwise, as RFC 5280 §4.1.2.5 requires. Seconds are whole; always UTC ("Z").
 */
export function derTime(date: Date): Uint8Array {
  const year = date.getUTCFullYear();
  const rest =
    pad2(date.getUTCMonth() + 1) +
    pad2(date.getUTCDate()) +
    pad2(date.getUTCHours()) +
    pad2(date.getUTCMinutes()) +
    pad2(date.getUTCSeconds()) +
    'Z';
  if (year >= 1950 && year < 2050) return derTlv(TAG_UTC_TIME, asciiBytes(pad2(year % 100) + rest));
  if (year < 0 || year > 9999) throw new RangeError(`year ${year} cannot be encoded`);
  return derTlv(TAG_GENERALIZED_TIME, asciiBytes(String(year).padStart(4, '0') + rest));
}

/** Context-specific EXPLICIT tag `[n]` around one encoded element (constructed, tag number below 31). */
export function derExplicit(tagNumber: number, element: Uint8Array): Uint8Array {
  return derTlv(0xa0 | tagNumber, element);
}

/** Context-specific IMPLICIT primitive tag `[n]` replacing the tag of a primitive value (e.g. GeneralName). */
export function derImplicitPrimitive(tagNumber: number, content: Uint8Array): Uint8Array {
  return derTlv(0x80 | tagNumber, content);
}

/** IA5 content bytes, exported for IMPLICIT-tagged IA5 values such as a GeneralName dNSName. */
export function ia5Bytes(text: string): Uint8Array {
  return asciiBytes(text);
}
