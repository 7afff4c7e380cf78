/**
 * A better code generator for gpu.js's WebAssembly mode, installed at run time
 * over gpu.js 2.24.1 (pinned exactly in package.json). Written as a patch that
 * could go upstream: it changes what gpu.js emits, never what a kernel means.
 *
 * Why (measured on the project's conv forward kernel; docs/performance.md):
 * gpu.js declares every `const` and every loop counter as f32. Each array
 * read then does float index arithmetic, a saturating float→int conversion,
 * a clamp and four scalar loads with lane inserts, even when the four lanes
 * of the SIMD quad read four consecutive floats. One input channel of the
 * conv kernel was ≈595 wasm instructions, 72 of them the multiply-adds.
 *
 * What it changes:
 *  1. Integer locals. A `const` whose initializer is integer-valued
 *     (`this.thread.*`, integer literals and constants, `Math.floor/ceil/
 *     round/trunc` of an integer or of an integer divided by a literal,
 *     `Math.min/max` of integers, and `+ - *` of those) becomes an i32 local,
 *     converted once. A counting `for (let i = <int>; i < <int>; i++ /
 *     i += <int>)` whose body never assigns the counter gets an i32 counter.
 *     Integer arithmetic below 2²⁴ is exact in f32 too, so indices and the
 *     values computed from them are the same; the one difference in bits is
 *     that an integer const equal to zero after a negative product is +0
 *     where f32 gave −0. (Helper functions called with such a value see an
 *     Integer argument.)
 *  2. Vector loads. In the SIMD walk (four consecutive thread.x per call), a
 *     read `a[i]` whose four lane indices are consecutive becomes one
 *     `v128.load` at lane 0's index instead of four scalar loads. Proven at
 *     compile time where i = uniform + this.thread.x, through const locals
 *     and `Math.floor(this.thread.x / d)` with d a multiple of 4 (a quad
 *     never straddles a multiple of d); where it cannot be proven, tested at
 *     run time (an i32x4 compare), with gpu.js's gather as the other branch;
 *     where the lanes provably step by another amount, gpu.js's gather as
 *     before. The vector index is clamped into the array (an unsigned compare
 *     and a select), so a wild index never reads outside it, as gpu.js's
 *     gather guarantees. Only where all four lanes are live threads: outside
 *     divergent branches, in kernels without a lane-divergent early return.
 *  3. Constant offsets in the load instruction, for reads `a[b + L]` whose
 *     base b is provably ≥ 0 (the address is the same).
 *  4. Splatting loads. A uniform read that enters a vector expression (a
 *     weight multiplied into four lanes) is one `v128.load32_splat` instead
 *     of `f32.load` and `f32x4.splat` (measured: conv forward 18.0 → 19.6
 *     GFLOP/s on one core).
 *  5. Vector loads without the clamp where interval arithmetic proves lane
 *     0's index inside the array for every quad (the 16-channel forward and
 *     input-gradient kernels: 12.6–13.5 → 14.8–15.1 GFLOP/s in alternating
 *     runs on a loaded machine), a constant term going into the offset.
 *
 * gpu.js's scalar and SIMD paths stay bit-identical to each other, and to
 * stock gpu.js: test/wasm-codegen.test.ts runs every kernel both ways on
 * odd shapes and compares the bits.
 *
 * The webasm helper thread installs it too, on its own gpu.js
 * (helper-worker.ts imports this module).
 */

/** What `installWasmCodegen` did. */
export interface WasmCodegenStatus {
  installed: boolean;
  /** Why not, when not installed. */
  reason?: string;
}

/**
 * Installs the improved code generator on gpu.js's `WebAssemblyFunctionNode`
 * (idempotent). `enabled: false` restores stock gpu.js (for the bit-identity
 * tests). Kernels compiled afterwards use the chosen generator.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function installWasmCodegen(gpujs: any, enabled = true): WasmCodegenStatus {
  const proto = gpujs?.WebAssemblyFunctionNode?.prototype;
  const methods = ['stmtVariableDeclaration', 'vDeclareVarying', 'stmtFor', 'vstmtFor', 'vGather', 'vEmitIndex', 'setScalarLocal', 'vSetVaryingScalar', 'emitFlatLoad', 'vCoerce'];
  const missing = proto === undefined ? ['WebAssemblyFunctionNode'] : methods.filter((name) => typeof proto[name] !== 'function');
  if (missing.length > 0) return { installed: false, reason: `gpu.js has no ${missing.join(', ')} (not version 2.24.1?)` };
  const stock = proto.__stockCodegen ?? (proto.__stockCodegen = Object.fromEntries(methods.map((name) => [name, proto[name]])));
  for (const name of methods) proto[name] = stock[name];
  if (!enabled) return { installed: false, reason: 'turned off' };
  // what the improved paths emitted, read by the start-up self-test
  const counts = (proto.__codegenCounts = { integerLocals: 0, vectorLoads: 0, foldedOffsets: 0, bottomTestedLoops: 0, splatLoads: 0, unclampedVectorLoads: 0 });

  // declarators of counting loops' counters (marked by the loop, read by the declaration)
  const counters = new WeakSet<object>();
  // of those, the ones that start at 0 or more and only count up
  const risingCounters = new WeakSet<object>();

  // ---- which expressions are integer-valued ----------------------------------
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  function isIntegerValued(node: any, ast: any): boolean {
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
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        if (name === 'min' || name === 'max') return ast.arguments.length > 0 && ast.arguments.every((argument: any) => isIntegerValued(node, argument));
        return false;
      }
      case 'ConditionalExpression':
        return isIntegerValued(node, ast.consequent) && isIntegerValued(node, ast.alternate);
      default:
        return false;
    }
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  function assigns(body: any, name: string): boolean {
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

  /** `for (let i = <int>; i <op> <int expr>; i++ | i-- | i += <int> | i -= <int>)`, counter untouched by the body. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  function isCountingLoop(node: any, forNode: any): boolean {
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
    if (counting && rising && declarator.init.value >= 0) risingCounters.add(declarator);
    return counting;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  function nonNegativeNames(node: any): Set<string> {
    if (node.__nonNegative === undefined || node.__nonNegativeFor !== node.em) {
      node.__nonNegative = new Set();
      node.__nonNegativeFor = node.em;
    }
    return node.__nonNegative;
  }

  /** Whether an integer-valued expression is provably ≥ 0 (thread ids, rising counters, sums and products of those). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  function isNonNegative(node: any, ast: any): boolean {
    switch (ast.type) {
      case 'Literal':
        return typeof ast.value === 'number' && ast.value >= 0;
      case 'Identifier':
        return nonNegativeNames(node).has(ast.name);
      case 'MemberExpression': {
        const signature = node.getVariableSignature(ast);
        return signature === 'this.thread.value' || signature === 'this.output.value';
      }
      case 'BinaryExpression':
        return (ast.operator === '+' || ast.operator === '*') && isNonNegative(node, ast.left) && isNonNegative(node, ast.right);
      case 'CallExpression': {
        const name = ast.callee?.object?.name === 'Math' ? ast.callee.property?.name : null;
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        if (name === 'min' || name === 'max') return ast.arguments.every((argument: any) => isNonNegative(node, argument));
        const quotient = ast.arguments[0];
        return name === 'floor' && quotient?.type === 'BinaryExpression' && quotient.operator === '/' && isNonNegative(node, quotient.left) && quotient.right.type === 'Literal' && quotient.right.value > 0;
      }
      default:
        return false;
    }
  }

  /** A declarator that becomes an i32: an integer-valued `const`, or a counting loop's counter. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  function isIntegerDeclaration(node: any, varDecNode: any, declaration: any): boolean {
    if (declaration.id.type !== 'Identifier' || !declaration.init) return false;
    if (counters.has(declaration)) return true;
    return varDecNode.kind === 'const' && isIntegerValued(node, declaration.init);
  }

  // ---- 1. integer locals --------------------------------------------------------
  /** Drops what was proven about an earlier variable of this name (gpu.js reuses one local per name). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  function forget(node: any, name: string): void {
    laneMap(node).delete(name);
    lane0Map(node).delete(name);
    nonNegativeNames(node).delete(name);
    rangeMap(node).delete(name);
    definitionMap(node).delete(name);
  }

  proto.stmtVariableDeclaration = function (varDecNode: { declarations: unknown[] }) {
    for (const declaration of varDecNode.declarations) {
      const single = { ...varDecNode, declarations: [declaration] };
      const id = (declaration as { id: { type: string; name: string } }).id;
      if (id.type === 'Identifier') forget(this, id.name);
      if (!isIntegerDeclaration(this, single, declaration)) {
        stock.stmtVariableDeclaration.call(this, single);
        continue;
      }
      const { init } = declaration as { init: unknown };
      this.getDeclaration(id).valueType = 'Integer';
      if (risingCounters.has(declaration as object) || isNonNegative(this, init)) nonNegativeNames(this).add(id.name);
      recordRange(this, single, declaration);
      // emitIndex leaves any integer-valued expression as an i32 (exactly: f32 results here are whole numbers)
      this.setScalarLocal(id.name, 'i32', 'Integer', () => this.emitIndex(init));
      counts.integerLocals++;
      if (this.isThreadDependent(init)) this.taintedLocals.add(id.name);
    }
  };

  proto.vDeclareVarying = function (declaration: { id: { name: string }; init: unknown }, varDecNode: object) {
    forget(this, declaration.id.name);
    if (!isIntegerDeclaration(this, varDecNode, declaration)) return stock.vDeclareVarying.call(this, declaration, varDecNode);
    this.getDeclaration(declaration.id).valueType = 'Integer';
    this.vSetVaryingScalar(declaration.id.name, 'vi32', 'Integer', () => this.vEmitIndex(declaration.init));
    counts.integerLocals++;
    recordRange(this, varDecNode, declaration);
    if ((varDecNode as { kind?: string }).kind !== 'const') return;
    const lanes = lanesOf(this, declaration.init);
    if (lanes !== null) laneMap(this).set(declaration.id.name, lanes);
    if (lanes !== null && this.vMaskDepth === 0) {
      // keep lane 0's value as a scalar too: vector-load addresses are computed from it
      const local = this.locals.get(declaration.id.name);
      const lane0 = this.em.addLocal('i32');
      this.em.localGet(local.index).i32x4ExtractLane(0).localSet(lane0);
      lane0Map(this).set(declaration.id.name, lane0);
    }
  };

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  proto.stmtFor = function (forNode: any) {
    if (forNode.init && isCountingLoop(this, forNode)) noteCounter(forNode);
    const trips = bottomTestedTrips(this, forNode);
    if (trips === null) return stock.stmtFor.call(this, forNode);
    this.recordUniformity('for', forNode.test);
    emitBottomTestedLoop(this, forNode, trips, false);
  };

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  proto.vstmtFor = function (forNode: any) {
    if (forNode.init && isCountingLoop(this, forNode)) noteCounter(forNode);
    const trips = bottomTestedTrips(this, forNode);
    // a lane-varying trip count needs gpu.js's masked loop
    const varying = this.vInfo.exprVarying(forNode.test) || this.vInfo.hasVaryingExit(forNode.body, false);
    if (trips === null || varying) return stock.vstmtFor.call(this, forNode);
    emitBottomTestedLoop(this, forNode, trips, true);
  };

  // ---- 4. loop shape for V8's optimizing compiler ------------------------------
  /**
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
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  function bottomTestedTrips(node: any, forNode: any): number | null {
    const declarator = forNode.init?.declarations?.[0];
    if (declarator === undefined || !counters.has(declarator) || !risingCounters.has(declarator)) return null;
    const { test, update } = forNode;
    if (test.operator !== '<' || test.right.type !== 'Literal' || !Number.isInteger(test.right.value)) return null;
    const step = update.type === 'UpdateExpression' ? 1 : update.right.value;
    if (!(step > 0) || !node.forLoopIsSafe(forNode)) return null;
    const first = declarator.init.value as number;
    const bound = test.right.value as number;
    return first < bound ? Math.ceil((bound - first) / step) : 0;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  function emitBottomTestedLoop(node: any, forNode: any, trips: number, simd: boolean): void {
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
    const statements = forNode.body.type === 'BlockStatement' ? forNode.body.body : [forNode.body];
    const declaredInside = new Set<string>();
    const assignsOuter = (statement: any): boolean => {
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
      node.vLoopStack.push({ varying: false, breakLevel, continueLevel });
      const terminated = node.vTerminated;
      node.vTerminated = false;
      statements.forEach((statement: any, i: number) => {
        if (node.vTerminated) return;
        if (statement.type === 'VariableDeclaration') for (const d of statement.declarations) declaredInside.add(d.id.name);
        node.vstatement(statement);
        if (!node.vTerminated && assignsOuter(statement) && i + 1 < statements.length && !assignsOuter(statements[i + 1])) anchor();
      });
      node.vTerminated = terminated;
      node.vLoopStack.pop();
    } else {
      node.loopStack.push({ breakLevel, continueLevel });
      statements.forEach((statement: any, i: number) => {
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
    counts.bottomTestedLoops++;
  }

  // ---- 2. vector loads ------------------------------------------------------------
  /**
   * How an integer expression varies across the four lanes of a SIMD quad:
   * lane k holds lane0 + k · step, and lane0 is a multiple of `align`.
   * gpu.js starts every quad at a thread.x that is a multiple of 4 (quads
   * never cross an x-row), so this.thread.x is {step 1, align 4}, and
   * Math.floor(this.thread.x / 28) is the same in all four lanes.
   */
  interface Lanes { step: number; align: number }
  const gcd = (a: number, b: number): number => (b === 0 ? Math.abs(a) : gcd(b, a % b));

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  function laneMap(node: any): Map<string, Lanes | null> {
    if (node.__lanes === undefined || node.__lanesFor !== node.em) {
      node.__lanes = new Map();
      node.__lanesFor = node.em;
    }
    return node.__lanes;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  function lane0Map(node: any): Map<string, number> {
    laneMap(node);
    if (node.__lane0 === undefined || node.__lane0For !== node.em) {
      node.__lane0 = new Map();
      node.__lane0For = node.em;
    }
    return node.__lane0;
  }

  /**
   * Emits lane 0's value of an integer expression as a scalar i32, with the
   * same operations the vector code applies lane-wise (so the same value).
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  function emitLane0(node: any, ast: any): void {
    const em = node.em;
    if (!node.vInfo.exprVarying(ast)) {
      node.emitIndex(ast);
      return;
    }
    if (ast.type === 'Identifier' && lane0Map(node).has(ast.name)) {
      em.localGet(lane0Map(node).get(ast.name));
      return;
    }
    if (ast.type === 'MemberExpression' && node.getVariableSignature(ast) === 'this.thread.value' && ast.property.name === 'x') {
      em.globalGet(node.assembler.globals.threadX);
      return;
    }
    const ops: Record<string, string> = { '+': 'i32Add', '-': 'i32Sub', '*': 'i32Mul' };
    if (ast.type === 'BinaryExpression' && ops[ast.operator] !== undefined && node.getType(ast) === 'Integer') {
      emitLane0(node, ast.left);
      emitLane0(node, ast.right);
      em[ops[ast.operator] as string]();
      return;
    }
    // anything else: the vector value's lane 0
    node.vEmitIndex(ast);
    em.i32x4ExtractLane(0);
  }

  /** The quad's lane pattern of an integer expression, or null when not provable. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  function lanesOf(node: any, ast: any): Lanes | null {
    const literal = (side: any): number | null => (side.type === 'Literal' && Number.isInteger(side.value) ? side.value : null);
    if (!node.vInfo.exprVarying(ast)) return { step: 0, align: Math.abs(literal(ast) ?? 1) };
    switch (ast.type) {
      case 'Identifier':
        return laneMap(node).get(ast.name) ?? null;
      case 'MemberExpression':
        return node.getVariableSignature(ast) === 'this.thread.value' && ast.property.name === 'x' ? { step: 1, align: 4 } : null;
      case 'BinaryExpression': {
        const left = lanesOf(node, ast.left);
        const right = lanesOf(node, ast.right);
        if (left === null || right === null) return null;
        if (ast.operator === '+') return { step: left.step + right.step, align: gcd(left.align, right.align) };
        if (ast.operator === '-') return { step: left.step - right.step, align: gcd(left.align, right.align) };
        if (ast.operator === '*') {
          const factor = literal(ast.right) ?? literal(ast.left);
          const other = literal(ast.right) !== null ? left : right;
          if (factor !== null) return { step: other.step * factor, align: other.align * Math.abs(factor) };
        }
        return null;
      }
      case 'CallExpression': {
        // Math.floor(e / d): the same in every lane when lanes 0…3 of e stay in one block of d
        const callee = ast.callee;
        const quotient = ast.arguments[0];
        if (callee?.object?.name !== 'Math' || callee.property?.name !== 'floor' || quotient?.type !== 'BinaryExpression' || quotient.operator !== '/') return null;
        const divisor = literal(quotient.right);
        const dividend = lanesOf(node, quotient.left);
        if (divisor === null || divisor <= 0 || dividend === null || dividend.step < 0) return null;
        return 3 * dividend.step <= gcd(dividend.align, divisor) - 1 ? { step: 0, align: 1 } : null;
      }
      default:
        return null;
    }
  }

  proto.vGather = function (table: string, name: string, xProperty: unknown, yProperty: unknown, zProperty: unknown, mNode: unknown) {
    const layout = this.assembler.layout[table][name];
    // Only where all four lanes are live threads: outside divergent branches, and in kernels with
    // no lane-divergent early return (after one, retired lanes run on at depth 0 with wild indices,
    // and a clamped vector load would shift the live lanes' window)
    const allLanesLive = this.vMaskDepth === 0 && this.vRetMask === -1;
    const flatIndex = layout && !yProperty && !zProperty && allLanesLive && layout.flatLength >= 4 && this.getType(xProperty) === 'Integer';
    if (!flatIndex) return stock.vGather.call(this, table, name, xProperty, yProperty, zProperty, mNode);
    const em = this.em;
    const last = layout.flatLength - 4; // lane 0's largest in-bounds index for a vector load
    const lane0 = em.addLocal('i32');
    // v128.load of elements [lane0, lane0 + 3], lane0 clamped into [0, last]
    // (a negative index compares as a huge unsigned one)
    const vectorLoad = () => {
      counts.vectorLoads++;
      em.localGet(lane0).i32Const(last).localGet(lane0).i32Const(last).i32LeU().select();
      em.i32Const(2).i32Shl().v128Load(layout.offset);
    };
    const lanes = lanesOf(this, xProperty);
    if (lanes !== null && lanes.step !== 1) return stock.vGather.call(this, table, name, xProperty, yProperty, zProperty, mNode);
    if (lanes !== null) {
      // proven consecutive: one vector load at lane 0's index
      if (inBoundsLoad(this, xProperty, last, layout.offset)) return 'vf32';
      emitLane0(this, xProperty);
      em.localSet(lane0);
      vectorLoad();
      return 'vf32';
    }
    // not provable here (e.g. thread.x split by Math.floor into row and column):
    // test at run time whether the four lane indices are consecutive
    const indices = em.addLocal('v128');
    this.vEmitIndex(xProperty);
    em.localTee(indices).i32x4ExtractLane(0).localSet(lane0);
    em.localGet(indices).localGet(lane0).i32x4Splat().v128ConstI32x4(0, 1, 2, 3).i32x4Add().i32x4Eq().i32x4AllTrue();
    em.if_('v128');
    vectorLoad();
    em.else_();
    // gpu.js's gather: clamp each lane into the array, four scalar loads
    const max = layout.flatLength - 1;
    em.localGet(indices);
    this.vZero();
    em.i32x4MaxS().v128ConstI32x4(max, max, max, max).i32x4MinS().localSet(indices);
    em.localGet(indices).i32x4ExtractLane(0).i32Const(2).i32Shl().f32Load(layout.offset).f32x4Splat();
    for (let lane = 1; lane < 4; lane++) em.localGet(indices).i32x4ExtractLane(lane).i32Const(2).i32Shl().f32Load(layout.offset).f32x4ReplaceLane(lane);
    em.end();
    return 'vf32';
  };



  // ---- 5. vector loads that need no clamp --------------------------------------
  // A vector load's index is clamped into its array (an unsigned compare and a
  // select) so that a wild index cannot read outside it. Where lane 0's index
  // provably lies in [0, length − 4] for every quad the kernel runs, the clamp
  // changes nothing and is left out, and a constant term of the index goes
  // into the load's offset (the same address). The proof is interval
  // arithmetic over integer expressions: literals, this.output, this.thread
  // (lane 0's thread.x is at most output.x − 4: gpu.js runs the SIMD walk only
  // on rows that are whole quads), counting-loop counters (from their literal
  // start to their literal bound), integer consts, + − ×, Math.floor(e / d)
  // with d > 0, Math.min and Math.max.
  interface Range { lo: number; hi: number }
  const LARGEST_PROVEN = 2 ** 30;
  // counters of counting loops with literal bounds, by declarator (set by stmtFor/vstmtFor)
  const counterRanges = new WeakMap<object, Range>();

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  function rangeMap(node: any): Map<string, Range> {
    if (node.__ranges === undefined || node.__rangesFor !== node.em) {
      node.__ranges = new Map();
      node.__definitions = new Map();
      node.__rangesFor = node.em;
    }
    return node.__ranges;
  }

  /** The initializers of integer consts, by name (to see `a − Math.floor(a / d) · d` through a name). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  function definitionMap(node: any): Map<string, any> {
    rangeMap(node);
    return node.__definitions;
  }

  /** Whether two expressions are written the same (names, members, literals, operators). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  function sameExpression(a: any, b: any): boolean {
    if (a?.type !== b?.type) return false;
    switch (a.type) {
      case 'Literal':
        return a.value === b.value;
      case 'Identifier':
        return a.name === b.name;
      case 'MemberExpression':
        return a.computed === b.computed && sameExpression(a.object, b.object) && sameExpression(a.property, b.property);
      case 'ThisExpression':
        return true;
      case 'BinaryExpression':
        return a.operator === b.operator && sameExpression(a.left, b.left) && sameExpression(a.right, b.right);
      default:
        return false;
    }
  }

  /**
   * [0, d − 1] for `a − q · d` (or `a − d · q`) where q is, or names, Math.floor(a / d)
   * with the same a ≥ 0 and literal d > 0: a remainder, which interval
   * arithmetic alone would widen (it forgets that q follows a).
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  function remainderRange(node: any, ast: any): Range | null {
    if (ast.operator !== '-' || ast.right.type !== 'BinaryExpression' || ast.right.operator !== '*') return null;
    const { left: factorA, right: factorB } = ast.right;
    const [quotientSide, divisorSide] = factorB.type === 'Literal' ? [factorA, factorB] : [factorB, factorA];
    if (divisorSide.type !== 'Literal' || !(divisorSide.value > 0)) return null;
    const quotient = quotientSide.type === 'Identifier' ? definitionMap(node).get(quotientSide.name) : quotientSide;
    const isFloor = quotient?.type === 'CallExpression' && quotient.callee?.object?.name === 'Math' && quotient.callee.property?.name === 'floor';
    const division = isFloor ? quotient.arguments[0] : null;
    if (division?.type !== 'BinaryExpression' || division.operator !== '/' || division.right.type !== 'Literal' || division.right.value !== divisorSide.value) return null;
    if (!sameExpression(division.left, ast.left)) return null;
    const dividend = rangeOf(node, ast.left);
    return dividend !== null && dividend.lo >= 0 ? { lo: 0, hi: divisorSide.value - 1 } : null;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  function noteCounter(forNode: any): void {
    const declarator = forNode.init.declarations[0];
    counters.add(declarator as object);
    const { test } = forNode;
    if (!risingCounters.has(declarator) || test.right.type !== 'Literal' || !Number.isInteger(test.right.value)) return;
    const { update } = forNode;
    const step = update.type === 'UpdateExpression' ? 1 : update.right.value;
    const first = declarator.init.value as number;
    const limit = test.operator === '<' ? test.right.value - 1 : test.operator === '<=' ? test.right.value : null;
    // the last value the counter takes: first + step · ⌊(limit − first) / step⌋
    if (limit !== null && step > 0 && first <= limit) counterRanges.set(declarator, { lo: first, hi: first + step * Math.floor((limit - first) / step) });
  }

  /** Remembers the range of a `const` integer (or a counter) just declared; anything else has none. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  function recordRange(node: any, varDecNode: any, declaration: any): void {
    const name = declaration.id?.name;
    if (name === undefined) return;
    const range = counterRanges.get(declaration) ?? (varDecNode.kind === 'const' && declaration.init ? rangeOf(node, declaration.init) : null);
    if (range !== null && range !== undefined) rangeMap(node).set(name, range);
    if (varDecNode.kind === 'const' && declaration.init) definitionMap(node).set(name, declaration.init);
  }

  /** The values an integer expression can take (lane 0's, in the SIMD walk), or null when not provable. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  function rangeOf(node: any, ast: any): Range | null {
    const checked = (lo: number, hi: number): Range | null =>
      Number.isInteger(lo) && Number.isInteger(hi) && Math.abs(lo) <= LARGEST_PROVEN && Math.abs(hi) <= LARGEST_PROVEN ? { lo, hi } : null;
    switch (ast.type) {
      case 'Literal':
        return typeof ast.value === 'number' ? checked(ast.value, ast.value) : null;
      case 'Identifier':
        return node.getType(ast) === 'Integer' ? (rangeMap(node).get(ast.name) ?? null) : null;
      case 'MemberExpression': {
        const signature = node.getVariableSignature(ast);
        const axis = ({ x: 0, y: 1, z: 2 } as Record<string, number>)[ast.property?.name];
        const size = axis === undefined ? undefined : (node.output?.[axis] ?? 1);
        if (typeof size !== 'number') return null;
        if (signature === 'this.output.value') return checked(size, size);
        if (signature !== 'this.thread.value') return null;
        return node.vec && axis === 0 ? checked(0, size - 4) : checked(0, size - 1);
      }
      case 'BinaryExpression': {
        const left = rangeOf(node, ast.left);
        const right = left === null ? null : rangeOf(node, ast.right);
        if (left === null || right === null) return null;
        const remainder = remainderRange(node, ast);
        if (remainder !== null) return remainder;
        if (ast.operator === '+') return checked(left.lo + right.lo, left.hi + right.hi);
        if (ast.operator === '-') return checked(left.lo - right.hi, left.hi - right.lo);
        if (ast.operator !== '*') return null;
        const products = [left.lo * right.lo, left.lo * right.hi, left.hi * right.lo, left.hi * right.hi];
        return checked(Math.min(...products), Math.max(...products));
      }
      case 'CallExpression': {
        const name = ast.callee?.object?.name === 'Math' ? ast.callee.property?.name : null;
        if (name === 'min' || name === 'max') {
          // eslint-disable-next-line @typescript-eslint/no-explicit-any
          const ranges = ast.arguments.map((argument: any) => rangeOf(node, argument));
          if (ranges.length === 0 || ranges.some((range: Range | null) => range === null)) return null;
          const pick = name === 'min' ? Math.min : Math.max;
          return checked(pick(...ranges.map((range: Range) => range.lo)), pick(...ranges.map((range: Range) => range.hi)));
        }
        const quotient = ast.arguments[0];
        if (name !== 'floor' || quotient?.type !== 'BinaryExpression' || quotient.operator !== '/' || quotient.right.type !== 'Literal' || !(quotient.right.value > 0)) return null;
        const dividend = rangeOf(node, quotient.left);
        return dividend === null ? null : checked(Math.floor(dividend.lo / quotient.right.value), Math.floor(dividend.hi / quotient.right.value));
      }
      default:
        return null;
    }
  }

  /**
   * Emits the vector load of a[index] without a clamp when lane 0's index is
   * provably in [0, last] (a constant term `+ L` going into the offset), and
   * says whether it did.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  function inBoundsLoad(node: any, index: any, last: number, offset: number): boolean {
    const whole = rangeOf(node, index);
    if (whole === null || whole.lo < 0 || whole.hi > last) return false;
    const split = index.type === 'BinaryExpression' && index.operator === '+' && index.right.type === 'Literal' && Number.isInteger(index.right.value) && index.right.value >= 0;
    const base = split ? rangeOf(node, index.left) : null;
    const folded = split && base !== null && base.lo >= 0;
    emitLane0(node, folded ? index.left : index);
    node.em.i32Const(2).i32Shl().v128Load(offset + (folded ? 4 * index.right.value : 0));
    counts.vectorLoads++;
    counts.unclampedVectorLoads++;
    return true;
  }

  // ---- 3. constant offsets in the load instruction -------------------------------
  // A read a[b + L] with b an i32 local that is provably ≥ 0 and L a
  // non-negative integer literal loads from address b·4 with L·4 added to the
  // instruction's constant offset: the same address gpu.js computes, one add
  // fewer (a kernel reads a tap's four weights as w[wc], w[wc + 1], …).
  proto.emitFlatLoad = function (table: string, name: string, xProperty: any, yProperty: unknown, zProperty: unknown, mNode: unknown) {
    const layout = this.assembler?.layout[table][name];
    const plain = layout && !yProperty && !zProperty && !(this.vec && this.vMaskDepth > 0);
    const [base, offset] = xProperty?.type === 'BinaryExpression' && xProperty.operator === '+' && xProperty.left.type === 'Identifier' &&
      xProperty.right.type === 'Literal' && Number.isInteger(xProperty.right.value) && xProperty.right.value >= 0 ? [xProperty.left, xProperty.right.value as number] : [null, 0];
    const local = base === null ? undefined : this.locals.get(base.name);
    if (!plain || local === undefined || local.kind !== 'scalar' || local.wtype !== 'i32' || !nonNegativeNames(this).has(base.name)) {
      return stock.emitFlatLoad.call(this, table, name, xProperty, yProperty, zProperty, mNode);
    }
    this.em.localGet(local.index).i32Const(2).i32Shl();
    const loadStart = this.em.bytes.length;
    this.em.f32Load(layout.offset + 4 * offset);
    lastScalarLoad = { emitter: this.em, start: loadStart, end: this.em.bytes.length, offset: layout.offset + 4 * offset };
    counts.foldedOffsets++;
    return 'f32';
  };

  // ---- 4. a uniform read that enters a vector expression: one splatting load ----
  // gpu.js loads a uniform value (a kernel's weight, the same for all four
  // lanes) with f32.load and then splats it (f32x4.splat), two instructions
  // and on x64 a shuffle. When the f32.load that emitFlatLoad just emitted is
  // the last instruction before the splat, both become one v128.load32_splat
  // from the same address: the same four bits in every lane, one load.
  let lastScalarLoad: { emitter: { bytes: number[] }; start: number; end: number; offset: number } | null = null;
  proto.vCoerce = function (from: string, to: string) {
    const load = lastScalarLoad;
    lastScalarLoad = null;
    if (from !== 'f32' || to !== 'vf32' || load === null || load.emitter !== this.em || load.end !== this.em.bytes.length) return stock.vCoerce.call(this, from, to);
    const bytes: number[] = this.em.bytes;
    bytes.length = load.start;
    bytes.push(0xfd, 0x09, 2); // v128.load32_splat, align 2^2
    unsignedLeb(load.offset, bytes);
    counts.splatLoads++;
    return to;
  };

  // appends `value` as an unsigned LEB128 number (a memory argument's offset)
  function unsignedLeb(value: number, bytes: number[]): void {
    let rest = value;
    do {
      const low = rest & 0x7f;
      rest = Math.floor(rest / 128);
      bytes.push(rest === 0 ? low : low | 0x80);
    } while (rest !== 0);
  }

  return { installed: true };
}

const PROBE_SOURCE = `function (a) {
  const base = this.thread.x;
  let sum = 0;
  for (let i = 0; i < 3; i++) {
    sum += a[base + i * 16];
  }
  return sum;
}`;

/**
 * Installs the improved generator and checks, on a probe kernel, that gpu.js
 * really runs it: the probe must emit integer locals and a vector load, and
 * compute the right sums. Returns null when all is well, else why not (and
 * stock gpu.js is restored).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function installCheckedWasmCodegen(gpujs: any): string | null {
  const status = installWasmCodegen(gpujs);
  if (!status.installed) return status.reason ?? 'not installed';
  const counts = gpujs.WebAssemblyFunctionNode.prototype.__codegenCounts as { integerLocals: number; vectorLoads: number };
  const before = { ...counts };
  const gpu = new gpujs.GPU({ mode: 'webasm' });
  let problem: string | null = null;
  try {
    const a = Float32Array.from({ length: 64 }, (_, i) => i * 0.5);
    const kernel = gpu.createKernel(PROBE_SOURCE, { output: [16], precision: 'single', tactic: 'precision' });
    const sums = kernel(a) as Float32Array;
    for (let x = 0; x < 16 && problem === null; x++) {
      const expected = (a[x] as number) + (a[x + 16] as number) + (a[x + 32] as number);
      if (sums[x] !== expected) problem = `the probe kernel computed ${sums[x]} for thread ${x}, expected ${expected}`;
    }
    if (problem === null && counts.integerLocals === before.integerLocals) problem = 'the probe kernel got no integer locals';
    if (problem === null && counts.vectorLoads === before.vectorLoads) problem = 'the probe kernel got no vector loads';
  } catch (error) {
    problem = `the probe kernel failed: ${(error as Error).message}`;
  } finally {
    gpu.destroy();
  }
  if (problem !== null) installWasmCodegen(gpujs, false);
  return problem;
}
