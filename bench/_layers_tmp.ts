import { setBackend } from '../src/index.js';
import { layerConvShapes } from '../test/kernel-cases.js';
import { WebAssemblyKernel } from 'gpu.js';
const W = WebAssemblyKernel as any; const orig = W.dispatchSpans; let ds = 0;
W.dispatchSpans = function (...a: any[]) { const s = performance.now(); const r = orig.apply(this, a); ds = performance.now() - s; return r; };
const be = setBackend(process.argv[2] ?? 'webasm');
for (const [name, s] of layerConvShapes) {
  const x = Float32Array.from({ length: s.batch * s.inChannels * s.height * s.width }, () => Math.random());
  const w = Float32Array.from({ length: s.outChannels * s.inChannels * s.kernelHeight * s.kernelWidth }, () => Math.random());
  const g = Float32Array.from({ length: s.batch * s.outChannels * s.outHeight * s.outWidth }, () => Math.random());
  const flops = 2 * s.batch * s.outChannels * s.outHeight * s.outWidth * s.inChannels * s.kernelHeight * s.kernelWidth;
  const row: string[] = [];
  for (const [op, f] of [['fwd', () => be.conv2dForward(x, w, s)], ['gin', () => be.conv2dGradInput(g, w, s)], ['gw', () => be.conv2dGradWeight(x, g, s)]] as const) {
    f(); f(); let best = Infinity, bestDs = Infinity;
    for (let i = 0; i < 4; i++) { const t = performance.now(); f(); const d = performance.now() - t; if (d < best) { best = d; bestDs = ds; } }
    row.push(`${op} ${best.toFixed(1)}ms (kernel ${bestDs.toFixed(1)}) ${(flops / best / 1e6).toFixed(2)}GF`);
  }
  console.log(name.padEnd(40), row.join(' | '));
}
