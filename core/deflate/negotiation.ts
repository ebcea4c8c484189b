/**
 * permessage-deflate negotiation on the server side (RFC 7692 §5, §7.1): pick the first acceptable offer,
 * decide the four parameters, and write the `Sec-WebSocket-Extensions` response element.
 * Peer input never throws here: an offer the server cannot honour is declined (skipped).
 */
import type { ExtensionOffer } from '../extension-offer.ts';
import { resolveDeflateOptions, type DeflateOptions, type DeflateParams, type ResolvedDeflateOptions } from './options.ts';

/** The registered extension name (RFC 7692 §7). */
export const PERMESSAGE_DEFLATE = 'permessage-deflate';

/** Window bits used when nothing limits them: a 32 KiB LZ77 window (RFC 7692 §7.1.2). */
const MAX_WINDOW_BITS = 15;

/** The accepted offer: the agreed parameters and the response element for `Sec-WebSocket-Extensions`. */
export interface DeflateAgreement {
  readonly params: DeflateParams;
  /** E.g. `permessage-deflate; server_no_context_takeover; client_max_window_bits=10`. */
  readonly response: string;
}

/** Which window-bits parameters the response states explicitly (the `*_no_context_takeover` flags come from the params). */
export interface DeflateResponseEcho {
  /** Include `server_max_window_bits=N`; required when the offer had it (RFC 7692 §7.1.2.1). */
  readonly serverMaxWindowBits?: boolean;
  /** Include `client_max_window_bits=N`; allowed only when the offer had it (RFC 7692 §7.1.2.2). */
  readonly clientMaxWindowBits?: boolean;
}

/**
 * Chooses the first `permessage-deflate` offer (in the client's order of preference, RFC 7692 §5) that the
 * server can honour, or `undefined` when there is none (the connection then proceeds without compression).
 * An offer with an unknown or duplicated parameter or an invalid value is declined (RFC 7692 §7).
 * `config` is checked with {@link resolveDeflateOptions} (throws {@link MisuseError} on a bad value).
 */
export function negotiateDeflate(
  offers: readonly ExtensionOffer[],
  config: DeflateOptions,
): DeflateAgreement | undefined {
  const resolved = resolveDeflateOptions(config);
  for (const offer of offers) {
    if (offer.name !== PERMESSAGE_DEFLATE) continue;
    const agreement = acceptOffer(offer, resolved);
    if (agreement !== undefined) return agreement;
  }
  return undefined;
}

/** Writes the response element for agreed `params`; `echo` says which window-bits values to state. */
export function formatDeflateResponse(params: DeflateParams, echo: DeflateResponseEcho = {}): string {
  let response = PERMESSAGE_DEFLATE;
  if (params.serverNoContextTakeover) response += '; server_no_context_takeover';
  if (params.clientNoContextTakeover) response += '; client_no_context_takeover';
  if (echo.serverMaxWindowBits) response += `; server_max_window_bits=${params.serverMaxWindowBits}`;
  // RFC 7692 §7.1.2.2: in a response, client_max_window_bits always carries a value.
  if (echo.clientMaxWindowBits) response += `; client_max_window_bits=${params.clientMaxWindowBits}`;
  return response;
}

/** Bits of the "seen" mask, to decline duplicated parameters (RFC 7692 §7). */
const SEEN_SERVER_NO_CONTEXT = 1;
const SEEN_CLIENT_NO_CONTEXT = 2;
const SEEN_SERVER_BITS = 4;
const SEEN_CLIENT_BITS = 8;

function acceptOffer(offer: ExtensionOffer, config: ResolvedDeflateOptions): DeflateAgreement | undefined {
  let seen = 0;
  let serverNoContextTakeover = false;
  let clientNoContextTakeover = false;
  let offeredServerBits: number | undefined;
  // `true`: offered without a value (the client merely supports the parameter in the response).
  let offeredClientBits: number | true | undefined;

  for (const [name, value] of offer.params) {
    // A switch over string literals: names such as `constructor` or `__proto__` are simply unknown.
    switch (name) {
      case 'server_no_context_takeover':
        // RFC 7692 §7.1.1.1: no value allowed.
        if (seen & SEEN_SERVER_NO_CONTEXT || value !== true) return undefined;
        seen |= SEEN_SERVER_NO_CONTEXT;
        serverNoContextTakeover = true;
        break;
      case 'client_no_context_takeover':
        // RFC 7692 §7.1.1.2: no value allowed.
        if (seen & SEEN_CLIENT_NO_CONTEXT || value !== true) return undefined;
        seen |= SEEN_CLIENT_NO_CONTEXT;
        clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits': {
        // RFC 7692 §7.1.2.1: a value 8–15 is required.
        if (seen & SEEN_SERVER_BITS || value === true) return undefined;
        seen |= SEEN_SERVER_BITS;
        offeredServerBits = parseWindowBits(value);
        if (offeredServerBits === undefined) return undefined;
        break;
      }
      case 'client_max_window_bits': {
        // RFC 7692 §7.1.2.2: no value, or a value 8–15.
        if (seen & SEEN_CLIENT_BITS) return undefined;
        seen |= SEEN_CLIENT_BITS;
        if (value === true) {
          offeredClientBits = true;
        } else {
          offeredClientBits = parseWindowBits(value);
          if (offeredClientBits === undefined) return undefined;
        }
        break;
      }
      default:
        // RFC 7692 §7: a parameter not defined for an offer declines the offer.
        return undefined;
    }
  }

  // RFC 7692 §7.1.2.1: the server may always compress with a smaller window than the client allows;
  // it announces its value only when the client asked for one (some clients reject an unsolicited one).
  const serverMaxWindowBits = Math.min(config.serverMaxWindowBits, offeredServerBits ?? MAX_WINDOW_BITS);

  // RFC 7692 §7.1.2.2: without client_max_window_bits in the offer the server must not send it and the
  // client may use the full 32 KiB window. With it, the server may ask for a smaller one.
  let clientMaxWindowBits = MAX_WINDOW_BITS;
  let echoClientBits = false;
  if (offeredClientBits !== undefined) {
    const clientCeiling = offeredClientBits === true ? MAX_WINDOW_BITS : offeredClientBits;
    clientMaxWindowBits = Math.min(config.clientMaxWindowBits, clientCeiling);
    // State the value when the client gave one (echo it, possibly lowered), or when the server lowers it.
    echoClientBits = offeredClientBits !== true || clientMaxWindowBits < clientCeiling;
  }

  const params: DeflateParams = {
    // RFC 7692 §7.1.1.1: the server may add server_no_context_takeover even if not offered.
    serverNoContextTakeover: serverNoContextTakeover || config.serverNoContextTakeover,
    // RFC 7692 §7.1.1.2: the offered flag is a hint the client will honour anyway; confirming it lets the
    // server drop its inflate window between messages.
    clientNoContextTakeover: clientNoContextTakeover || config.clientNoContextTakeover,
    serverMaxWindowBits,
    clientMaxWindowBits,
  };
  return {
    params,
    response: formatDeflateResponse(params, {
      serverMaxWindowBits: offeredServerBits !== undefined,
      clientMaxWindowBits: echoClientBits,
    }),
  };
}

/**
 * Parses a window-bits value: a decimal integer 8–15 without leading zeros (RFC 7692 §7.1.2.1, §7.1.2.2;
 * a quoted value has already been unquoted by the header parser). Anything else is `undefined`.
 */
function parseWindowBits(value: string): number | undefined {
  if (value.length === 1) {
    const c = value.charCodeAt(0);
    return c === 0x38 || c === 0x39 ? c - 0x30 : undefined; // '8', '9'
  }
  if (value.length === 2 && value.charCodeAt(0) === 0x31) {
    const d = value.charCodeAt(1) - 0x30; // '10'–'15'
    return d >= 0 && d <= 5 ? 10 + d : undefined;
  }
  return undefined;
}
