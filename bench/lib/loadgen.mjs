// Building and driving the C load generator (bench/loadgen/loadgen.c) from Node.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pinned, raisePriority } from './procs.mjs';

/**
 * Compiles the load generator if the binary is missing or older than its source.
 * @param {string} root repository root
 * @returns {string} path of the binary
 */
export function buildLoadgen(root) {
  const src = join(root, 'bench/loadgen/loadgen.c');
  const bin = join(root, 'build/bench/loadgen');
  if (existsSync(bin) && statSync(bin).mtimeMs >= statSync(src).mtimeMs) return bin;
  mkdirSync(dirname(bin), { recursive: true });
  const r = spawnSync('gcc', ['-O2', '-o', bin, src, '-lssl', '-lcrypto', '-lz'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the load generator failed:\n${r.stderr}`);
  return bin;
}

/**
 * Runs one measurement and returns the generator's JSON result.
 * @param {string} bin
 * @param {string[]} args loadgen flags
 * @param {{ core?: number, timeoutMs: number }} o
 * @returns {Promise<Record<string, unknown>>}
 */
export function runLoadgen(bin, args, o) {
  const [cmd, a] = pinned(o.core, bin, args);
  return new Promise((resolve, reject) => {
    // Own session, so its scheduling weight can be raised (see raisePriority); it ends by itself after --duration.
    const child = spawn(cmd, a, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    raisePriority(child.pid);
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs);
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last));
      } catch {
        reject(new Error(`loadgen ${args.join(' ')} failed (${code ?? signal}): ${err.trim() || out.trim()}`));
      }
    });
  });
}

/**
 * Opens `conns` idle connections and keeps them open until `release()` is called.
 * @param {string} bin
 * @param {string[]} args loadgen flags (without --idle)
 * @param {{ core?: number, holdLimitS: number }} o
 * @returns {Promise<{ ready: Record<string, unknown>, release: () => Promise<Record<string, unknown>> }>}
 */
export function openIdle(bin, args, o) {
  const full = [...args, '--idle', '--duration', String(o.holdLimitS)];
  const [cmd, a] = pinned(o.core, bin, full);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, a, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    raisePriority(child.pid);
    let out = '';
    let err = '';
    let readySeen = false;
    const done = new Promise((res) => child.once('exit', () => res()));
    const timer = setTimeout(() => child.kill('SIGKILL'), (o.holdLimitS + 90) * 1000);
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      if (readySeen) return;
      const line = out.split('\n').find((l) => l.startsWith('{"ready"'));
      if (!line) return;
      readySeen = true;
      resolve({
        ready: JSON.parse(line),
        release: async () => {
          child.stdin.end();
          await done;
          clearTimeout(timer);
          return JSON.parse(out.trim().split('\n').pop() ?? '{}');
        },
      });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!readySeen) reject(new Error(`loadgen idle failed (${code}): ${err.trim() || out.trim()}`));
    });
  });
}
