/**
 * Pass 3, constant offsets in the load instruction, and pass 4, splatting
 * loads.
 *
 * Pass 3: a read a[b + L] with b an i32 local that is provably ≥ 0 and L a
 * non-negative integer literal loads from address b·4 with L·4 added to the
 * instruction's constant offset: the same address gpu.js computes, one add
 * fewer (a kernel reads a tap's four weights as w[wc], w[wc + 1], …).
 *
 * Pass 4: gpu.js loads a uniform value (a kernel's weight, the same for all
 * four lanes) with f32.load and then splats it (f32x4.splat), two
 * instructions and on x64 a shuffle. When the f32.load that pass 3 just
 * emitted is the last instruction before the splat, both become one
 * v128.load32_splat from the same address: the same four bits in every
 * lane, one load (measured: conv forward 18.0 → 19.6 GFLOP/s on one core).
 */
import { facts, type Ast, type CodegenState, type Emitter, type FunctionNode } from './function-node.js';

/** The f32.load pass 3 emitted last: where its bytes are, and its address's offset. */
interface ScalarLoad {
  emitter: Emitter;
  start: number;
  end: number;
  offset: number;
}

/** Appends `value` as an unsigned LEB128 number (a memory argument's offset). */
export function unsignedLeb(value: number, bytes: number[]): void {
  let rest = value;
  do {
    const low = rest & 0x7f;
    rest = Math.floor(rest / 128);
    bytes.push(rest === 0 ? low : low | 0x80);
  } while (rest !== 0);
}

/** Replaces gpu.js's flat loads (pass 3) and, with pass 4, its f32 → f32x4 coercion, on `proto`. */
export function installScalarLoads(proto: FunctionNode & Record<string, unknown>, state: CodegenState): void {
  const { stock, counts } = state;
  let lastScalarLoad: ScalarLoad | null = null;

  proto.emitFlatLoad = function (this: FunctionNode, table: string, name: string, xProperty: Ast, yProperty: unknown, zProperty: unknown, mNode: unknown) {
    const layout = this.assembler?.layout[table]?.[name];
    const plain = layout && !yProperty && !zProperty && !(this.vec && this.vMaskDepth > 0);
    const [base, offset] = xProperty?.type === 'BinaryExpression' && xProperty.operator === '+' && xProperty.left.type === 'Identifier' &&
      xProperty.right.type === 'Literal' && Number.isInteger(xProperty.right.value) && xProperty.right.value >= 0 ? [xProperty.left, xProperty.right.value as number] : [null, 0];
    const local = base === null ? undefined : this.locals.get(base.name);
    if (!plain || local === undefined || local.kind !== 'scalar' || local.wtype !== 'i32' || !facts(this).nonNegative.has(base.name)) {
      return stock.emitFlatLoad.call(this, table, name, xProperty, yProperty, zProperty, mNode);
    }
    this.em.localGet(local.index).i32Const(2).i32Shl();
    const loadStart = this.em.bytes.length;
    this.em.f32Load(layout.offset + 4 * offset);
    lastScalarLoad = { emitter: this.em, start: loadStart, end: this.em.bytes.length, offset: layout.offset + 4 * offset };
    counts.foldedOffsets++;
    return 'f32';
  };

  if (!state.passes.has('splat-loads')) return;
  proto.vCoerce = function (this: FunctionNode, from: string, to: string) {
    const load = lastScalarLoad;
    lastScalarLoad = null;
    if (from !== 'f32' || to !== 'vf32' || load === null || load.emitter !== this.em || load.end !== this.em.bytes.length) return stock.vCoerce.call(this, from, to);
    const bytes = this.em.bytes;
    bytes.length = load.start;
    bytes.push(0xfd, 0x09, 2); // v128.load32_splat, align 2^2
    unsignedLeb(load.offset, bytes);
    counts.splatLoads++;
    return to;
  };
}
