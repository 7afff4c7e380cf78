/**
 * Pass 2, vector loads. In the SIMD walk (four consecutive thread.x per
 * call), gpu.js reads `a[i]` with four scalar loads and lane inserts, even
 * when the four lane indices are consecutive. This pass makes such a read
 * one `v128.load` at lane 0's index. Proven at compile time where
 * i = uniform + this.thread.x, through const locals and
 * `Math.floor(this.thread.x / d)` with d a multiple of 4 (a quad never
 * straddles a multiple of d); where it cannot be proven, tested at run time
 * (an i32x4 compare), with gpu.js's gather as the other branch; where the
 * lanes provably step by another amount, gpu.js's gather as before. The
 * vector index is clamped into the array (an unsigned compare and a
 * select), so a wild index never reads outside it, as gpu.js's gather
 * guarantees. Only where all four lanes are live threads: outside divergent
 * branches, in kernels without a lane-divergent early return.
 * The lane patterns it proves are lanes.ts's.
 */
import type { Ast, CodegenState, FunctionNode } from './function-node.js';
import { inBoundsLoad } from './in-bounds.js';
import { emitLane0, lanesOf } from './lanes.js';

/** Replaces gpu.js's SIMD gather on `proto`. */
export function installVectorLoads(proto: FunctionNode & Record<string, unknown>, state: CodegenState): void {
  const { stock, counts } = state;
  const unclamped = state.passes.has('unclamped-vector-loads');
  proto.vGather = function (this: FunctionNode, table: string, name: string, xProperty: Ast, yProperty: unknown, zProperty: unknown, mNode: unknown) {
    const layout = this.assembler.layout[table]?.[name];
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
      if (unclamped && inBoundsLoad(this, xProperty, last, layout.offset, state)) return 'vf32';
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
}
