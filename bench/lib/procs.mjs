// Starting, pinning, measuring and stopping benchmark server processes (Node only: used by scripts/bench.mjs).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** True when `taskset` works and there are at least two cores: server on core 0, generator on core 1. */
export const canPin = cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/**
 * Niceness for the benchmark's own processes: when the machine is shared (other test runs, fuzzers), a raised
 * priority keeps the scheduler from cutting into the measured processes. Needs privileges; else 0.
 */
export const benchNice = spawnSync('nice', ['-n', '-10', 'true']).status === 0 ? -10 : 0;

/**
 * Raises the scheduling weight of a process started in its own session (spawn `detached: true`). With the kernel's
 * autogroup scheduling, CPU is first shared between sessions, so `nice` alone does not help against other
 * sessions' work; the autogroup's own nice value does. Best effort: silently does nothing without the privilege.
 * @param {number} pid
 */
export function raisePriority(pid) {
  if (benchNice === 0) return;
  try {
    writeFileSync(`/proc/${pid}/autogroup`, String(benchNice));
  } catch {
    // no autogroup support or no privilege
  }
}

/**
 * Prefixes a command with `taskset -c CORE` when pinning is possible, and with `nice -n` when raising priority is.
 * @param {number | undefined} core
 * @param {string} cmd
 * @param {string[]} args
 * @returns {[string, string[]]}
 */
export function pinned(core, cmd, args) {
  let c = cmd;
  let a = args;
  if (canPin && core !== undefined) [c, a] = ['taskset', ['-c', String(core), c, ...a]];
  if (benchNice !== 0) [c, a] = ['nice', ['-n', String(benchNice), c, ...a]];
  return [c, a];
}

const URL_RE = /\b(?:wss?|tcp|tls):\/\/[^\s'"]+/;

/**
 * Starts a server in its own process group and waits for the URL it prints.
 * @param {{ cmd: string, args: string[], cwd: string, core?: number, timeoutMs?: number, env?: object }} o
 * @returns {Promise<{ pid: number, url: string, output: () => string, exitInfo: () => ({ code: number | null, signal: string | null } | undefined), stop: () => Promise<void> }>}
 */
export function startServer(o) {
  const [cmd, args] = pinned(o.core, o.cmd, o.args);
  const child = spawn(cmd, args, {
    cwd: o.cwd,
    detached: true, // own process group: stop() ends the server and any child it spawned, nothing else
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...o.env },
  });
  raisePriority(child.pid);
  let out = '';
  let exited = false;
  /** @type {{ code: number | null, signal: string | null } | undefined} */
  let exitInfo;
  const exitPromise = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      exitInfo = { code, signal };
      resolve();
    }),
  );
  const stop = async () => {
    if (exited) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const killer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }, 2000);
    await exitPromise;
    clearTimeout(killer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${o.cmd} ${o.args.join(' ')}: no URL within ${o.timeoutMs ?? 20000} ms; output:\n${out}`));
    }, o.timeoutMs ?? 20000);
    const onData = (d) => {
      out += d.toString();
      if (out.length > 65536) out = out.slice(-65536);
      const m = URL_RE.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout.removeAllListeners('data');
        child.stdout.on('data', () => {}); // keep draining so the server never blocks on a full pipe
        resolve({ pid: child.pid, url: m[0], output: () => out, exitInfo: () => exitInfo, stop });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => {
      out += d.toString();
      if (out.length > 65536) out = out.slice(-65536);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${o.cmd} ${o.args.join(' ')} exited (${code}) before printing a URL; output:\n${out}`));
    });
  });
}

/** The pid and all its descendants (via /proc/PID/task/TID/children). */
export function treePids(pid) {
  const out = [];
  const visit = (p, depth) => {
    if (depth > 6) return;
    out.push(p);
    let tasks = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const t of tasks) {
      let kids = '';
      try {
        kids = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const k of kids.split(/\s+/)) if (k) visit(Number(k), depth + 1);
    }
  };
  visit(pid, 0);
  return out;
}

/** VmRSS of one process in KiB (0 if unknown). */
export function rssKiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Sum of VmRSS over a process tree, in KiB, and the largest member (the server itself, not a wrapper). */
export function treeRss(pid) {
  let total = 0;
  let largest = 0;
  for (const p of treePids(pid)) {
    const r = rssKiB(p);
    total += r;
    largest = Math.max(largest, r);
  }
  return { total, largest };
}
