import { buildModel, modelConfig, SGD, crossEntropy, randn, setBackend, Random, getBackend } from '../src/index.js';
const name = process.argv[2] ?? 'webasm';
const arch = process.argv[3] ?? 'small-cnn';
setBackend(name);
const be = getBackend() as any;
const times: Record<string, number> = {};
for (const op of ['matmul', 'conv2dForward', 'conv2dGradInput', 'conv2dGradWeight']) {
  const orig = be[op].bind(be);
  be[op] = (...args: any[]) => { const s = performance.now(); const r = orig(...args); times[op] = (times[op] ?? 0) + performance.now() - s; return r; };
}
const model = buildModel(modelConfig(arch, 'bn'), 0);
const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 });
const random = new Random(1);
const x = randn([128, 1, 28, 28], { random });
const labels = Uint8Array.from({ length: 128 }, (_, i) => i % 10);
for (let it = 0; it < Number(process.env.ITERS ?? 4); it++) {
  for (const k of Object.keys(times)) times[k] = 0;
  const s = performance.now();
  model.train();
  const loss = crossEntropy(model.forward(x), labels);
  opt.zeroGrad(); loss.backward(); opt.step();
  const total = performance.now() - s;
  const kern = Object.values(times).reduce((a, b) => a + b, 0);
  console.log(`step ${total.toFixed(0)} ms, kernels ${kern.toFixed(0)} ms`, Object.fromEntries(Object.entries(times).map(([k, v]) => [k, +v.toFixed(0)])));
}
