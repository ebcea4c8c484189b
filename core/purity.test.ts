// The core is sans-I/O: this test fails the build if any core module (tests and test helpers aside) imports a
// runtime module or touches a runtime global, a timer or a clock.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { projectPath } from '../scripts/project-path.ts';

const coreDir = projectPath('core');
const FORBIDDEN: Array<[RegExp, string]> = [
  [/\bDeno\s*\./, 'Deno global'],
  [/\bBun\s*\./, 'Bun global'],
  [/\bprocess\s*\./, 'process global'],
  [/\bBuffer\b/, 'Buffer'],
  [/\b(setTimeout|setInterval|setImmediate|queueMicrotask|clearTimeout)\b/, 'timer'],
  [/\bDate\s*\.\s*now\b|\bnew Date\b/, 'clock'],
  [/\bperformance\s*\./, 'clock'],
  [/\brequire\s*\(/, 'require'],
  [/\bimport\s*\(/, 'dynamic import'],
  [/\b(fetch|WebSocket|XMLHttpRequest)\s*\(/, 'network API'],
  [/\bcrypto\s*\./, 'crypto global'],
  // Not ECMAScript: faster unmasking with it is handed in by adapters (core/accelerators.ts).
  [/\bWebAssembly\b/, 'WebAssembly'],
];
const ALLOWED_PACKAGES = new Set(['pako']);

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && name !== 'testing.ts') out.push(path);
  }
  return out;
}

/** Code without comments and string contents, so that documentation may name what code must not use. */
function codeOnly(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:])\/\/.*$/gm, '$1')
    .replace(/`(?:\\.|[^`\\])*`/g, '``');
}

test('core/ imports no runtime module and uses no runtime global, timer or clock', () => {
  const files = sources(coreDir);
  assert.ok(files.length > 10, 'core sources found');
  const problems: string[] = [];
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]/gm)) {
      const spec = match[1] as string;
      if (!spec.startsWith('.') && !ALLOWED_PACKAGES.has(spec)) problems.push(`${file}: imports ${spec}`);
    }
    const code = codeOnly(source);
    for (const [pattern, what] of FORBIDDEN) {
      if (pattern.test(code)) problems.push(`${file}: uses ${what} (${pattern})`);
    }
  }
  assert.equal(problems, []);
});

test('the purity check catches what it should', () => {
  const bad = "import net from 'node:net';\nconst t = setTimeout(() => {}, 1);\nDate.now();";
  const code = codeOnly(bad);
  assert.ok(FORBIDDEN.some(([p]) => p.test(code)));
  assert.ok(/from\s*['"]node:net['"]/.test(bad));
});

test.run();
