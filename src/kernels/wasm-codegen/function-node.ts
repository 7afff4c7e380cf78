/**
 * What the code generator's passes share: the parts of gpu.js's
 * `WebAssemblyFunctionNode` they read and call, the state of one
 * installation (what stock gpu.js did, what the passes emitted), and the
 * facts proven about a kernel's locals while it compiles.
 *
 * gpu.js 2.24.1 ships no types for its WebAssembly code generator, so the
 * interfaces here list what the passes use, as the passes use it. Its AST
 * (acorn's ESTree nodes) stays loosely typed: the passes read a node's
 * fields after checking its `type`, as gpu.js itself does.
 */

/** A node of a kernel's parsed source (acorn's ESTree), as gpu.js hands it over. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Ast = any;

/** gpu.js's WebAssembly emitter: each instruction a method that appends it and returns the emitter. */
export interface Emitter {
  bytes: number[];
  addLocal(type: 'i32' | 'v128'): number;
  localGet(index: number): Emitter;
  localSet(index: number): Emitter;
  localTee(index: number): Emitter;
  globalGet(index: number): Emitter;
  i32Const(value: number): Emitter;
  i32Add(): Emitter;
  i32Sub(): Emitter;
  i32Mul(): Emitter;
  i32Shl(): Emitter;
  i32GeS(): Emitter;
  i32LeU(): Emitter;
  select(): Emitter;
  f32Load(offset: number): Emitter;
  v128Load(offset: number): Emitter;
  v128ConstI32x4(a: number, b: number, c: number, d: number): Emitter;
  i32x4Splat(): Emitter;
  i32x4ExtractLane(lane: number): Emitter;
  i32x4Add(): Emitter;
  i32x4Eq(): Emitter;
  i32x4AllTrue(): Emitter;
  i32x4MaxS(): Emitter;
  i32x4MinS(): Emitter;
  f32x4Splat(): Emitter;
  f32x4ReplaceLane(lane: number): Emitter;
  if_(type: string): Emitter;
  else_(): Emitter;
  end(): Emitter;
}

/** A local of the function being compiled. */
export interface Local {
  index: number;
  kind: string;
  wtype: string;
}

/** Where an array argument lies in the kernel's memory. */
export interface ArrayLayout {
  offset: number;
  flatLength: number;
}

/** A loop's levels, as gpu.js keeps them for `break` and `continue`. */
export interface LoopLevels {
  breakLevel: number;
  continueLevel: number;
  varying?: boolean;
}

/**
 * The parts of gpu.js's `WebAssemblyFunctionNode` (one kernel function being
 * compiled) that the passes use. `vec` is true in the SIMD walk, where four
 * consecutive thread.x run as one f32x4 quad.
 */
export interface FunctionNode {
  em: Emitter;
  locals: Map<string, Local>;
  assembler: { globals: { threadX: number }; layout: Record<string, Record<string, ArrayLayout>> };
  output?: number[];
  vec: boolean;
  depth: number;
  vMaskDepth: number;
  vRetMask: number;
  vTerminated: boolean;
  vLoopStack: LoopLevels[];
  loopStack: LoopLevels[];
  taintedLocals: Set<string>;
  vInfo: { exprVarying(ast: Ast): boolean; hasVaryingExit(body: Ast, inLoop: boolean): boolean };
  getDeclaration(ast: Ast): { valueType: string } | null | undefined;
  getVariableSignature(ast: Ast): string;
  getType(ast: Ast): string;
  isThreadDependent(ast: Ast): boolean;
  setScalarLocal(name: string, wtype: 'i32', type: 'Integer', emit: () => void): void;
  vSetVaryingScalar(name: string, wtype: 'vi32', type: 'Integer', emit: () => void): void;
  emitIndex(ast: Ast): void;
  vEmitIndex(ast: Ast): void;
  vZero(): void;
  recordUniformity(kind: string, test: Ast): void;
  forLoopIsSafe(forNode: Ast): boolean;
  enterBlock(): void;
  enterLoop(): void;
  exit(): void;
  brIfTo(level: number): void;
  emitCondition(test: Ast): void;
  statement(ast: Ast): void;
  vstatement(ast: Ast): void;
  statementExpression(ast: Ast): void;
  vstatementExpression(ast: Ast): void;
  stmtVariableDeclaration(ast: Ast): void;
  vstmtVariableDeclaration(ast: Ast): void;
}

/**
 * The methods of `WebAssemblyFunctionNode` that installing saves and puts
 * back first: the ones the passes replace (each calls gpu.js's own where it
 * does not apply), and three they call (vEmitIndex, setScalarLocal,
 * vSetVaryingScalar), so that an installation always starts from stock gpu.js.
 */
export const PATCHED_METHODS = ['stmtVariableDeclaration', 'vDeclareVarying', 'stmtFor', 'vstmtFor', 'vGather', 'vEmitIndex', 'setScalarLocal', 'vSetVaryingScalar', 'emitFlatLoad', 'vCoerce'] as const;

/** gpu.js's own methods, kept when the passes replace them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- gpu.js's methods, called with their own arguments
export type StockMethods = Record<(typeof PATCHED_METHODS)[number], (this: FunctionNode, ...args: any[]) => any>;

/** How often each pass changed what gpu.js emits (read by the start-up self-test and the tests). */
export interface CodegenCounts {
  integerLocals: number;
  vectorLoads: number;
  foldedOffsets: number;
  bottomTestedLoops: number;
  splatLoads: number;
  unclampedVectorLoads: number;
}

/** One installation's state, shared by its passes. */
export interface CodegenState {
  stock: StockMethods;
  counts: CodegenCounts;
  /** Declarators of counting loops' counters (marked by the loop, read by the declaration). */
  counters: WeakSet<object>;
  /** Of those, the ones that start at 0 or more and only count up. */
  risingCounters: WeakSet<object>;
  /** Which passes are installed (a pass that needs another checks here). */
  passes: ReadonlySet<CodegenPass>;
  /** The values a counting loop's counter takes, by declarator (pass 5). */
  counterRanges: WeakMap<object, Range>;
}

/** The passes, in the order of wasm-codegen.ts's list (6: loops tested at the bottom, bottom-tested-loops.ts). */
export const CODEGEN_PASSES = ['integer-locals', 'vector-loads', 'folded-offsets', 'splat-loads', 'unclamped-vector-loads', 'bottom-tested-loops'] as const;
export type CodegenPass = (typeof CODEGEN_PASSES)[number];

/** A range of integers, [lo, hi]. */
export interface Range {
  lo: number;
  hi: number;
}

/**
 * How an integer expression varies across the four lanes of a SIMD quad:
 * lane k holds lane0 + k · step, and lane0 is a multiple of `align`.
 */
export interface Lanes {
  step: number;
  align: number;
}

/** What is proven about the locals of the function being compiled, by name. */
export interface Facts {
  /** Integer locals provably ≥ 0 (pass 3 folds offsets only for these). */
  nonNegative: Set<string>;
  /** Lane patterns of varying integer consts (pass 2). */
  lanes: Map<string, Lanes | null>;
  /** The local holding lane 0's value of a varying integer const (pass 2). */
  lane0: Map<string, number>;
  /** Ranges of integer consts and counters (pass 5). */
  ranges: Map<string, Range>;
  /** Initializers of integer consts, to see a remainder through a name (pass 5). */
  definitions: Map<string, Ast>;
}

/** gpu.js reuses a node for several functions; facts hold for one emitter (one function body). */
const factsOf = new WeakMap<FunctionNode, { emitter: Emitter; facts: Facts }>();

/** The facts proven so far about the function `node` is compiling. */
export function facts(node: FunctionNode): Facts {
  const known = factsOf.get(node);
  if (known !== undefined && known.emitter === node.em) return known.facts;
  const fresh: Facts = { nonNegative: new Set(), lanes: new Map(), lane0: new Map(), ranges: new Map(), definitions: new Map() };
  factsOf.set(node, { emitter: node.em, facts: fresh });
  return fresh;
}

/** Drops what was proven about an earlier variable of this name (gpu.js reuses one local per name). */
export function forget(node: FunctionNode, name: string): void {
  const known = facts(node);
  known.lanes.delete(name);
  known.lane0.delete(name);
  known.nonNegative.delete(name);
  known.ranges.delete(name);
  known.definitions.delete(name);
}
