/** Text helpers of the core: incremental UTF-8 validation (RFC 6455 §8.1). */
export { Utf8Validator, isValidUtf8 } from './utf8.ts';
