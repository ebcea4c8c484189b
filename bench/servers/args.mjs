// Shared command-line parsing for the reference servers (plain JS so Node, Bun and Deno all load it as is).
// Flags: --port N (0 = let the OS pick) --tls --cert FILE --key FILE --deflate
/**
 * Parses the reference servers' flags.
 * @param {string[]} argv arguments after the script name
 * @returns {{ port: number, tls: boolean, cert: string, key: string, deflate: boolean }}
 */
export function parseServerArgs(argv) {
  const value = (name, fallback) => {
    const i = argv.indexOf(name);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
  };
  const tls = argv.includes('--tls');
  const cert = value('--cert', '');
  const key = value('--key', '');
  if (tls && (!cert || !key)) throw new Error('--tls needs --cert FILE and --key FILE');
  return { port: Number(value('--port', '0')), tls, cert, key, deflate: argv.includes('--deflate') };
}
