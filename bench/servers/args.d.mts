/** The reference servers' flags, parsed. */
export interface ServerArgs {
  port: number;
  tls: boolean;
  cert: string;
  key: string;
  deflate: boolean;
}
/** Parses --port N, --tls, --cert FILE, --key FILE, --deflate. Throws when --tls lacks a certificate. */
export function parseServerArgs(argv: readonly string[]): ServerArgs;
