// The form of a request-target (RFC 9112 §3.2), checked by a linear scan.
//
// - origin-form (`/path?query`): the usual form; kept as it is.
// - absolute-form (`http://host/path?query`, also https/ws/wss): a server MUST accept it (RFC 9112 §3.2.2) and use
//   its authority instead of the Host header; it is reduced to origin-form, and the authority is returned.
// - asterisk-form (`*`) only with OPTIONS, which only a plain HTTP request can have; authority-form (`host:port`,
//   CONNECT's) and anything else: refused.
// - A fragment (`#…`) is never part of a request-target (RFC 9112 §3.2, RFC 6455 §3): refused.

/** An accepted target: origin-form, and the authority when the request used absolute-form. */
export interface RequestTarget {
  readonly target: string;
  readonly authority?: string;
}

const SCHEMES = ['http', 'https', 'ws', 'wss'];

/** `target` checked and reduced to origin-form, or undefined when it is not a valid target for `method`. */
export function parseRequestTarget(target: string, method: string): RequestTarget | undefined {
  if (target.indexOf('#') >= 0) return undefined;
  if (target.charCodeAt(0) === 0x2f /* / */) return { target };
  if (target === '*') return method === 'OPTIONS' ? { target } : undefined;
  const colon = target.indexOf('://');
  if (colon <= 0 || !SCHEMES.includes(target.slice(0, colon).toLowerCase())) return undefined;
  const start = colon + 3;
  let end = start;
  while (end < target.length) {
    const c = target.charCodeAt(end);
    if (c === 0x2f /* / */ || c === 0x3f /* ? */) break;
    end++;
  }
  const authority = target.slice(start, end);
  // userinfo is deprecated in http(s) URIs (RFC 9110 §4.2.4); an empty host is no host.
  if (authority === '' || authority.indexOf('@') >= 0) return undefined;
  const rest = target.slice(end);
  return { target: rest.charCodeAt(0) === 0x2f ? rest : '/' + rest, authority };
}
