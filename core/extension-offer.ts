/**
 * One extension offered in `Sec-WebSocket-Extensions` (RFC 6455 §9.1), e.g.
 * `permessage-deflate; client_max_window_bits` → `{ name: 'permessage-deflate', params: [['client_max_window_bits', true]] }`.
 * Parameters stay an ordered list of pairs so that duplicates remain visible (RFC 7692 §7 makes them an error).
 * Names are lower-cased; a quoted value is unquoted; a parameter without a value has the value `true`.
 */
export interface ExtensionOffer {
  readonly name: string;
  readonly params: ReadonlyArray<readonly [name: string, value: string | true]>;
}
