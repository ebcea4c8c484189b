// Interning of the header names every handshake carries: the parser returns a shared string instead of decoding
// a new one when the bytes match exactly (case included, since raw names are kept as sent). Purely an optimisation:
// the result is identical to decoding.

const NAMES = [
  'Host', 'Upgrade', 'Connection', 'Origin', 'Sec-WebSocket-Key', 'Sec-WebSocket-Version',
  'Sec-WebSocket-Extensions', 'Sec-WebSocket-Protocol', 'User-Agent', 'Pragma', 'Cache-Control',
  'Accept-Encoding', 'Accept-Language', 'Cookie', 'Authorization', 'X-Forwarded-For',
];

/** Names grouped by byte length; each name in its common spelling and in lower case (as HTTP/2-era clients send). */
const BY_LENGTH: string[][] = (() => {
  const table: string[][] = [];
  for (const name of NAMES) {
    for (const spelling of new Set([name, name.toLowerCase()])) (table[spelling.length] ??= []).push(spelling);
  }
  return table;
})();

/** The interned name equal to `bytes[start, end)`, or undefined (then the caller decodes). */
export function knownHeaderName(bytes: Uint8Array, start: number, end: number): string | undefined {
  const candidates = BY_LENGTH[end - start];
  if (candidates === undefined) return undefined;
  outer: for (const name of candidates) {
    for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) !== bytes[start + i]) continue outer;
    return name;
  }
  return undefined;
}
