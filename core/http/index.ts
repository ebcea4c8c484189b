// The HTTP/1.1 opening-handshake layer of the core: parse the request head, validate the upgrade, build responses.
export { encodeBase64, decodeBase64Strict, base64DecodedLength } from './base64.ts';
export { sha1 } from './sha1.ts';
export { computeAcceptKey, WEBSOCKET_GUID } from './accept-key.ts';
export { RequestHeadParser } from './request-parser.ts';
export type { RequestHead, HeadParseResult } from './request-parser.ts';
export { listContainsToken, parseTokenList, parseExtensionOffers } from './header-lists.ts';
export { validateUpgrade, buildAcceptResponse, buildRejectResponse } from './handshake.ts';
export type {
  RequestHeadInput,
  UpgradeRefusal,
  UpgradeValidation,
  AcceptResponseOptions,
  RejectResponseOptions,
  HeaderInput,
} from './handshake.ts';
export { reasonPhrase } from './status-text.ts';
export { isToken, isFieldValue } from './chars.ts';
