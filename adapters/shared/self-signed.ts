/**
 * A self-signed TLS server certificate, made in-process with WebCrypto and the small DER encoder in
 * `der.ts`: ECDSA P-256 key, X.509 v3 certificate signed with ecdsa-with-SHA256 (RFC 5280, RFC 5758).
 * For demos and tests on loopback only. Runtime-neutral on purpose (no `node:*`, `Deno.*` or `Bun.*`,
 * no npm package, no openssl process), so Node 20, Bun and Deno run it as is.
 */
import { MisuseError } from '../../core/errors.ts';
import {
  derBitString,
  derBoolean,
  derExplicit,
  derImplicitPrimitive,
  derNamedBits,
  derOctetString,
  derOid,
  derSequence,
  derSet,
  derSmallInteger,
  derTime,
  derUnsignedInteger,
  derUtf8String,
  ia5Bytes,
} from './der.ts';

/** Options of {@link generateSelfSignedCertificate}. */
export interface SelfSignedOptions {
  /** Subject (and issuer) common name. Default `'localhost'`. */
  commonName?: string;
  /**
   * Subject alternative names. IPv4 / IPv6 literals become iPAddress entries, anything else a dNSName
   * (ASCII only). Default `['localhost', '127.0.0.1', '::1']`. An empty list omits the extension.
   */
  altNames?: string[];
  /** Validity in days from now (fractions allowed, at most 36500). Default 30. */
  days?: number;
}

/** A PEM certificate and its PEM PKCS#8 private key, as `node:tls`, `Bun.listen` and `Deno.listenTls` take them. */
export interface SelfSignedCertificate {
  /** `-----BEGIN CERTIFICATE-----` … */
  cert: string;
  /** `-----BEGIN PRIVATE KEY-----` … (PKCS#8, unencrypted). */
  key: string;
}

// Object identifiers (RFC 5280 §4.1.2.4, §4.2.1; RFC 5758 §3.2; RFC 5480 §2.1.1).
const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const OID_COMMON_NAME = '2.5.4.3';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_KEY_USAGE = '2.5.29.15';
const OID_EXT_KEY_USAGE = '2.5.29.37';
const OID_SUBJECT_ALT_NAME = '2.5.29.17';
const OID_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

const KEY_USAGE_DIGITAL_SIGNATURE = 0; // bit number in KeyUsage (RFC 5280 §4.2.1.3)
const GENERAL_NAME_DNS = 2; // GeneralName [2] dNSName IA5String (RFC 5280 §4.2.1.6)
const GENERAL_NAME_IP = 7; // GeneralName [7] iPAddress OCTET STRING

/** How far notBefore lies in the past, so a peer whose clock is a little behind still accepts the certificate. */
const NOT_BEFORE_SKEW_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_DAYS = 36500;

/**
 * Generates a fresh ECDSA P-256 key pair and a self-signed X.509 v3 server certificate for it
 * (basicConstraints CA:false, keyUsage digitalSignature, extKeyUsage serverAuth, subjectAltName).
 * Throws {@link MisuseError} (`INVALID_OPTION`) for an invalid name or validity.
 */
export async function generateSelfSignedCertificate(options: SelfSignedOptions = {}): Promise<SelfSignedCertificate> {
  const commonName = options.commonName ?? 'localhost';
  const altNames = options.altNames ?? ['localhost', '127.0.0.1', '::1'];
  const days = options.days ?? 30;
  if (typeof commonName !== 'string' || commonName.length === 0 || commonName.length > 64) {
    // ub-common-name is 64 (RFC 5280 Appendix A.1).
    throw new MisuseError('INVALID_OPTION', 'commonName must be a string of 1 to 64 characters');
  }
  if (typeof days !== 'number' || !Number.isFinite(days) || days <= 0 || days > MAX_DAYS) {
    throw new MisuseError('INVALID_OPTION', `days must be a number in (0, ${MAX_DAYS}]`);
  }
  if (!Array.isArray(altNames) || altNames.length > 100) {
    throw new MisuseError('INVALID_OPTION', 'altNames must be an array of at most 100 names');
  }
  const generalNames = altNames.map(encodeGeneralName);

  const subtle = globalThis.crypto.subtle;
  const keyPair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const spki = new Uint8Array(await subtle.exportKey('spki', keyPair.publicKey));
  const pkcs8 = new Uint8Array(await subtle.exportKey('pkcs8', keyPair.privateKey));

  const now = Date.now();
  const notBefore = new Date(now - NOT_BEFORE_SKEW_MS);
  const notAfter = new Date(now + Math.round(days * DAY_MS));

  const signatureAlgorithm = derSequence(derOid(OID_ECDSA_WITH_SHA256)); // no parameters (RFC 5758 §3.2)
  const name = derSequence(derSet(derSequence(derOid(OID_COMMON_NAME), derUtf8String(commonName))));
  const extensions = [
    // cA defaults to FALSE, so DER encodes CA:false as an empty SEQUENCE (X.690 §11.5).
    extension(OID_BASIC_CONSTRAINTS, true, derSequence()),
    extension(OID_KEY_USAGE, true, derNamedBits([KEY_USAGE_DIGITAL_SIGNATURE])),
    extension(OID_EXT_KEY_USAGE, false, derSequence(derOid(OID_SERVER_AUTH))),
  ];
  // The subject name is not empty, so subjectAltName need not be critical (RFC 5280 §4.2.1.6).
  if (generalNames.length > 0) extensions.push(extension(OID_SUBJECT_ALT_NAME, false, derSequence(...generalNames)));

  const tbsCertificate = derSequence(
    derExplicit(0, derSmallInteger(2)), // version v3
    derUnsignedInteger(randomSerialNumber()),
    signatureAlgorithm,
    name, // issuer = subject: self-signed
    derSequence(derTime(notBefore), derTime(notAfter)),
    name,
    spki, // exportKey('spki') is already a DER SubjectPublicKeyInfo
    derExplicit(3, derSequence(...extensions)),
  );
  const rawSignature = new Uint8Array(
    await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, keyPair.privateKey, tbsCertificate),
  );
  const certificate = derSequence(tbsCertificate, signatureAlgorithm, derBitString(ecdsaSignatureToDer(rawSignature)));
  return { cert: toPem('CERTIFICATE', certificate), key: toPem('PRIVATE KEY', pkcs8) };
}

/**
 * Converts a WebCrypto ECDSA signature (IEEE P1363: r || s, each the curve's size) to the DER
 * `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` that X.509 carries (RFC 5480 §2.2 / RFC 3279 §2.2.3).
 */
export function ecdsaSignatureToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) throw new RangeError('an r||s signature has an even, non-zero length');
  const half = raw.length / 2;
  return derSequence(derUnsignedInteger(raw.subarray(0, half)), derUnsignedInteger(raw.subarray(half)));
}

/**
 * Parses an IPv4 dotted quad or an IPv6 literal (RFC 4291 §2.2, with `::` and an embedded IPv4 tail;
 * optional surrounding brackets) into its 4 or 16 network-order bytes, or `undefined` if it is neither.
 */
export function parseIpAddress(text: string): Uint8Array | undefined {
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  return parseIpv4(text) ?? parseIpv6(text);
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    // Decimal only, no leading zeros (which some parsers read as octal).
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    out[i] = value;
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | undefined {
  if (text.length < 2 || text.length > 45 || !text.includes(':')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 1 || halves[1] === '' ? [] : halves[1]!.split(':');
  const groups: number[] = [];
  const tailGroups: number[] = [];
  const readGroups = (parts: string[], into: number[], mayEndWithIpv4: boolean): boolean => {
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (mayEndWithIpv4 && i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIpv4(part);
        if (v4 === undefined) return false;
        into.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return false;
      into.push(parseInt(part, 16));
    }
    return true;
  };
  const compressed = halves.length === 2;
  if (!readGroups(head, groups, !compressed)) return undefined;
  if (!readGroups(tail, tailGroups, true)) return undefined;
  const missing = 8 - groups.length - tailGroups.length;
  if (compressed ? missing < 1 : missing !== 0) return undefined;
  for (let i = 0; i < missing; i++) groups.push(0);
  groups.push(...tailGroups);
  const out = new Uint8Array(16);
  groups.forEach((group, i) => {
    out[2 * i] = group >> 8;
    out[2 * i + 1] = group & 0xff;
  });
  return out;
}

/** One GeneralName: iPAddress for IP literals, else dNSName (RFC 5280 §4.2.1.6). */
function encodeGeneralName(name: string): Uint8Array {
  if (typeof name !== 'string') throw new MisuseError('INVALID_OPTION', 'altNames must be strings');
  const ip = parseIpAddress(name);
  if (ip !== undefined) return derImplicitPrimitive(GENERAL_NAME_IP, ip);
  // Preferred name syntax plus a leading wildcard label; IDNs must be given in their A-label (punycode) form.
  if (name.length === 0 || name.length > 253 || !/^(\*\.)?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/.test(name)) {
    throw new MisuseError('INVALID_OPTION', `altName ${JSON.stringify(name)} is neither an IP address nor an ASCII DNS name`);
  }
  return derImplicitPrimitive(GENERAL_NAME_DNS, ia5Bytes(name));
}

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } (RFC 5280 §4.1). */
function extension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  // DER omits a BOOLEAN equal to its DEFAULT (X.690 §11.5), so only critical=true is written.
  return critical
    ? derSequence(derOid(oid), derBoolean(true), derOctetString(value))
    : derSequence(derOid(oid), derOctetString(value));
}

/** A random positive serial of 16 octets (RFC 5280 §4.1.2.2: positive, at most 20 octets, unique per issuer). */
function randomSerialNumber(): Uint8Array {
  const serial = globalThis.crypto.getRandomValues(new Uint8Array(16));
  serial[0] = (serial[0]! & 0x7f) | 0x40; // positive, and no leading zero octet to trim
  return serial;
}

/** PEM (RFC 7468): base64 in 64-character lines between BEGIN/END labels. */
function toPem(label: string, der: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < der.length; i += chunk) binary += String.fromCharCode(...der.subarray(i, i + chunk));
  const base64 = btoa(binary);
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += 64) lines.push(base64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
