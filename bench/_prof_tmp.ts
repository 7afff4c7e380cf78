import { setBackend } from '../src/index.js';
import { layerConvShapes } from '../test/kernel-cases.js';
const be = setBackend('webasm');
const s = layerConvShapes[Number(process.argv[2] ?? 1)]![1];
const op = process.argv[3] ?? 'gin';
const x = Float32Array.from({ length: s.batch * s.inChannels * s.height * s.width }, () => Math.random());
const w = Float32Array.from({ length: s.outChannels * s.inChannels * s.kernelHeight * s.kernelWidth }, () => Math.random());
const g = Float32Array.from({ length: s.batch * s.outChannels * s.outHeight * s.outWidth }, () => Math.random());
for (let i = 0; i < 8; i++) { if (op === 'gin') be.conv2dGradInput(g, w, s); else if (op === 'fwd') be.conv2dForward(x, w, s); else be.conv2dGradWeight(x, g, s); }
