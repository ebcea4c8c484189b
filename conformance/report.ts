/**
 * Reports in the suite's shape: index.json (agent → case id → verdicts, duration, close code, explanations)
 * and a static index.html summary.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaseResult } from './types.ts';

/** One entry of index.json. */
export interface IndexEntry {
  readonly behavior: string;
  readonly behaviorClose: string;
  readonly duration: number;
  readonly remoteCloseCode: number | null;
  readonly result: string;
  readonly resultClose: string;
  /** Why the close was not clean, when it was not (the suite's wasNotCleanReason). */
  readonly wasNotCleanReason: string | null;
  /** The per-case details file, relative to the report folder. */
  readonly reportfile: string;
}

/** The index.json object for one agent. */
export function buildIndex(agent: string, results: readonly CaseResult[]): Record<string, Record<string, IndexEntry>> {
  const cases: Record<string, IndexEntry> = {};
  for (const r of results) {
    cases[r.id] = {
      behavior: r.behavior,
      behaviorClose: r.behaviorClose,
      duration: r.duration,
      remoteCloseCode: r.remoteCloseCode,
      result: r.result,
      resultClose: r.resultClose,
      wasNotCleanReason: r.facts.wasNotCleanReason,
      reportfile: caseFile(r.id),
    };
  }
  return { [agent]: cases };
}

const COLORS: Record<string, string> = {
  OK: '#0a0', 'NON-STRICT': '#aa0', INFORMATIONAL: '#69c', UNIMPLEMENTED: '#999', FAILED: '#c00',
  UNCLEAN: '#c60', 'WRONG CODE': '#c60', 'FAILED BY CLIENT': '#c60',
};

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A self-contained HTML summary: totals per verdict, then one row per case. */
export function renderHtml(agent: string, results: readonly CaseResult[], title = 'websock conformance'): string {
  const counts = new Map<string, number>();
  for (const r of results) counts.set(`${r.behavior} / ${r.behaviorClose}`, (counts.get(`${r.behavior} / ${r.behaviorClose}`) ?? 0) + 1);
  const cell = (v: string) => `<td style="background:${COLORS[v] ?? '#c00'};color:#fff">${esc(v)}</td>`;
  const rows = results.map((r) => `<tr><td>${esc(r.id)}</td>${cell(r.behavior)}${cell(r.behaviorClose)}<td>${r.duration} ms</td>` +
    `<td>${r.remoteCloseCode ?? ''}</td><td><a href="${esc(caseFile(r.id))}">details</a></td><td class="d">${esc(r.description.replace(/<[^>]*>/g, ' '))}</td>` +
    `<td class="d">${esc(r.result)}<br>${esc(r.resultClose)}</td></tr>`).join('\n');
  const totals = [...counts].map(([k, n]) => `<li>${esc(k)}: ${n}</li>`).join('');
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${esc(title)} — ${esc(agent)}</title>
<style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;vertical-align:top}
td.d{font-size:12px;max-width:40em}</style></head>
<body><h1>${esc(title)}</h1><p>Agent: <b>${esc(agent)}</b>, ${results.length} cases</p><ul>${totals}</ul>
<table><tr><th>Case</th><th>Behavior</th><th>Close</th><th>Duration</th><th>Close code</th><th></th><th>Description</th><th>Result</th></tr>
${rows}
</table></body></html>
`;
}

function caseFile(id: string): string {
  return `cases/${id}.json`;
}

/** Writes index.json, index.html and cases/<id>.json (every fact of each case) into `dir` (created if needed). */
export function writeReport(dir: string, agent: string, results: readonly CaseResult[]): void {
  mkdirSync(join(dir, 'cases'), { recursive: true });
  for (const r of results) writeFileSync(join(dir, caseFile(r.id)), JSON.stringify({ agent, ...r }, null, 2) + '\n');
  writeFileSync(join(dir, 'index.json'), JSON.stringify(buildIndex(agent, results), null, 2) + '\n');
  writeFileSync(join(dir, 'index.html'), renderHtml(agent, results));
}
