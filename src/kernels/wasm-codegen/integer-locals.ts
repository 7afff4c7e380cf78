/**
 * Pass 1, integer locals. gpu.js declares every `const` and every loop
 * counter as f32, so each array read does float index arithmetic, a
 * saturating float→int conversion and a clamp. This pass makes a `const`
 * whose initializer is integer-valued (`this.thread.*`, integer literals and
 * constants, `Math.floor/ceil/round/trunc` of an integer or of an integer
 * divided by a literal, `Math.min/max` of integers, and `+ - *` of those) an
 * i32 local, converted once; and gives a counting
 * `for (let i = <int>; i < <int>; i++ / i += <int>)` whose body never
 * assigns the counter an i32 counter. Integer arithmetic below 2²⁴ is exact
 * in f32 too, so indices and the values computed from them are the same;
 * the one difference in bits is that an integer const equal to zero after a
 * negative product is +0 where f32 gave −0. (Helper functions called with
 * such a value see an Integer argument.)
 *
 * It also records, for the later passes, which integer locals are provably
 * ≥ 0 (pass 3), their lane patterns (pass 2) and ranges (pass 5). Its `for`
 * statements are where pass 6 starts too: once a loop's counter is known to
 * be an i32, bottom-tested-loops.ts may emit the loop in its own shape.
 */
import { facts, forget, type Ast, type CodegenState, type FunctionNode } from './function-node.js';
import { emitBottomTestedLoop, bottomTestedTrips } from './bottom-tested-loops.js';
import { lanesOf } from './lanes.js';
import { noteCounterRange, recordRange } from './in-bounds.js';

/** Whether an expression is integer-valued (an i32 computes it exactly). */
export function isIntegerValued(node: FunctionNode, ast: Ast): boolean {
  switch (ast.type) {
    case 'Literal':
      return typeof ast.value === 'number' && Number.isInteger(ast.value);
    case 'Identifier': {
      const declaration = node.getDeclaration(ast);
      return declaration !== null && declaration !== undefined && declaration.valueType === 'Integer';
    }
    case 'MemberExpression': {
      const signature = node.getVariableSignature(ast);
      if (signature === 'this.thread.value' || signature === 'this.output.value') return true;
      if (signature === 'this.constants.value') return node.getType(ast) === 'Integer';
      return false;
    }
    case 'BinaryExpression':
      return (ast.operator === '+' || ast.operator === '-' || ast.operator === '*') && isIntegerValued(node, ast.left) && isIntegerValued(node, ast.right);
    case 'CallExpression': {
      const callee = ast.callee;
      if (callee?.type !== 'MemberExpression' || callee.object?.name !== 'Math') return false;
      const name = callee.property?.name;
      // rounding an integer, or an integer divided by a literal (Math.floor(i / 28)); rounding
      // arbitrary data stays f32, where NaN, ±∞ and −0 keep their values
      const argument = ast.arguments[0];
      const isQuotient = argument?.type === 'BinaryExpression' && argument.operator === '/' && isIntegerValued(node, argument.left) &&
        argument.right.type === 'Literal' && Number.isInteger(argument.right.value) && argument.right.value !== 0;
      if (name === 'floor' || name === 'ceil' || name === 'round' || name === 'trunc') return ast.arguments.length === 1 && (isQuotient || isIntegerValued(node, argument));
      if (name === 'min' || name === 'max') return ast.arguments.length > 0 && ast.arguments.every((each: Ast) => isIntegerValued(node, each));
      return false;
    }
    case 'ConditionalExpression':
      return isIntegerValued(node, ast.consequent) && isIntegerValued(node, ast.alternate);
    default:
      return false;
  }
}

/** Whether `body` assigns (or increments) the variable `name` anywhere. */
export function assigns(body: Ast, name: string): boolean {
  if (body === null || typeof body !== 'object') return false;
  if (Array.isArray(body)) return body.some((child) => assigns(child, name));
  if (body.type === 'AssignmentExpression' && body.left.type === 'Identifier' && body.left.name === name) return true;
  if (body.type === 'UpdateExpression' && body.argument.type === 'Identifier' && body.argument.name === name) return true;
  for (const key in body) {
    if (key === 'loc' || key === 'start' || key === 'end' || key === 'parent') continue;
    if (assigns(body[key], name)) return true;
  }
  return false;
}

/** `for (let i = <int>; i <op> <int expr>; i++ | i-- | i += <int> | i -= <int>)`, counter untouched by the body; a rising one is noted in `state`. */
export function isCountingLoop(node: FunctionNode, forNode: Ast, state: CodegenState): boolean {
  const init = forNode.init;
  if (init?.type !== 'VariableDeclaration' || init.kind !== 'let' || init.declarations.length !== 1) return false;
  const declarator = init.declarations[0];
  if (declarator.id.type !== 'Identifier' || !isIntegerValued(node, declarator.init ?? { type: 'None' }) || declarator.init.type !== 'Literal') return false;
  const name = declarator.id.name;
  const test = forNode.test;
  if (test?.type !== 'BinaryExpression' || !['<', '<=', '>', '>=', '!=', '!=='].includes(test.operator)) return false;
  if (test.left.type !== 'Identifier' || test.left.name !== name) return false;
  const bound = test.right;
  if (!(bound.type === 'Literal' ? Number.isInteger(bound.value) : node.getType(bound) === 'Integer')) return false;
  const update = forNode.update;
  const isCounter = (ast: { type: string; name?: string }) => ast.type === 'Identifier' && ast.name === name;
  const byUpdate = update?.type === 'UpdateExpression' && isCounter(update.argument);
  const byStep = update?.type === 'AssignmentExpression' && (update.operator === '+=' || update.operator === '-=') && isCounter(update.left) && update.right.type === 'Literal' && Number.isInteger(update.right.value);
  const counting = (byUpdate || byStep) && !assigns(forNode.body, name);
  const rising = byUpdate ? update.operator === '++' : update.operator === '+=' && update.right.value >= 0;
  if (counting && rising && declarator.init.value >= 0) state.risingCounters.add(declarator);
  return counting;
}

/** Whether an integer-valued expression is provably ≥ 0 (thread ids, rising counters, sums and products of those). */
export function isNonNegative(node: FunctionNode, ast: Ast): boolean {
  switch (ast.type) {
    case 'Literal':
      return typeof ast.value === 'number' && ast.value >= 0;
    case 'Identifier':
      return facts(node).nonNegative.has(ast.name);
    case 'MemberExpression': {
      const signature = node.getVariableSignature(ast);
      return signature === 'this.thread.value' || signature === 'this.output.value';
    }
    case 'BinaryExpression':
      return (ast.operator === '+' || ast.operator === '*') && isNonNegative(node, ast.left) && isNonNegative(node, ast.right);
    case 'CallExpression': {
      const name = ast.callee?.object?.name === 'Math' ? ast.callee.property?.name : null;
      if (name === 'min' || name === 'max') return ast.arguments.every((argument: Ast) => isNonNegative(node, argument));
      const quotient = ast.arguments[0];
      return name === 'floor' && quotient?.type === 'BinaryExpression' && quotient.operator === '/' && isNonNegative(node, quotient.left) && quotient.right.type === 'Literal' && quotient.right.value > 0;
    }
    default:
      return false;
  }
}

/** A declarator that becomes an i32: an integer-valued `const`, or a counting loop's counter. */
function isIntegerDeclaration(node: FunctionNode, varDecNode: Ast, declaration: Ast, state: CodegenState): boolean {
  if (declaration.id.type !== 'Identifier' || !declaration.init) return false;
  if (state.counters.has(declaration)) return true;
  return varDecNode.kind === 'const' && isIntegerValued(node, declaration.init);
}

/** Marks a counting loop's counter (an i32 when declared), and its range. */
function noteCounter(node: FunctionNode, forNode: Ast, state: CodegenState): void {
  if (!forNode.init || !isCountingLoop(node, forNode, state)) return;
  const declarator = forNode.init.declarations[0];
  state.counters.add(declarator as object);
  noteCounterRange(forNode, state);
}

/** Replaces gpu.js's declarations and `for` statements (scalar and SIMD) on `proto`. */
export function installIntegerLocals(proto: FunctionNode & Record<string, unknown>, state: CodegenState): void {
  const { stock, counts, risingCounters } = state;
  const vectorLoads = state.passes.has('vector-loads');

  proto.stmtVariableDeclaration = function (this: FunctionNode, varDecNode: { declarations: unknown[] }) {
    for (const declaration of varDecNode.declarations) {
      const single = { ...varDecNode, declarations: [declaration] };
      const id = (declaration as { id: { type: string; name: string } }).id;
      if (id.type === 'Identifier') forget(this, id.name);
      if (!isIntegerDeclaration(this, single, declaration, state)) {
        stock.stmtVariableDeclaration.call(this, single);
        continue;
      }
      const { init } = declaration as { init: unknown };
      (this.getDeclaration(id) as { valueType: string }).valueType = 'Integer';
      if (risingCounters.has(declaration as object) || isNonNegative(this, init)) facts(this).nonNegative.add(id.name);
      recordRange(this, single, declaration, state);
      // emitIndex leaves any integer-valued expression as an i32 (exactly: f32 results here are whole numbers)
      this.setScalarLocal(id.name, 'i32', 'Integer', () => this.emitIndex(init));
      counts.integerLocals++;
      if (this.isThreadDependent(init)) this.taintedLocals.add(id.name);
    }
  };

  proto.vDeclareVarying = function (this: FunctionNode, declaration: { id: { name: string }; init: unknown }, varDecNode: { kind?: string }) {
    forget(this, declaration.id.name);
    if (!isIntegerDeclaration(this, varDecNode, declaration, state)) return stock.vDeclareVarying.call(this, declaration, varDecNode);
    (this.getDeclaration(declaration.id) as { valueType: string }).valueType = 'Integer';
    this.vSetVaryingScalar(declaration.id.name, 'vi32', 'Integer', () => this.vEmitIndex(declaration.init));
    counts.integerLocals++;
    recordRange(this, varDecNode, declaration, state);
    if (varDecNode.kind !== 'const' || !vectorLoads) return;
    const lanes = lanesOf(this, declaration.init);
    if (lanes !== null) facts(this).lanes.set(declaration.id.name, lanes);
    if (lanes !== null && this.vMaskDepth === 0) {
      // keep lane 0's value as a scalar too: vector-load addresses are computed from it
      const local = this.locals.get(declaration.id.name) as { index: number };
      const lane0 = this.em.addLocal('i32');
      this.em.localGet(local.index).i32x4ExtractLane(0).localSet(lane0);
      facts(this).lane0.set(declaration.id.name, lane0);
    }
  };

  proto.stmtFor = function (this: FunctionNode, forNode: Ast) {
    noteCounter(this, forNode, state);
    const trips = bottomTestedTrips(this, forNode, state);
    if (trips === null) return stock.stmtFor.call(this, forNode);
    this.recordUniformity('for', forNode.test);
    emitBottomTestedLoop(this, forNode, trips, false, state);
  };

  proto.vstmtFor = function (this: FunctionNode, forNode: Ast) {
    noteCounter(this, forNode, state);
    const trips = bottomTestedTrips(this, forNode, state);
    // a lane-varying trip count needs gpu.js's masked loop
    const varying = this.vInfo.exprVarying(forNode.test) || this.vInfo.hasVaryingExit(forNode.body, false);
    if (trips === null || varying) return stock.vstmtFor.call(this, forNode);
    emitBottomTestedLoop(this, forNode, trips, true, state);
  };
}
