/**
 * Where WebAssembly SIMD unmasking starts to beat the core's JavaScript loop, on the runtime that runs this
 * (the thresholds in adapters/shared/accelerators.ts come from it). In-place unmasking of payloads of each size,
 * laid out one after another in 1 MiB; best of 10 rounds, ns per payload.
 *
 * Run: node_modules/.bin/bun bench/unmask-crossover.ts · node_modules/.bin/deno run -A bench/unmask-crossover.ts ·
 *      Node: bundle with esbuild as bench/core-bench.ts says, then run the bundle.
 */
import { unmask } from '../core/frame/mask.ts';
import { wasmUnmask } from '../adapters/shared/wasm-unmask.ts';

const wasm = wasmUnmask(0);
if (wasm === undefined) throw new Error('no WebAssembly SIMD on this runtime');
const key = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
const buf = new Uint8Array(1 << 20);
const SIZES = [128, 256, 384, 512, 768, 1024, 2048, 4096, 8192, 16384, 65536];
const variants = {
  js: (at: number, n: number) => unmask(buf, at, at + n, key, 0),
  wasm: (at: number, n: number) => wasm(buf, at, at + n, key, 0, buf, at, false),
};
const best = new Map<string, number>();
for (let round = 0; round < 10; round++) {
  for (const n of SIZES) {
    const count = Math.floor(buf.length / (n + 8));
    for (const [name, run] of Object.entries(variants)) {
      const pass = (): void => {
        for (let i = 0, at = 8; i < count; i++, at += n + 8) run(at, n);
      };
      pass();
      const t0 = performance.now();
      for (let k = 0; k < 10; k++) pass();
      const ns = ((performance.now() - t0) * 1e6) / 10 / count;
      const id = `${name} ${n}`;
      best.set(id, Math.min(best.get(id) ?? Infinity, ns));
    }
  }
}
console.log('| payload | JavaScript ns | WebAssembly ns | faster |');
console.log('|---:|---:|---:|---|');
for (const n of SIZES) {
  const js = best.get(`js ${n}`)!;
  const w = best.get(`wasm ${n}`)!;
  console.log(`| ${n} | ${js.toFixed(1)} | ${w.toFixed(1)} | ${w < js ? 'WebAssembly' : 'JavaScript'} |`);
}
