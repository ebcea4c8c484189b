// Renders the benchmark results (see scripts/bench.mjs for their shape) as Markdown.
import { compact, median, ratio } from './stats.mjs';

const RUNTIMES = ['node', 'bun', 'deno'];

/** "16 B", "1 KiB", "64 KiB", "1 MiB". */
export function sizeLabel(n) {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / 1024 / 1024} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} B`;
}

const payloadCell = (cell) => `${sizeLabel(cell.size)}${cell.config.note ? ` (${cell.config.note})` : ''}`;
const pick = (cell, runtime, kind) => cell.servers[`${runtime}/${kind}`]?.median;
const num = (m, k) => (m && Number.isFinite(m[k]) ? m[k] : NaN);
const us = (x) => (Number.isFinite(x) ? (x >= 1000 ? `${(x / 1000).toFixed(2)} ms` : `${x.toFixed(0)} µs`) : '–');
const pct = (x) => (Number.isFinite(x) ? `${x.toFixed(0)}%` : '–');
/** Generator CPU (median) at or above this share of a core marks a figure as possibly generator-bound. */
export const GEN_BOUND_PCT = 90;
const errNote = (cell, runtime, kind) => {
  const s = cell.servers[`${runtime}/${kind}`];
  if (!s) return '';
  if (s.error) return ' ⚠';
  let note = s.median && s.median.errors > 0 ? ' ⚠' : '';
  if (s.median && s.median.client_cpu_pct >= GEN_BOUND_PCT) note += ' ‡';
  return note;
};

function throughputTable(cells) {
  const lines = [
    '| payload | runtime | websock msg/s | reference msg/s | raw echo msg/s | websock ÷ reference | websock ÷ raw | ' +
      'server CPU µs/msg: websock / reference | CPU/msg websock ÷ reference |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const cell of cells) {
    for (const rt of RUNTIMES) {
      const w = pick(cell, rt, 'websock');
      const r = pick(cell, rt, 'reference');
      const raw = pick(cell, rt, 'raw');
      if (!w && !r && !raw) continue;
      lines.push(
        `| ${payloadCell(cell)} | ${rt} | ${compact(num(w, 'msgs_per_s'))}${errNote(cell, rt, 'websock')} | ` +
          `${compact(num(r, 'msgs_per_s'))}${errNote(cell, rt, 'reference')} | ${compact(num(raw, 'msgs_per_s'))}${errNote(cell, rt, 'raw')} | ` +
          `**${ratio(num(w, 'msgs_per_s'), num(r, 'msgs_per_s'))}** | ${ratio(num(w, 'msgs_per_s'), num(raw, 'msgs_per_s'))} | ` +
          `${compact(num(w, 'server_us_per_msg'))} / ${compact(num(r, 'server_us_per_msg'))} | ` +
          `${ratio(num(w, 'server_us_per_msg'), num(r, 'server_us_per_msg'))} |`,
      );
    }
  }
  return lines.join('\n');
}

function latencyTable(cells) {
  const lines = [
    '| payload | runtime | websock p50 / p99 | reference p50 / p99 | raw echo p50 / p99 | p50 websock ÷ reference | p50 websock ÷ raw |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const cell of cells) {
    for (const rt of RUNTIMES) {
      const w = pick(cell, rt, 'websock');
      const r = pick(cell, rt, 'reference');
      const raw = pick(cell, rt, 'raw');
      if (!w && !r && !raw) continue;
      const pair = (m) => `${us(num(m, 'p50_us'))} / ${us(num(m, 'p99_us'))}`;
      lines.push(
        `| ${sizeLabel(cell.size)} | ${rt} | ${pair(w)}${errNote(cell, rt, 'websock')} | ${pair(r)}${errNote(cell, rt, 'reference')} | ` +
          `${pair(raw)}${errNote(cell, rt, 'raw')} | **${ratio(num(w, 'p50_us'), num(r, 'p50_us'))}** | ${ratio(num(w, 'p50_us'), num(raw, 'p50_us'))} |`,
      );
    }
  }
  return lines.join('\n');
}

function generatorTable(cells) {
  const lines = [
    '| transport | config | payload | loadgen CPU % (max of all runs) | server CPU % (median per server: min – max) | ' +
      'loadgen CPU µs/msg (median) | server CPU µs/msg (min – max) | other processes CPU % (median) | machine idle % (median) |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const cell of cells) {
    const runs = Object.values(cell.servers).flatMap((s) => s.runs ?? []);
    if (runs.length === 0) continue;
    const serverMedians = Object.values(cell.servers)
      .map((s) => num(s.median, 'server_cpu_pct'))
      .filter(Number.isFinite);
    const serverPerMsg = Object.values(cell.servers)
      .map((s) => num(s.median, 'server_us_per_msg'))
      .filter(Number.isFinite);
    lines.push(
      `| ${cell.transport} | ${cell.config.note ?? cell.config.id} | ${sizeLabel(cell.size)}${cell.kind === 'binary' ? '' : ` ${cell.kind}`} | ` +
        `${pct(Math.max(...runs.map((r) => r.client_cpu_pct)))} | ${pct(Math.min(...serverMedians))} – ${pct(Math.max(...serverMedians))} | ` +
        `${compact(median(runs.map((r) => r.client_us_per_msg)))} | ${compact(Math.min(...serverPerMsg))} – ${compact(Math.max(...serverPerMsg))} | ` +
        `${pct(median(runs.map((r) => r.others_cpu_pct)))} | ${pct(median(runs.map((r) => r.sys_idle_pct)))} |`,
    );
  }
  return lines.join('\n');
}

function memoryTable(memory) {
  const lines = [
    '| runtime | websock KiB/conn | reference KiB/conn | raw echo KiB/conn | websock ÷ reference | websock ÷ raw | connections open (websock / ref / raw) |',
    '|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const rt of RUNTIMES) {
    const get = (kind) => memory.find((m) => m.runtime === rt && m.kind === kind);
    const w = get('websock');
    const r = get('reference');
    const raw = get('raw');
    if (!w && !r && !raw) continue;
    const kib = (m) => (m && Number.isFinite(m.perConnKiB) ? m.perConnKiB.toFixed(2) : m?.error ? '⚠' : '–');
    const open = (m) => (m ? `${m.open ?? '–'}` : '–');
    lines.push(
      `| ${rt} | ${kib(w)} | ${kib(r)} | ${kib(raw)} | **${ratio(w?.perConnKiB, r?.perConnKiB)}** | ${ratio(w?.perConnKiB, raw?.perConnKiB)} | ` +
        `${open(w)} / ${open(r)} / ${open(raw)} |`,
    );
  }
  return lines.join('\n');
}

function coreTable(core) {
  const out = [];
  for (const [runtime, res] of Object.entries(core)) {
    if (res.error) {
      out.push(`**${runtime}**: failed: ${res.error}`);
      continue;
    }
    out.push(
      `**${res.runtime}**, chunks of ${res.chunkSize} B, median of ${res.rounds} rounds (core ÷ ws: median of the per-round ` +
        `ratios); ws native helpers: ${res.wsNative}; core unmasking: ${res.coreUnmasking ?? '?'}`,
    );
    out.push('');
    out.push(
      'Copy floor: allocating each message and copying its payload out of the chunks, nothing else (no parsing, ' +
        'unmasking or UTF-8 check): the least any parser that hands out a message as one buffer must do.',
    );
    out.push('');
    out.push('| payload | kind | core MB/s | core frames/s | ws Receiver MB/s | ws frames/s | core ÷ ws | rounds: lowest–highest | copy floor MB/s | core ÷ floor | ws ÷ floor |');
    out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of res.results) {
      const x = r.ratio ? `${r.ratio.median.toFixed(2)}×` : ratio(r.core?.mbPerS, r.ws?.mbPerS);
      const spread = r.ratio ? `${r.ratio.min.toFixed(2)}–${r.ratio.max.toFixed(2)}` : '–';
      out.push(
        `| ${sizeLabel(r.size)} | ${r.kind} | ${compact(r.core?.mbPerS)} | ${compact(r.core?.framesPerS)} | ` +
          `${compact(r.ws?.mbPerS)} | ${compact(r.ws?.framesPerS)} | **${x}** | ${spread} | ` +
          `${compact(r.floor?.mbPerS)} | ${r.floor?.core?.toFixed(2) ?? '–'} | ${r.floor?.ws?.toFixed(2) ?? '–'} |`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}

/**
 * The whole report.
 * @param {any} results as written to latest.json
 * @returns {string}
 */
export function renderMarkdown(results) {
  const { meta } = results;
  const out = [];
  out.push('# websock benchmarks', '');
  out.push(`${meta.date} · \`${meta.command}\` · ${meta.machine}`);
  out.push(
    `Runtimes: ${meta.versions}. ${meta.pinned ? 'Server pinned to core 0, load generator to core 1 (taskset)' : 'No CPU pinning'}` +
      `${meta.nice ? `, each in its own session at (autogroup) nice ${meta.nice}` : ''}.`,
  );
  out.push(
    `Each cell: ${meta.reps} run(s) per server of ${meta.durationS} s after ${meta.warmupS} s warm-up, servers interleaved ` +
      `(order rotated each repetition); figures are medians. Load generator: bench/loadgen/loadgen.c (C, epoll, one thread).`,
  );
  out.push('');
  out.push(
    'Ratios are websock ÷ the other server on the same runtime: for messages/s above 1 is better; for latency, ' +
      'CPU per message and memory below 1 is better. CPU per message (server process time ÷ messages echoed) is the ' +
      'figure least disturbed by other load on the machine. "reference" is what a user of that runtime would pick instead: ' +
      'ws (Node), Bun.serve (Bun), Deno.upgradeWebSocket (Deno). "raw echo" is a plain TCP/TLS echo on the same ' +
      'runtime (no WebSocket framing): the transport\'s own limit. ⚠ marks runs with errors (see latest.json); ' +
      `‡ marks figures where the load generator itself used ≥ ${GEN_BOUND_PCT}% of its core (the server may be faster ` +
      'than shown: with TLS the generator does the same crypto work as the server).',
  );
  if (meta.missing.length) out.push('', `Not measured: ${meta.missing.join('; ')}.`);
  if (meta.serverExits?.length) {
    out.push('', '**Servers that exited during the run (restarted for the following runs):**', '');
    for (const e of meta.serverExits) out.push(`- ${e}`);
  }
  if (meta.notes?.length) out.push('', ...meta.notes.map((n) => `- ${n}`));
  out.push('');

  const groups = new Map();
  for (const cell of results.cells) {
    const key = `${cell.transport}|${cell.config.id}|${cell.kind}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(cell);
  }
  for (const [key, cells] of groups) {
    const [transport, configId, kind] = key.split('|');
    const c = cells[0].config;
    const what = `${transport === 'tls' ? 'TLS' : 'plain TCP'}, ${c.conns} connection${c.conns > 1 ? 's' : ''} × ${c.inflight} in flight` +
      `${kind === 'binary' ? '' : `, ${kind} messages`}`;
    if (c.latency) {
      out.push(`## Latency — ${what}`, '', latencyTable(cells), '');
    } else {
      out.push(`## Throughput — ${what} (${configId})`, '', throughputTable(cells), '');
    }
  }
  if (results.memory.length) {
    out.push(`## Memory per idle connection (${results.meta.idleConns} connections, plain TCP, VmRSS after − before ÷ connections)`, '');
    out.push(memoryTable(results.memory), '');
  }
  if (Object.keys(results.core).length) {
    out.push('## Parser only (bench/core-bench.ts): websock core vs ws Receiver, same bytes, same process', '');
    out.push(coreTable(results.core), '');
  }
  if (results.cells.length) {
    out.push('## Was the load generator the limit?', '');
    out.push(
      'Loadgen CPU is its own user+system time over the measured window (one core = 100%); server CPU is the server ' +
        'process tree\'s. A server near 100% with the loadgen well below it means the server was the limit. Low CPU on ' +
        'both sides means the round trip (wake-ups on loopback) was the limit, or other processes on the machine took ' +
        'the CPU ("other processes": everything else that ran, softirq included, in % of one core; machine idle is ' +
        'over all cores). In a closed loop both sides handle every message, so the side with the higher CPU time per ' +
        'message saturates first: while the loadgen\'s µs/msg is below the server\'s, the server is the limit.',
      '',
    );
    out.push(generatorTable(results.cells), '');
  }
  return out.join('\n');
}
