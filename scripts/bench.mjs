#!/usr/bin/env node
// Benchmarks websock against what its users would pick instead, in one run, as ratios:
// ws on Node, Bun.serve on Bun, Deno.upgradeWebSocket on Deno, and a raw TCP/TLS echo on each runtime.
// Writes bench/results/latest.json and latest.md, and prints the Markdown.
//
// Usage: node scripts/bench.mjs [--quick] [--filter REGEX] [--reps N] [--duration S] [--warmup S]
//          [--idle-conns N] [--runtimes node,bun,deno] [--payloads 16,1024,...] [--configs 1x1,1x32,100x8]
//          [--transports plain,tls] [--extras text,deflate|none] [--core-runtimes node,bun,deno]
//          [--no-memory] [--no-core] [--no-throughput] [--quiet-budget S] [--out DIR]
// --filter matches (as a regular expression) against "<transport> <config> <payload> <kind> <server id>",
//   e.g. "tls", "1MiB", "bun/", "100x8 64KiB", and against "memory <server id>" and "core <runtime>".
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { makeSelfSignedCert } from '../bench/lib/cert.mjs';
import { buildLoadgen, openIdle, runLoadgen } from '../bench/lib/loadgen.mjs';
import { benchNice, canPin, pinned, raisePriority, startServer, treeRss } from '../bench/lib/procs.mjs';
import { renderMarkdown, sizeLabel } from '../bench/lib/report.mjs';
import { serverCatalog } from '../bench/lib/servers.mjs';
import { median } from '../bench/lib/stats.mjs';

const root = resolve(new URL('..', import.meta.url).pathname);
const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
};
const has = (name) => argv.includes(name);
const list = (name, fallback) => opt(name, fallback).split(',').map((s) => s.trim()).filter(Boolean);

const quick = has('--quick');
const reps = Number(opt('--reps', quick ? '1' : '3'));
const durationS = Number(opt('--duration', quick ? '0.3' : '0.6'));
const warmupS = Number(opt('--warmup', quick ? '0.15' : '0.2'));
const idleConns = Number(opt('--idle-conns', quick ? '1000' : '10000'));
const filter = opt('--filter') ? new RegExp(opt('--filter'), 'i') : undefined;
const runtimes = list('--runtimes', 'node,bun,deno');
const payloads = list('--payloads', quick ? '1024,65536' : '16,1024,65536,1048576').map(Number);
const transports = list('--transports', 'plain,tls');
const extras = list('--extras', quick ? 'none' : 'text').filter((x) => x !== 'none');
const coreRuntimes = list('--core-runtimes', quick ? 'node' : 'node,bun,deno');
const outDir = resolve(opt('--out', join(root, 'bench/results')));
const CONFIGS = [
  { id: '1x1', conns: 1, inflight: 1, latency: true },
  { id: '1x32', conns: 1, inflight: 32, latency: false },
  { id: '100x8', conns: 100, inflight: 8, latency: false },
];
const configs = CONFIGS.filter((c) => list('--configs', '1x1,1x32,100x8').includes(c.id));
const SERVER_CORE = canPin ? 0 : undefined;
const LOADGEN_CORE = canPin ? 1 : undefined;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.error(...a);
const payloadTag = (n) => sizeLabel(n).replace(' ', '');

// ---- setup ----
const loadgen = buildLoadgen(root);
const cert = makeSelfSignedCert();
const catalog = serverCatalog(root, cert).filter((s) => runtimes.includes(s.runtime));
const missing = catalog.filter((s) => s.missing).map((s) => `${s.id} (${s.missing})`);
const available = catalog.filter((s) => !s.missing);
const running = new Set(); // servers started and not yet stopped, for cleanup on exit

async function cleanup() {
  await Promise.all([...running].map((s) => s.stop()));
  running.clear();
  rmSync(cert.dir, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    log(`\n${sig}: stopping servers`);
    void cleanup().then(() => process.exit(130));
  });
}

async function launch(spec, tls, deflate, prefix = []) {
  const { cmd, args } = spec.command({ tls, deflate });
  const [c, a] = prefix.length ? [prefix[0], [...prefix.slice(1), cmd, ...args]] : [cmd, args];
  const s = await startServer({ cmd: c, args: a, cwd: root, core: SERVER_CORE, timeoutMs: 30000 });
  running.add(s);
  const stop = s.stop;
  s.stop = async () => {
    running.delete(s);
    await stop();
  };
  return s;
}

function summarize(r) {
  return {
    msgs_per_s: r.msgs_per_s,
    mb_per_s: r.mb_per_s,
    p50_us: r.p50_us,
    p99_us: r.p99_us,
    client_cpu_pct: r.client_cpu_pct,
    server_cpu_pct: r.server_cpu_pct,
    server_us_per_msg: r.messages > 0 ? (r.server_cpu_s / r.messages) * 1e6 : NaN,
    client_us_per_msg: r.messages > 0 ? (r.client_cpu_s / r.messages) * 1e6 : NaN,
    client_cpu_s: r.client_cpu_s,
    client_user_s: r.client_user_s,
    sys_idle_pct: r.sys_idle_pct,
    // CPU used by everything else on the machine (other processes, softirq), in % of one core.
    others_cpu_pct: (100 - r.sys_idle_pct - r.sys_steal_pct) * cpus().length - r.client_cpu_pct - r.server_cpu_pct,
    sys_softirq_pct: r.sys_softirq_pct,
    messages: r.messages,
    window_s: r.window_s,
    open: r.open,
    errors: r.errors + r.len_errors,
    deflate_negotiated: r.deflate_negotiated,
    last_error: r.last_error,
  };
}

function medianOf(runs) {
  if (runs.length === 0) return undefined;
  const m = {};
  for (const k of Object.keys(runs[0])) {
    if (typeof runs[0][k] === 'number') m[k] = median(runs.map((r) => r[k]));
  }
  m.errors = runs.reduce((a, r) => a + (r.errors || 0), 0);
  m.last_error = runs.map((r) => r.last_error).find(Boolean) ?? '';
  return m;
}

// ---- the plan ----
const kinds = ['binary', ...extras];
const cells = [];
for (const transport of transports) {
  for (const config of configs) {
    for (const size of payloads) {
      for (const kind of kinds) {
        // Extras (text, deflate) only where they say something: plain, 1 × 32, payloads up to 64 KiB.
        if (kind !== 'binary' && (transport !== 'plain' || config.id !== '1x32' || size > 65536 || size < 1024)) continue;
        // 100 × 8 × 1 MiB would keep 800 MiB in flight (about a second per round trip on this machine): from
        // 1 MiB up, the many-connection case keeps one message in flight per connection.
        const inflight = size >= 1024 * 1024 && config.conns > 1 ? 1 : config.inflight;
        const cfg = inflight === config.inflight ? config : { ...config, inflight, note: `${config.conns}×${inflight}` };
        const id = `${transport} ${config.id} ${payloadTag(size)} ${kind}`;
        const servers = available.filter((s) => {
          if (kind !== 'binary' && s.kind === 'raw') return false;
          if (kind === 'deflate' && !s.deflate) return false;
          return !filter || filter.test(`${id} ${s.id}`);
        });
        // Warm-up and window grow with the bytes in flight, so each run sees several full round trips.
        const inFlightBytes = cfg.conns * cfg.inflight * size;
        const warm = Math.min(2, Math.max(warmupS, inFlightBytes / 300e6));
        const dur = Math.min(3, Math.max(durationS, (2 * inFlightBytes) / 300e6));
        if (servers.length) cells.push({ id, transport, config: cfg, size, kind, servers, warm, dur });
      }
    }
  }
}
const memoryPlan = has('--no-memory')
  ? []
  : available.filter((s) => !filter || filter.test(`memory ${s.id}`));
const corePlan = has('--no-core') ? [] : coreRuntimes.filter((r) => !filter || filter.test(`core ${r}`));
if (has('--no-throughput')) cells.length = 0;

const runCount = cells.reduce((a, c) => a + c.servers.length * reps, 0);
const estimateS = cells.reduce((a, c) => a + c.servers.length * reps * (c.warm + c.dur + 0.2), 0) + memoryPlan.length * (quick ? 2.5 : 6) + corePlan.length * (quick ? 6 : 30);
log(
  `bench: ${cells.length} cells, ${runCount} runs of ${warmupS}+${durationS} s, ${memoryPlan.length} memory runs ` +
    `(${idleConns} conns), core bench on ${corePlan.join(',') || 'none'}; about ${Math.ceil(estimateS / 60)} min`,
);
if (missing.length) log(`not measured: ${missing.join('; ')}`);

// ---- throughput and latency ----
const results = {
  meta: {},
  cells: [],
  memory: [],
  core: {},
};
const startedAt = Date.now();
let done = 0;
const pool = new Map(); // "id|tls|deflate" → server, or an Error when it would not start

const serverExits = []; // servers that exited while the bench still used them (crash, or killed from outside)
async function serverFor(spec, tls, deflate) {
  const key = `${spec.id}|${tls}|${deflate}`;
  const pooled = pool.get(key);
  const exit = pooled && !(pooled instanceof Error) ? pooled.exitInfo() : undefined;
  if (exit) {
    const tail = pooled.output().trim().split('\n').slice(-6).join(' ⏎ ');
    const what = `${key} exited during the bench (code ${exit.code}, signal ${exit.signal}); output tail: ${tail}`;
    serverExits.push(what);
    log(`  ${what} — restarting it`);
    pool.delete(key);
  }
  if (!pool.has(key)) {
    try {
      const server = await launch(spec, tls, deflate);
      // Warm the JIT before the first measured run: a short pipelined load of mid-sized messages.
      const url = server.url;
      await runLoadgen(loadgen, [
        '--url', url, '--conns', '4', '--inflight', '16', '--size', '1024', '--warmup', '0', '--duration', quick ? '0.1' : '0.3',
        ...(deflate ? ['--deflate'] : []),
      ], { core: LOADGEN_CORE, timeoutMs: 30000 }).catch(() => undefined);
      pool.set(key, server);
    } catch (e) {
      pool.set(key, e instanceof Error ? e : new Error(String(e)));
      log(`  could not start ${key}: ${String(e).split('\n')[0]}`);
    }
  }
  return pool.get(key);
}
async function stopPool() {
  for (const s of pool.values()) if (!(s instanceof Error)) await s.stop();
  pool.clear();
}

// Other work on the machine (other test runs, fuzzers) distorts a run. Between runs, sample the machine's busy
// share for 100 ms and, while it stays above a third of a core, wait a little, within an overall budget.
const quietBudgetMs = Number(opt('--quiet-budget', quick ? '5' : '30')) * 1000;
let quietSpentMs = 0;
function machineTicks() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] || 0);
  return { idle, total: f.reduce((a, b) => a + b, 0) };
}
async function busyCores(ms) {
  const a = machineTicks();
  await sleep(ms);
  const b = machineTicks();
  const total = b.total - a.total;
  return total > 0 ? ((total - (b.idle - a.idle)) / total) * cpus().length : 0;
}
async function waitForQuiet() {
  let busy = await busyCores(60);
  while (busy > 0.33 && quietSpentMs < quietBudgetMs) {
    const t = Date.now();
    busy = await busyCores(200);
    quietSpentMs += Date.now() - t;
  }
}

let lastTransport;
for (const cell of cells) {
  if (lastTransport !== undefined && lastTransport !== cell.transport) await stopPool();
  lastTransport = cell.transport;
  const tls = cell.transport === 'tls';
  const deflate = cell.kind === 'deflate';
  const entry = {
    id: cell.id, transport: cell.transport, config: cell.config, size: cell.size, kind: cell.kind,
    warmupS: cell.warm, durationS: cell.dur, servers: {},
  };
  for (const s of cell.servers) entry.servers[s.id] = { label: s.label, runs: [] };
  for (let rep = 0; rep < reps; rep++) {
    // Interleave: A B C …, then B C … A, so drift on the machine hits every server alike.
    const order = cell.servers.map((_, i) => cell.servers[(i + rep) % cell.servers.length]);
    for (const spec of order) {
      const slot = entry.servers[spec.id];
      const server = await serverFor(spec, tls, deflate);
      done++;
      if (server instanceof Error) {
        slot.error = String(server.message).split('\n')[0];
        continue;
      }
      let url = server.url;
      if (spec.kind === 'raw') url = url.replace(/^ws/, 'tcp'); // raw servers already print tcp:// / tls://
      const args = [
        '--url', url, '--conns', String(cell.config.conns), '--inflight', String(cell.config.inflight),
        '--size', String(cell.size), '--warmup', String(cell.warm), '--duration', String(cell.dur), '--pid', String(server.pid),
        ...(cell.kind === 'text' ? ['--text'] : []),
        ...(deflate ? ['--deflate'] : []),
      ];
      try {
        const r = await runLoadgen(loadgen, args, { core: LOADGEN_CORE, timeoutMs: (cell.warm + cell.dur) * 1000 + 90000 });
        slot.runs.push(summarize(r));
        if (r.errors + r.len_errors > 0 || r.open < cell.config.conns) {
          log(`  ${cell.id} ${spec.id}: ${r.open}/${cell.config.conns} open, ${r.errors + r.len_errors} errors: ${r.last_error}`);
        }
      } catch (e) {
        slot.error = String(e instanceof Error ? e.message : e).split('\n')[0];
        log(`  ${cell.id} ${spec.id}: ${slot.error}`);
      }
      await waitForQuiet(); // let the server finish closing the previous connections, and others' bursts pass
    }
  }
  for (const s of Object.values(entry.servers)) s.median = medianOf(s.runs);
  results.cells.push(entry);
  const elapsed = (Date.now() - startedAt) / 1000;
  const line = cell.servers
    .map((s) => {
      const m = entry.servers[s.id].median;
      if (!m) return `${s.id} ✗`;
      return cell.config.latency ? `${s.id} ${m.p50_us.toFixed(0)}µs` : `${s.id} ${Math.round(m.msgs_per_s)}/s`;
    })
    .join('  ');
  log(`[${done}/${runCount} ${elapsed.toFixed(0)}s] ${cell.id}: ${line}`);
}
await stopPool();

// ---- memory per idle connection ----
// Each side needs a descriptor per connection: raise the servers' soft limit to the hard one (prlimit) when needed;
// the generator raises its own.
function fdLimits() {
  const r = spawnSync('prlimit', ['--pid', String(process.pid), '--nofile', '--output', 'SOFT,HARD', '--noheadings'], { encoding: 'utf8' });
  const [soft, hard] = (r.stdout || '').trim().split(/\s+/).map((x) => (x === 'unlimited' ? Infinity : Number(x)));
  return { soft: soft || 1024, hard: hard || soft || 1024 };
}
const fds = memoryPlan.length ? fdLimits() : { soft: Infinity, hard: Infinity };
let idleTarget = idleConns;
if (idleTarget + 200 > fds.hard) {
  idleTarget = Math.max(100, Math.floor(fds.hard) - 200);
  log(`memory: the fd hard limit (${fds.hard}) allows ${idleTarget} idle connections, not ${idleConns}`);
}
const raiseFds = idleTarget + 200 > fds.soft && Number.isFinite(fds.hard);
for (const spec of memoryPlan) {
  const rec = { serverId: spec.id, runtime: spec.runtime, kind: spec.kind, conns: idleTarget };
  let server;
  try {
    server = await launch(spec, false, false, raiseFds ? ['prlimit', `--nofile=${fds.hard}:${fds.hard}`, '--'] : []);
    await sleep(quick ? 300 : 700);
    const before = treeRss(server.pid);
    let url = server.url;
    const idle = await openIdle(
      loadgen,
      ['--url', url, '--conns', String(idleTarget), '--connect-concurrency', '100'],
      { core: LOADGEN_CORE, holdLimitS: 120 },
    );
    await sleep(quick ? 500 : 1500);
    const after = treeRss(server.pid);
    const final = await idle.release();
    rec.open = idle.ready.open;
    rec.failed = idle.ready.failed;
    rec.connectMs = idle.ready.connect_ms;
    rec.rssBeforeKiB = before.total;
    rec.rssAfterKiB = after.total;
    rec.serverRssAfterKiB = after.largest;
    rec.perConnKiB = rec.open > 0 ? (after.total - before.total) / rec.open : NaN;
    rec.pingsReceived = final.pings;
    if (final.errors > 0) rec.loadgenErrors = `${final.errors}: ${final.last_error}`;
    log(`memory ${spec.id}: ${rec.open}/${idleTarget} open, ${rec.perConnKiB.toFixed(2)} KiB/conn (RSS ${before.total} → ${after.total} KiB)`);
  } catch (e) {
    rec.error = String(e instanceof Error ? e.message : e).split('\n')[0];
    log(`memory ${spec.id}: ${rec.error}`);
  } finally {
    if (server) await server.stop();
  }
  results.memory.push(rec);
}

// ---- parser micro-benchmark ----
/** Runs a command in its own session at raised priority; resolves with its exit code and output. */
function runToEnd(cmd, args, timeoutMs) {
  return new Promise((resolveRun) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    raisePriority(child.pid);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, out });
    });
  });
}
if (corePlan.length) {
  const bundle = join(root, 'build/bench/core-bench.mjs');
  const esbuild = join(root, 'node_modules/.bin/esbuild');
  const b = spawnSync(esbuild, [join(root, 'bench/core-bench.ts'), '--bundle', '--platform=node', '--format=esm',
    '--packages=external', `--outfile=${bundle}`, '--log-level=warning'], { encoding: 'utf8' });
  for (const rt of corePlan) {
    const json = join(root, `build/bench/core-${rt}.json`);
    rmSync(json, { force: true });
    const extra = ['--json', json, ...(quick ? ['--quick'] : [])];
    const cmdline =
      rt === 'node' ? [process.execPath, [bundle, ...extra]]
      : rt === 'bun' ? [join(root, 'node_modules/bun/bin/bun.exe'), [join(root, 'bench/core-bench.ts'), ...extra]]
      : [join(root, 'node_modules/deno/deno'), ['run', '-A', join(root, 'bench/core-bench.ts'), ...extra]];
    if (rt === 'node' && b.status !== 0) {
      results.core[rt] = { error: `esbuild failed: ${b.stderr}` };
      continue;
    }
    const [cmd, args] = pinned(SERVER_CORE, cmdline[0], cmdline[1]);
    log(`core bench on ${rt} …`);
    const r = await runToEnd(cmd, args, 240000);
    if (existsSync(json)) results.core[rt] = JSON.parse(readFileSync(json, 'utf8'));
    else results.core[rt] = { error: (r.out || `exit ${r.code}`).trim().split('\n').slice(-3).join(' ') };
  }
}

// ---- report ----
const version = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return (r.stdout || '').split('\n')[0].trim();
};
const sysNotes = [];
const genMax = Math.max(0, ...results.cells.flatMap((c) => Object.values(c.servers).flatMap((s) => s.runs.map((r) => r.client_cpu_pct))));
if (results.cells.length) {
  const allRuns = results.cells.flatMap((c) => Object.values(c.servers).flatMap((s) => s.runs));
  const userShare = allRuns.reduce((a, r) => a + (r.client_user_s || 0), 0) / allRuns.reduce((a, r) => a + (r.client_cpu_s || 0), 0);
  sysNotes.push(
    `Highest load-generator CPU in any run: ${genMax.toFixed(0)}% of one core; over all runs ` +
      `${(userShare * 100).toFixed(1)}% of the generator's CPU time was its own code, the rest the kernel's socket work (on loopback, sending includes ` +
      'delivering to the receiver).',
  );
  const others = results.cells.flatMap((c) => Object.values(c.servers).flatMap((s) => s.runs.map((r) => r.others_cpu_pct)));
  sysNotes.push(
    `Other processes on the machine used a median of ${median(others).toFixed(0)}% of a core during the runs ` +
      `(waited ${Math.round(quietSpentMs / 1000)} s in total for quieter moments).`,
  );
}
results.meta = {
  date: new Date().toISOString(),
  command: `node scripts/bench.mjs ${argv.join(' ')}`.trim(),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Linux`,
  versions: `node ${process.version}, bun ${version(join(root, 'node_modules/bun/bin/bun.exe'), ['--version'])}, ` +
    `${version(join(root, 'node_modules/deno/deno'), ['--version'])}`,
  pinned: canPin,
  nice: benchNice,
  reps,
  durationS,
  warmupS,
  idleConns: idleTarget,
  missing,
  serverExits,
  notes: sysNotes,
  elapsedS: Math.round((Date.now() - startedAt) / 1000),
  quietWaitS: Math.round(quietSpentMs / 1000),
};
mkdirSync(outDir, { recursive: true });
const md = renderMarkdown(results);
writeFileSync(join(outDir, 'latest.json'), JSON.stringify(results, null, 1));
writeFileSync(join(outDir, 'latest.md'), md);
console.log(md);
log(`wrote ${join(outDir, 'latest.json')} and latest.md in ${results.meta.elapsedS} s`);
await cleanup();
