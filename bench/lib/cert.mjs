// A throwaway self-signed certificate for the TLS benchmark servers (openssl CLI, P-256, localhost + 127.0.0.1).
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Writes cert.pem and key.pem into a new temp directory.
 * @returns {{ dir: string, cert: string, key: string }}
 */
export function makeSelfSignedCert() {
  const dir = mkdtempSync(join(tmpdir(), 'websock-bench-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const r = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return { dir, cert, key };
}
