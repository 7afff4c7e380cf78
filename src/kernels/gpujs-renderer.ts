/**
 * Where gpu.js runs here: which of its modes this machine has, what renders
 * WebGL, and which kernel class really ran a call (gpu.js may swap in its CPU
 * kernel on a first call, and that must not pass unnoticed).
 */
import { GPU, CPUKernel, HeadlessGLKernel, WebAssemblyKernel, WebGLKernel } from 'gpu.js';
import type { BackendName } from './kernel-backend.js';
import { isNode as runsInNode, nodeBuiltin } from '../platform.js';

/** The backends gpu.js provides. */
export type GpuJsBackendName = Exclude<BackendName, 'reference'>;
/** gpu.js's own name for the mode a backend runs in. */
export type GpuMode = 'headlessgl' | 'webgl2' | 'webasm' | 'cpu';

const isNode = runsInNode();

/** gpu.js's mode for backend `name`: WebGL is headless-gl in Node and WebGL2 in a page. */
export function modeFor(name: GpuJsBackendName): GpuMode {
  if (name === 'webgl') return isNode ? 'headlessgl' : 'webgl2';
  return name;
}

export function isGpuJsModeAvailable(name: BackendName): boolean {
  switch (name) {
    case 'webgl':
      return isNode ? GPU.isHeadlessGLSupported : GPU.isWebGL2Supported;
    case 'webasm':
      return GPU.isWebAssemblySupported;
    case 'cpu':
      return true;
    default:
      return false;
  }
}

/**
 * What renders WebGL here. headless-gl reports only "ANGLE", so in Node on
 * Linux we look at which GL driver library the process loaded for a context:
 * Mesa's swrast_dri.so is the llvmpipe software rasterizer.
 */
export function glRenderer(): string | null {
  const fs = nodeBuiltin('node:fs');
  const nodeModule = nodeBuiltin('node:module');
  if (fs !== null && nodeModule !== null) {
    try {
      const context = nodeModule.createRequire(import.meta.url)('gl')(1, 1) as WebGLRenderingContext | null;
      if (context === null) return null;
      const maps = fs.readFileSync('/proc/self/maps', 'utf8');
      const driver = maps.match(/\/([^/\s]*(?:_dri|GLX_nvidia|GLX_mesa)[^/\s]*\.so)/g)?.map((path) => path.slice(1)) ?? [];
      context.getExtension('STACKGL_destroy_context')?.destroy();
      const names = [...new Set(driver)];
      if (names.some((name) => name.startsWith('swrast_dri') || name.startsWith('kms_swrast'))) return `Mesa llvmpipe (software, ${names.join(', ')})`;
      return names.length > 0 ? names.join(', ') : 'unknown GL driver';
    } catch {
      return null;
    }
  }
  const context = probeCanvas()?.getContext('webgl2');
  if (!context) return null;
  const info = context.getExtension('WEBGL_debug_renderer_info');
  return String(context.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : context.RENDERER));
}

/** A canvas to read the renderer from: the page's, or an OffscreenCanvas in a worker (which has no document; gpu.js draws on one there). */
function probeCanvas(): HTMLCanvasElement | OffscreenCanvas | undefined {
  const document = (globalThis as { document?: { createElement(tag: 'canvas'): HTMLCanvasElement } }).document;
  if (document !== undefined) return document.createElement('canvas');
  return typeof OffscreenCanvas === 'undefined' ? undefined : new OffscreenCanvas(1, 1);
}

/** Maps the kernel object gpu.js actually ran to our backend names. */
export function executedOn(kernel: unknown): { name: BackendName; kernelClass: string } {
  if (kernel instanceof HeadlessGLKernel) return { name: 'webgl', kernelClass: 'HeadlessGLKernel' };
  if (kernel instanceof WebGLKernel) return { name: 'webgl', kernelClass: (kernel as object).constructor.name };
  if (kernel instanceof WebAssemblyKernel) return { name: 'webasm', kernelClass: 'WebAssemblyKernel' };
  if (kernel instanceof CPUKernel) return { name: 'cpu', kernelClass: 'CPUKernel' };
  return { name: 'cpu', kernelClass: String((kernel as object | undefined)?.constructor?.name) };
}
