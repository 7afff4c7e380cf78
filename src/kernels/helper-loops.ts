/**
 * Every loop the webasm backend's helper thread runs, by name.
 *
 * A RangeLoop (split-loop.ts) treats each index of [first, end) on its own,
 * so the backend hands the top half of a long one to the helper thread. The
 * helper is a worker module (helper-worker.ts) that imports this list: the
 * main thread sends a loop's name and its task, and the helper calls the same
 * function, from the same module, on its half. So a loop is ordinary code:
 * it may call the shared helpers of its module and of others (the relu rule
 * on a float's bits exists once, in elementwise-loops.ts).
 *
 * A loop missing here is refused by the helper with its name (test/
 * split-loop.test.ts runs every model on two threads, so a new loop that was
 * not added fails there).
 */
import type { RangeLoop } from './kernel-backend.js';
import { addThenClamp, addValues, clampRun, maskRun } from './elementwise-loops.js';
import { copyIntoPadding } from './layout.js';
import { copyFromImageLanes, copyToImageLanes } from './conv2d-image-lanes.js';
import { addShares, copyToChannelsLast } from './conv2d-grad-weight.js';
import { copyFromPhaseLanes } from './conv2d-grad-input-phases.js';
import { scatterImages } from './conv2d-grad-input.js';
import { batchNormBackwardChannels, batchNormForwardChannels } from './norm-loops/batch-norm-channels.js';
import { robustNormBackwardChannels, robustNormForwardChannels } from './norm-loops/robust-norm-channels.js';
import { layerNormForwardSamples, layerNormInputSamples, layerNormMaskSamples, layerNormParameterChannels } from './norm-loops/layer-norm-samples.js';

/** The loops, under their functions' own names. */
export const HELPER_LOOPS: Readonly<Record<string, RangeLoop<never>>> = Object.fromEntries(
  [
    addThenClamp, addValues, clampRun, maskRun,
    copyIntoPadding, copyFromImageLanes, copyToImageLanes, addShares, copyToChannelsLast, copyFromPhaseLanes, scatterImages,
    batchNormForwardChannels, batchNormBackwardChannels, robustNormForwardChannels, robustNormBackwardChannels,
    layerNormForwardSamples, layerNormMaskSamples, layerNormParameterChannels, layerNormInputSamples,
  ].map((loop) => [loop.name, loop as RangeLoop<never>]),
);

/** The loop named `name`, or an error naming it (a loop not listed above). */
export function helperLoop(name: string): RangeLoop<object> {
  const loop = HELPER_LOOPS[name];
  if (loop === undefined) throw new Error(`the helper thread has no loop "${name}" (add it to src/kernels/helper-loops.ts)`);
  return loop as RangeLoop<object>;
}
