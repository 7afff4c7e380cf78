/**
 * Backend selection: the backend asked for is the one that runs (CI runs the
 * suite once with ROBUSTNORM_BACKEND=webgl under xvfb-run and once with webasm),
 * names that cannot run are errors, and `auto` never picks a software rasterizer.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { conv2d, disposeBackends, getBackend, isBackendAvailable, lastKernelRun, matmul, ones, randn, Random, resolveAuto, setBackend } from '../src/index.js';
import { glRenderer } from '../src/internals.js';
import { isSoftwareRenderer } from '../src/kernels/backend.js';
import { relativeError } from './helpers.js';

const requested = process.env.ROBUSTNORM_BACKEND;

afterAll(() => disposeBackends());

describe('backend selection', () => {
  it('uses ROBUSTNORM_BACKEND (or auto) and reports the backend that really ran', () => {
    disposeBackends();
    const expected = requested === undefined || requested === 'auto' ? resolveAuto().name : requested;
    expect(getBackend().name).toBe(expected);
    matmul(ones([3, 4]), ones([4, 2]));
    expect(lastKernelRun()?.executedOn).toBe(expected);
  });

  it.runIf(requested === 'webgl')('really runs WebGL when asked for webgl', () => {
    disposeBackends();
    matmul(ones([5, 3]), ones([3, 2]));
    const run = lastKernelRun();
    expect(run?.executedOn).toBe('webgl');
    expect(run?.kernelClass).toBe('HeadlessGLKernel');
    expect(glRenderer()).not.toBeNull();
  });

  it('rejects an unknown backend name', () => {
    expect(() => setBackend('cuda')).toThrow(/unknown backend "cuda"; choose one of auto, webgl, webasm, cpu, reference/);
  });

  it.runIf(!isBackendAvailable('webgl'))('says clearly when webgl is asked for but unavailable', () => {
    expect(() => setBackend('webgl')).toThrow(/"webgl" was requested but is not available.*xvfb-run/s);
  });

  it('recognizes software rasterizers, which auto never picks', () => {
    expect(isSoftwareRenderer('Mesa llvmpipe (software, swrast_dri.so)')).toBe(true);
    expect(isSoftwareRenderer('Google SwiftShader')).toBe(true);
    expect(isSoftwareRenderer('libGLX_nvidia.so.0')).toBe(false);
    const auto = resolveAuto();
    const renderer = isBackendAvailable('webgl') ? glRenderer() : null;
    if (renderer !== null && isSoftwareRenderer(renderer)) expect(auto.name).toBe('webasm');
  });

  it('runs float32 ops on the active backend and matches float64 (reference) results', () => {
    disposeBackends();
    const random = new Random(9);
    const x = randn([2, 3, 6, 5], { random, requiresGrad: true });
    const w = randn([4, 3, 3, 3], { random, requiresGrad: true });
    conv2d(x, w, null, { stride: 2, padding: 1 }).sum().backward();
    expect(lastKernelRun()?.executedOn).toBe(getBackend().name);
    const x64 = x.to('float64').requireGrad();
    const w64 = w.to('float64').requireGrad();
    conv2d(x64, w64, null, { stride: 2, padding: 1 }).sum().backward();
    expect(relativeError(x.grad!.data, x64.grad!.data)).toBeLessThan(1e-5);
    expect(relativeError(w.grad!.data, w64.grad!.data)).toBeLessThan(1e-5);
  });
});

describe('settings from the environment', () => {
  it('reads Node environment variables, and none where there is no process (a browser)', async () => {
    const { environmentVariable } = await import('../src/environment.js');
    process.env.ROBUSTNORM_TEST_SETTING = 'on';
    expect(environmentVariable('ROBUSTNORM_TEST_SETTING')).toBe('on');
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'process') as PropertyDescriptor;
    Object.defineProperty(globalThis, 'process', { value: undefined, configurable: true, writable: true });
    let inBrowser: string | undefined = 'not read';
    try {
      inBrowser = environmentVariable('ROBUSTNORM_TEST_SETTING');
    } finally {
      Object.defineProperty(globalThis, 'process', saved);
      delete process.env.ROBUSTNORM_TEST_SETTING;
    }
    expect(inBrowser).toBeUndefined();
  });
});
