/** permessage-deflate (RFC 7692): options, negotiation and the synchronous codec. */
export {
  DEFAULT_DEFLATE_OPTIONS,
  resolveDeflateOptions,
  type DeflateOptions,
  type DeflateParams,
  type ResolvedDeflateOptions,
} from './options.ts';
export {
  PERMESSAGE_DEFLATE,
  formatDeflateResponse,
  negotiateDeflate,
  type DeflateAgreement,
  type DeflateResponseEcho,
} from './negotiation.ts';
export {
  pakoCodec,
  type CompressorParams,
  type DecompressStatus,
  type DecompressorParams,
  type DeflateCodec,
  type MessageCompressor,
  type MessageDecompressor,
} from './codec.ts';
