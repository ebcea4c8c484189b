/** Loading of TLS material for the Node adapter (PEM strings or files). */
import { readFile } from 'node:fs/promises';
import { MisuseError } from '../../core/errors.ts';
import type { TlsConfig } from '../shared/types.ts';

/** PEM certificate chain and key, read from files when paths were given. Throws {@link MisuseError} if either is missing. */
export async function loadTlsMaterial(tls: TlsConfig): Promise<{ cert: string; key: string }> {
  const cert = tls.cert ?? (tls.certFile !== undefined ? await readFile(tls.certFile, 'utf8') : undefined);
  const key = tls.key ?? (tls.keyFile !== undefined ? await readFile(tls.keyFile, 'utf8') : undefined);
  if (cert === undefined || key === undefined) {
    throw new MisuseError('INVALID_OPTION', 'tls needs cert and key (PEM strings) or certFile and keyFile');
  }
  return { cert, key };
}
