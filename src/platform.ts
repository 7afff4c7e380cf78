/**
 * The library core's one door to the system around JavaScript.
 *
 * The tensors, kernels, layers, attacks and optimizer run in Node and in a
 * browser. A few things only Node has: a second thread for the webasm
 * backend (`node:worker_threads`), the number of cores (`node:os`), V8's
 * flags (`node:v8`), headless-gl and the file that says which GL driver it
 * loaded (`node:module`, `node:fs`). The core reaches them through
 * {@link nodeBuiltin}, at run time (`process.getBuiltinModule`), never with
 * an `import` of a `node:` module, so its import graph loads in a page
 * (test/platform.test.ts bundles it for the browser). Outside Node the door
 * is shut: `nodeBuiltin` answers null and the callers do without (one
 * thread, the page's WebGL2). Environment variables come through
 * environment.ts the same way.
 *
 * The parts that stay Node-only (reading datasets and checkpoints from
 * files, the training run's folder, the command line) import Node directly;
 * they are not part of the core (see src/browser.ts for what is).
 */

/** The Node built-in modules the core uses. */
export interface NodeBuiltins {
  'node:fs': typeof import('node:fs');
  'node:module': typeof import('node:module');
  'node:os': typeof import('node:os');
  'node:v8': typeof import('node:v8');
  'node:worker_threads': typeof import('node:worker_threads');
}

/** Node's built-in module `id` when running in Node (20.16 or later), else null. */
export function nodeBuiltin<ID extends keyof NodeBuiltins>(id: ID): NodeBuiltins[ID] | null {
  const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return (runtime?.getBuiltinModule?.(id) as NodeBuiltins[ID] | undefined) ?? null;
}

/** Whether this is Node (rather than a browser or another runtime). */
export function isNode(): boolean {
  return nodeBuiltin('node:os') !== null;
}

/** Cores this machine offers: Node's count, the browser's `navigator.hardwareConcurrency`, or 1. */
export function availableCores(): number {
  const os = nodeBuiltin('node:os');
  if (os !== null) return os.availableParallelism();
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
}
