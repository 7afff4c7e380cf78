/**
 * Pass 6, loop shape for V8's optimizing compiler.
 *
 * Measured on the forward convolution (one core, GFLOP/s): V8's baseline
 * compiler (Liftoff) ran gpu.js's loops at ≈16 and its optimizing compiler
 * (TurboFan, which takes over once a function is hot) at ≈11, for two
 * reasons that show in TurboFan's machine code (node --print-wasm-code):
 *  - gpu.js tests the condition at the top of the loop. TurboFan then
 *    keeps loop-invariant work (here the lanes' index vector, with its
 *    f32x4 division) inside the loop: ≈45 instructions an iteration.
 *    Testing at the bottom (a do-while, entered only when the first test
 *    holds, which for literal bounds is known here) lets it hoist them.
 *  - TurboFan schedules each operation as late as it can, so a loop body
 *    of unrolled steps (`const v = …; y0 += w·v; … y3 += w·v;` nine times)
 *    issues all its loads first and keeps ≈45 vectors live in 16
 *    registers: 62 spills and reloads an iteration. After each run of
 *    assignments to variables of the enclosing scope we emit a branch out
 *    of the loop that is never taken (`i ≥ bound + k`: i < bound inside the
 *    body, as the body never assigns i). The values assigned are needed
 *    on that exit, so TurboFan computes them before the branch, and the
 *    next step's loads come after it. Each branch tests a different
 *    constant k, or TurboFan would merge them.
 * Together: ≈11 → ≈20 GFLOP/s, bit-identical (same operations in the same
 * order; only the control flow around them changes).
 *
 * Applies to counting loops (see isCountingLoop) of the form
 * `for (let i = a; i < b; i++ or i += step)` with literal a, b, step > 0,
 * an i32 counter, and gpu.js's "safe" loop (no iteration cap).
 */

import type { Ast, CodegenState, FunctionNode, LoopLevels } from './function-node.js';

/** How many times a bottom-tested loop of this shape runs, or null when the pass does not apply. */
export function bottomTestedTrips(node: FunctionNode, forNode: Ast, state: CodegenState): number | null {
  if (!state.passes.has('bottom-tested-loops')) return null;
  const declarator = forNode.init?.declarations?.[0];
  if (declarator === undefined || !state.counters.has(declarator) || !state.risingCounters.has(declarator)) return null;
  const { test, update } = forNode;
  if (test.operator !== '<' || test.right.type !== 'Literal' || !Number.isInteger(test.right.value)) return null;
  const step = update.type === 'UpdateExpression' ? 1 : update.right.value;
  if (!(step > 0) || !node.forLoopIsSafe(forNode)) return null;
  const first = declarator.init.value as number;
  const bound = test.right.value as number;
  return first < bound ? Math.ceil((bound - first) / step) : 0;
}

/** Emits `forNode` (which runs `trips` times) tested at the bottom, with a never-taken exit after each run of assignments to outer variables. */
export function emitBottomTestedLoop(node: FunctionNode, forNode: Ast, trips: number, simd: boolean, state: CodegenState): void {
  if (simd) node.vstmtVariableDeclaration(forNode.init);
  else node.stmtVariableDeclaration(forNode.init);
  if (trips === 0) return;
  const name = forNode.init.declarations[0].id.name;
  const counter = node.locals.get(name);
  const bound = forNode.test.right.value as number;
  node.enterBlock();
  const breakLevel = node.depth;
  node.enterLoop();
  const loopLevel = node.depth;
  node.enterBlock();
  const continueLevel = node.depth;
  const statements: Ast[] = forNode.body.type === 'BlockStatement' ? forNode.body.body : [forNode.body];
  const declaredInside = new Set<string>();
  const assignsOuter = (statement: Ast): boolean => {
    const expression = statement.type === 'ExpressionStatement' ? statement.expression : null;
    return expression?.type === 'AssignmentExpression' && expression.left.type === 'Identifier' && !declaredInside.has(expression.left.name);
  };
  let anchors = 0;
  const anchor = () => {
    if (counter?.kind !== 'scalar' || counter.wtype !== 'i32') return;
    node.em.localGet(counter.index).i32Const(bound + anchors++).i32GeS();
    node.brIfTo(breakLevel);
  };
  if (simd) {
    node.vLoopStack.push({ varying: false, breakLevel, continueLevel } satisfies LoopLevels);
    const terminated = node.vTerminated;
    node.vTerminated = false;
    statements.forEach((statement, i) => {
      if (node.vTerminated) return;
      if (statement.type === 'VariableDeclaration') for (const d of statement.declarations) declaredInside.add(d.id.name);
      node.vstatement(statement);
      if (!node.vTerminated && assignsOuter(statement) && i + 1 < statements.length && !assignsOuter(statements[i + 1])) anchor();
    });
    node.vTerminated = terminated;
    node.vLoopStack.pop();
  } else {
    node.loopStack.push({ breakLevel, continueLevel });
    statements.forEach((statement, i) => {
      if (statement.type === 'VariableDeclaration') for (const d of statement.declarations) declaredInside.add(d.id.name);
      node.statement(statement);
      if (assignsOuter(statement) && i + 1 < statements.length && !assignsOuter(statements[i + 1])) anchor();
    });
    node.loopStack.pop();
  }
  node.exit();
  if (simd) node.vstatementExpression(forNode.update);
  else node.statementExpression(forNode.update);
  node.emitCondition(forNode.test);
  node.brIfTo(loopLevel);
  node.exit();
  node.exit();
  state.counts.bottomTestedLoops++;
}
