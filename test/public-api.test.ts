/**
 * The main entry point (`import … from 'robustnorm'`) is an API a user can
 * hold in their head: at most 150 names (values and types, as TypeScript
 * sees them), the ops grouped in `ops`, and what the library uses inside in
 * `robustnorm/internals` (src/internals.ts), not here.
 */
import { resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/** Every name a module exports, types included. */
function exportedNames(file: string): string[] {
  const program = ts.createProgram([file], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const module = source === undefined ? undefined : checker.getSymbolAtLocation(source);
  if (module === undefined) throw new Error(`cannot read the exports of ${file}`);
  return checker.getExportsOfModule(module).map((symbol) => symbol.name);
}

describe('the public API', () => {
  const main = exportedNames(resolve(__dirname, '../src/index.ts'));
  const internals = exportedNames(resolve(__dirname, '../src/internals.ts'));

  it('has at most 150 names in the main entry', () => {
    expect(main.length).toBeGreaterThan(50); // it did read them
    expect(main.length).toBeLessThanOrEqual(150);
  });

  it('keeps the internals out of the main entry and in robustnorm/internals', () => {
    const inside = ['rangeNormalizeForward', 'rangeNormalizeBackward', 'standardizeBackward', 'keepBuffer', 'setCheckBuffers', 'glRenderer', 'argmaxOf', 'addRelu', 'normRelu', 'batchNorm2dFused'];
    for (const name of inside) {
      expect(main, name).not.toContain(name);
      expect(internals, name).toContain(name);
    }
    expect(main.filter((name) => internals.includes(name))).toEqual([]);
  });

  it('groups the ops in ops, and keeps the layers, models, attacks and the readable-path switch at the top', () => {
    for (const name of ['ops', 'Tensor', 'BatchNorm2d', 'RobustNorm2d', 'buildModel', 'SGD', 'pgd', 'setBackend', 'fastPathFor']) expect(main, name).toContain(name);
  });
});
