/**
 * How an integer expression varies across the four lanes of a SIMD quad
 * (lane k holds lane0 + k · step, lane0 a multiple of `align`), and lane 0's
 * value as a scalar: what pass 2 (vector-loads.ts) and pass 5 (in-bounds.ts)
 * build their vector loads on.
 *
 * gpu.js starts every quad at a thread.x that is a multiple of 4 (quads
 * never cross an x-row), so this.thread.x is {step 1, align 4}, and
 * Math.floor(this.thread.x / 28) is the same in all four lanes.
 */
import { facts, type Ast, type FunctionNode, type Lanes } from './function-node.js';

const gcd = (a: number, b: number): number => (b === 0 ? Math.abs(a) : gcd(b, a % b));

/**
 * Emits lane 0's value of an integer expression as a scalar i32, with the
 * same operations the vector code applies lane-wise (so the same value).
 */
export function emitLane0(node: FunctionNode, ast: Ast): void {
  const em = node.em;
  if (!node.vInfo.exprVarying(ast)) {
    node.emitIndex(ast);
    return;
  }
  const lane0 = facts(node).lane0;
  if (ast.type === 'Identifier' && lane0.has(ast.name)) {
    em.localGet(lane0.get(ast.name) as number);
    return;
  }
  if (ast.type === 'MemberExpression' && node.getVariableSignature(ast) === 'this.thread.value' && ast.property.name === 'x') {
    em.globalGet(node.assembler.globals.threadX);
    return;
  }
  const ops = { '+': () => em.i32Add(), '-': () => em.i32Sub(), '*': () => em.i32Mul() } as Record<string, () => void>;
  const op = ops[ast.operator as string];
  if (ast.type === 'BinaryExpression' && op !== undefined && node.getType(ast) === 'Integer') {
    emitLane0(node, ast.left);
    emitLane0(node, ast.right);
    op();
    return;
  }
  // anything else: the vector value's lane 0
  node.vEmitIndex(ast);
  em.i32x4ExtractLane(0);
}

/** The quad's lane pattern of an integer expression, or null when not provable. */
export function lanesOf(node: FunctionNode, ast: Ast): Lanes | null {
  const literal = (side: Ast): number | null => (side.type === 'Literal' && Number.isInteger(side.value) ? side.value : null);
  if (!node.vInfo.exprVarying(ast)) return { step: 0, align: Math.abs(literal(ast) ?? 1) };
  switch (ast.type) {
    case 'Identifier':
      return facts(node).lanes.get(ast.name) ?? null;
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
