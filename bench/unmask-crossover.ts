/**
 * Which unmasker is fastest for each payload size on the runtime that runs this (the thresholds in
 * adapters/shared/accelerators.ts come from it): the core's JavaScript loop, WebAssembly SIMD, and bufferutil's
 * native code when it is installed. Two shapes, as the core uses them: in place (a message lying whole in one
 * read), and into another buffer (reassembly). Payloads laid out one after another in 1 MiB; best of 10 rounds,
 * ns per payload.
 *
 * Run: node_modules/.bin/bun bench/unmask-crossover.ts · node_modules/.bin/deno run -A bench/unmask-crossover.ts ·
 *      Node: bundle with esbuild as bench/core-bench.ts says, then run the bundle.
 */
import type { BulkUnmask } from '../core/accelerators.ts';
import { unmask } from '../core/frame/mask.ts';
import { wasmUnmask } from '../adapters/shared/wasm-unmask.ts';
import { nativeUnmask } from '../adapters/shared/native-unmask.ts';

const wasm = wasmUnmask(0);
const native = nativeUnmask(0);
const key = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
const buf = new Uint8Array(1 << 20);
const out = new Uint8Array(1 << 20);
const SIZES = [128, 256, 384, 512, 768, 1024, 2048, 4096, 8192, 16384, 65536];

const js: BulkUnmask = (src, start, end, k, offset, dst, dstStart) => {
  unmask(src, start, end, k, offset);
  if (dst !== src || dstStart !== start) dst.set(src.subarray(start, end), dstStart);
  return false;
};
const unmaskers: [string, BulkUnmask][] = [['JavaScript', js]];
if (wasm !== undefined) unmaskers.push(['WebAssembly', wasm]);
if (native !== undefined) unmaskers.push(['native', native]);

const best = new Map<string, number>();
for (let round = 0; round < 10; round++) {
  for (const n of SIZES) {
    const count = Math.floor(buf.length / (n + 8));
    for (const [name, run] of unmaskers) {
      for (const shape of ['in place', 'copy']) {
        const dst = shape === 'copy' ? out : buf;
        const pass = (): void => {
          for (let i = 0, at = 8; i < count; i++, at += n + 8) run(buf, at, at + n, key, 0, dst, at, false);
        };
        pass();
        const t0 = performance.now();
        for (let k = 0; k < 10; k++) pass();
        const ns = ((performance.now() - t0) * 1e6) / 10 / count;
        const id = `${name} ${shape} ${n}`;
        best.set(id, Math.min(best.get(id) ?? Infinity, ns));
      }
    }
  }
}
for (const shape of ['in place', 'copy']) {
  console.log(`\n${shape}, ns per payload:`);
  console.log(`| payload | ${unmaskers.map(([name]) => name).join(' | ')} | fastest |`);
  console.log(`|---:|${unmaskers.map(() => '---:|').join('')}---|`);
  for (const n of SIZES) {
    const times = unmaskers.map(([name]) => best.get(`${name} ${shape} ${n}`)!);
    const fastest = unmaskers[times.indexOf(Math.min(...times))]![0];
    console.log(`| ${n} | ${times.map((t) => t.toFixed(1)).join(' | ')} | ${fastest} |`);
  }
}
