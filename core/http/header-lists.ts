// Linear parsers for the comma-separated header lists of the handshake (RFC 9110 §5.6.1 `#rule`, RFC 6455 §9.1).
// They scan code units once, never use regular expressions, and return arrays (not objects keyed by peer-chosen
// names), so names such as `__proto__` or `constructor` are ordinary data.
import type { ExtensionOffer } from '../extension-offer.ts';
import { isFieldValueByte, isToken, isTokenChar } from './chars.ts';

const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * True if the comma-separated list `value` has an element equal to `token`, ASCII case-insensitively
 * (e.g. `Connection: keep-alive, Upgrade` contains `upgrade`). `token` must be given in lower case.
 * Elements are trimmed of OWS; empty elements are skipped (RFC 9110 §5.6.1). Allocates nothing.
 */
export function listContainsToken(value: string, token: string): boolean {
  const n = value.length;
  const tokenLength = token.length;
  let i = 0;
  while (i < n) {
    while (i < n && isOws(value.charCodeAt(i))) i++;
    const start = i;
    while (i < n && value.charCodeAt(i) !== COMMA) i++;
    let end = i;
    while (end > start && isOws(value.charCodeAt(end - 1))) end--;
    if (end - start === tokenLength && equalsLowerAscii(value, start, token)) return true;
    i++; // past the comma
  }
  return false;
}

/** Compares `value[start, start + lower.length)` with `lower`, folding ASCII upper case in `value`. */
function equalsLowerAscii(value: string, start: number, lower: string): boolean {
  for (let j = 0; j < lower.length; j++) {
    let c = value.charCodeAt(start + j);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== lower.charCodeAt(j)) return false;
  }
  return true;
}

/**
 * Parses `1#token` (e.g. `Sec-WebSocket-Protocol: chat, superchat`, RFC 6455 §4.1) into its tokens, in order and
 * as sent (case kept: subprotocol names are compared exactly). Empty elements are ignored (RFC 9110 §5.6.1).
 * Returns `undefined` if any element is not a token — the whole request is then a 400.
 */
export function parseTokenList(value: string): string[] | undefined {
  const tokens: string[] = [];
  const n = value.length;
  let i = 0;
  while (i < n) {
    while (i < n && isOws(value.charCodeAt(i))) i++;
    const start = i;
    while (i < n && isTokenChar(value.charCodeAt(i))) i++;
    const end = i;
    while (i < n && isOws(value.charCodeAt(i))) i++;
    if (i < n && value.charCodeAt(i) !== COMMA) return undefined; // a non-token character inside an element
    if (end > start) tokens.push(value.slice(start, end));
    i++; // past the comma (or the end)
  }
  return tokens;
}

/**
 * Parses `Sec-WebSocket-Extensions` (RFC 6455 §9.1):
 * ```
 * extension-list  = 1#extension
 * extension       = extension-token *( ";" extension-param )
 * extension-param = token [ "=" (token | quoted-string) ]   ; a quoted value must unquote to a token
 * ```
 * with OWS allowed around `,` `;` `=`, and empty list elements ignored (RFC 9110 §5.6.1). Extension and parameter
 * names are lower-cased; values keep their case; a parameter without a value is `true`. Offers and parameters keep
 * their order, duplicates included. Returns `undefined` if the header is malformed — the whole request is a 400.
 */
export function parseExtensionOffers(value: string): ExtensionOffer[] | undefined {
  const offers: ExtensionOffer[] = [];
  const n = value.length;
  let i = 0;
  for (;;) {
    while (i < n && isOws(value.charCodeAt(i))) i++;
    if (i === n) return offers;
    if (value.charCodeAt(i) === COMMA) {
      i++; // empty element
      continue;
    }
    const nameStart = i;
    while (i < n && isTokenChar(value.charCodeAt(i))) i++;
    if (i === nameStart) return undefined;
    const name = value.slice(nameStart, i).toLowerCase();
    const params: Array<readonly [string, string | true]> = [];
    while (i < n && isOws(value.charCodeAt(i))) i++;
    while (i < n && value.charCodeAt(i) === SEMICOLON) {
      i++;
      while (i < n && isOws(value.charCodeAt(i))) i++;
      const paramStart = i;
      while (i < n && isTokenChar(value.charCodeAt(i))) i++;
      if (i === paramStart) return undefined;
      const paramName = value.slice(paramStart, i).toLowerCase();
      while (i < n && isOws(value.charCodeAt(i))) i++;
      if (i < n && value.charCodeAt(i) === EQUALS) {
        i++;
        while (i < n && isOws(value.charCodeAt(i))) i++;
        let paramValue: string;
        if (i < n && value.charCodeAt(i) === DQUOTE) {
          const quoted = readQuotedString(value, i);
          if (quoted === undefined) return undefined;
          paramValue = quoted.content;
          i = quoted.next;
          if (!isToken(paramValue)) return undefined; // RFC 6455 §9.1: unquoted content must be a token
        } else {
          const valueStart = i;
          while (i < n && isTokenChar(value.charCodeAt(i))) i++;
          if (i === valueStart) return undefined;
          paramValue = value.slice(valueStart, i);
        }
        params.push([paramName, paramValue]);
        while (i < n && isOws(value.charCodeAt(i))) i++;
      } else {
        params.push([paramName, true]);
      }
    }
    offers.push({ name, params });
    if (i === n) return offers;
    if (value.charCodeAt(i) !== COMMA) return undefined;
    i++;
  }
}

/**
 * Reads `quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE` (RFC 9110 §5.6.4) starting at the opening quote.
 * Returns the unescaped content and the index after the closing quote, or undefined if malformed.
 */
function readQuotedString(value: string, open: number): { content: string; next: number } | undefined {
  const n = value.length;
  let i = open + 1;
  let content = '';
  let runStart = i; // start of the current run without escapes, appended in one slice
  while (i < n) {
    const c = value.charCodeAt(i);
    if (c === DQUOTE) return { content: content + value.slice(runStart, i), next: i + 1 };
    if (c === BACKSLASH) {
      if (i + 1 >= n || !isFieldValueByte(value.charCodeAt(i + 1))) return undefined;
      content += value.slice(runStart, i);
      runStart = i + 1; // the escaped character starts the next run
      i += 2;
      continue;
    }
    if (!isFieldValueByte(c)) return undefined;
    i++;
  }
  return undefined; // no closing quote
}
