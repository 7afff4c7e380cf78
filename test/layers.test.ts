/**
 * The import graph of src/: every module imports only from its own layer or
 * the layers below it, and the only cycle is the documented tensor ↔ ops one
 * (see src/tensor/tensor.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Bottom to top. A module may import from its own layer and any layer before it in this list. */
const LAYERS: readonly (readonly string[])[] = [
  ['random.ts', 'environment.ts', 'platform.ts', 'buffer-pool.ts'],
  ['kernels'],
  ['tensor', 'ops'],
  ['nn', 'fast', 'testing'],
  ['optim'],
  ['models'],
  ['data'],
  ['checkpoint'],
  ['training'],
  ['attacks'],
  ['experiments'],
  ['cli'],
  ['browser.ts', 'index.ts', 'internals.ts'],
];

const SRC = resolve(__dirname, '../src');

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    return entry.isDirectory() ? sourceFiles(path) : entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The src files a file imports or re-exports from (relative specifiers only; `.js` names the `.ts` source). */
export function importsOf(file: string, text = readFileSync(file, 'utf8')): string[] {
  const specifiers = [...text.matchAll(/^\s*(?:import|export)\b[^'";]*?from\s+'(\.{1,2}\/[^']+)'/gm)].map((match) => match[1] as string);
  return specifiers.map((specifier) => resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
}

function layerOf(file: string): number {
  const top = relative(SRC, file).split('/')[0] as string;
  const layer = LAYERS.findIndex((names) => names.includes(top));
  if (layer < 0) throw new Error(`${relative(SRC, file)} is in no layer: add "${top}" to LAYERS in test/layers.test.ts`);
  return layer;
}

/** Every cycle in the graph, each as its list of files (found by a depth-first search). */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push(path.slice(path.indexOf(next)));
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

describe('the import graph of src/', () => {
  const files = sourceFiles(SRC);
  const graph = new Map(files.map((file) => [file, importsOf(file)]));

  it('reads imports and re-exports, and resolves them to files that exist', () => {
    const sample = importsOf(join(SRC, 'a/b.ts'), "import { x } from '../c/d.js';\nexport { y } from './e.js';\nimport type { Z } from 'ndarray';\n");
    expect(sample.map((file) => relative(SRC, file))).toEqual(['c/d.ts', 'a/e.ts']);
    const known = new Set(files);
    const missing = [...graph].flatMap(([file, targets]) => targets.filter((target) => !known.has(target)).map((target) => `${relative(SRC, file)} → ${relative(SRC, target)}`));
    expect(missing).toEqual([]);
  });

  it('has every module import only from its own layer or below', () => {
    const upward = [...graph].flatMap(([file, targets]) =>
      targets.filter((target) => layerOf(target) > layerOf(file)).map((target) => `${relative(SRC, file)} → ${relative(SRC, target)}`));
    expect(upward).toEqual([]);
  });

  it('has no import cycle but the documented tensor ↔ ops one', () => {
    const isTensorOps = (cycle: string[]) => cycle.every((file) => /^(tensor|ops)\//.test(relative(SRC, file))) && cycle.some((file) => relative(SRC, file) === 'tensor/tensor.ts');
    const others = cycles(graph).filter((cycle) => !isTensorOps(cycle)).map((cycle) => cycle.map((file) => relative(SRC, file)).join(' → '));
    expect(others).toEqual([]);
  });

  it('finds an upward import and a cycle when there is one', () => {
    const a = join(SRC, 'nn/a.ts');
    const b = join(SRC, 'cli/b.ts');
    expect(layerOf(b) > layerOf(a)).toBe(true);
    expect(cycles(new Map([[a, [b]], [b, [a]]]))).toHaveLength(1);
  });
});
