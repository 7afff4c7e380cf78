/**
 * Carlini–Wagner L2 (Carlini & Wagner 2017), as advertorch's
 * CarliniWagnerL2Attack, which the paper's code used with 3 binary-search
 * steps × 10 iterations, learning rate ε/10, initial c = 10 (MNIST), κ = 0.
 *
 * Box constraint by change of variables: with the box [m, M],
 *   z = clamp((x − m)/(M − m), 0, 1)·2 − 1,   w₀ = atanh(0.999999·z),
 *   adv(δ) = tanh(w₀ + δ)·(M − m)/2 + (M + m)/2 ∈ (m, M),
 * and δ (initially 0) is optimized with Adam on
 *   loss = Σ_i c_i · max(Z_i,y − max_{k≠y} Z_i,k + κ, 0) + Σ_i ‖(adv_i − x̃_i)/u‖²
 * where Z are the logits (never probabilities), x̃ = adv(0) is the clean image
 * as the mapping reproduces it, and u is the distance unit (`distanceUnit`).
 * Targeted: the hinge is max(max_{k≠y} Z_k − Z_y + κ, 0) with y the target.
 *
 * Binary search over c, per sample (`updateConstants`). Each round starts from
 * δ = 0 with a fresh Adam. The best (smallest L2) successful image is returned;
 * where none is found, the clean image itself.
 *
 * Where we differ from advertorch: only `distanceUnit` (advertorch measures in
 * its input units, which for the paper were normalized units; see
 * registry.ts `paperCwSettings`), and float64 bookkeeping of c and its bounds.
 */
import { reuseBuffers } from '../buffer-pool.js';
import type { Module } from '../nn/module.js';
import { Tensor } from '../tensor/tensor.js';
import { Adam } from '../optim/adam.js';
import { withFrozenParameters } from './common.js';
import { argmaxOf } from '../ops/reduce.js';

/** Settings of {@link cw} (defaults: the paper's code's). */
export interface CwSettings {
  /** κ, the margin required past the decision boundary (default 0). */
  confidence?: number;
  /** Adam's step size in tanh space (default 0.01, advertorch's; the paper used ε/10 in its units). */
  learningRate?: number;
  /** Rounds of the binary search over c (default 3, the paper's). */
  binarySearchSteps?: number;
  /** Adam steps per round (default 10, the paper's). */
  maxIterations?: number;
  /** The starting c (default 10, the paper's for MNIST/F-MNIST; it used 0.01 for the others). */
  initialConst?: number;
  /** Stop a round when the loss stops falling (checked every max(⌊iterations/10⌋, 1) iterations). */
  abortEarly?: boolean;
  clipMin?: number;
  clipMax?: number;
  targeted?: boolean;
  /**
   * Distances are measured in units of this size. The paper measured them in
   * its normalized input units: pass 0.3081 (MNIST's std) so that c means
   * what it meant there. Default 1 (input units).
   */
  distanceUnit?: number;
}

const ONE_MINUS_EPS = 0.999999;
const UPPER_LIMIT = 1e10;
const UPPER_CHECK = 1e9;
/** Subtracted from the true class's logit so that max over "other" classes never picks it. */
const TARGET_MULT = 1e4;

/** The tanh-space picture of a batch: w₀ per pixel and the clean image x̃ = adv(0) it reproduces. */
interface TanhSpace {
  w0: Tensor;
  reconstructed: Tensor;
  /** (M − m)/2 and (M + m)/2: adv = tanh(w)·half + middle. */
  half: number;
  middle: number;
}

function toTanhSpace(x: Tensor, m: number, M: number): TanhSpace {
  const half = (M - m) / 2;
  const middle = (M + m) / 2;
  const w0 = new Float32Array(x.size);
  const reconstructed = new Float32Array(x.size);
  for (let i = 0; i < x.size; i++) {
    // z = clamp((x − m)/(M − m), 0, 1)·2 − 1;  w₀ = atanh(0.999999·z);  x̃ = tanh(w₀)·half + middle
    const z = Math.min(Math.max(((x.data[i] as number) - m) / (M - m), 0), 1) * 2 - 1;
    w0[i] = Math.atanh(ONE_MINUS_EPS * z);
    reconstructed[i] = Math.tanh(w0[i] as number) * half + middle;
  }
  return { w0: new Tensor(w0, x.shape), reconstructed: new Tensor(reconstructed, x.shape), half, middle };
}

function oneHot(labels: ArrayLike<number>, classes: number): Tensor {
  const values = new Float32Array(labels.length * classes);
  for (let n = 0; n < labels.length; n++) {
    const label = labels[n] as number;
    if (!Number.isInteger(label) || label < 0 || label >= classes) throw new Error(`cw: label ${label} of sample ${n} is not a class 0–${classes - 1}`);
    values[n * classes + label] = 1;
  }
  return new Tensor(values, [labels.length, classes]);
}

/**
 * Per-sample hinge on the logits Z (advertorch's `_loss_fn`):
 *   real = Σ_k onehot_k·Z_k,   other = max_k ((1 − onehot_k)·Z_k − 1e4·onehot_k)
 *   untargeted: max(real − other + κ, 0);   targeted: max(other − real + κ, 0)
 */
function marginHinge(logits: Tensor, onehot: Tensor, kappa: number, targeted: boolean): Tensor {
  const real = logits.mul(onehot).sum(1);
  const other = logits.mul(onehot.neg().add(1)).sub(onehot.mul(TARGET_MULT)).max(1);
  const margin = targeted ? other.sub(real) : real.sub(other);
  return margin.add(kappa).clamp(0, Infinity);
}

/** Success as advertorch's `_is_successful` on logits: argmax of Z with κ added to (untargeted) or taken from (targeted) the label's logit. */
function succeeded(logits: ArrayLike<number>, row: number, classes: number, label: number, kappa: number, targeted: boolean): boolean {
  const adjusted = Array.from({ length: classes }, (_, k) => logits[row * classes + k] as number);
  adjusted[label] = (adjusted[label] as number) + (targeted ? -kappa : kappa);
  const predicted = argmaxOf(adjusted, 0, classes);
  return targeted ? predicted === label : predicted !== label;
}

/**
 * The binary search on c after a round, per sample (advertorch's `_update_loss_coeffs`):
 *   success: upper ← min(upper, c); if upper < 1e9: c ← (lower + upper)/2
 *   failure: lower ← max(lower, c); c ← (lower + upper)/2 if upper < 1e9, else 10·c
 * Mutates `constants`, `lower` and `upper`.
 */
export function updateConstants(constants: Float64Array, lower: Float64Array, upper: Float64Array, success: ArrayLike<boolean>): void {
  for (let n = 0; n < constants.length; n++) {
    const c = constants[n] as number;
    if (success[n]) {
      upper[n] = Math.min(upper[n] as number, c);
      if ((upper[n] as number) < UPPER_CHECK) constants[n] = ((lower[n] as number) + (upper[n] as number)) / 2;
    } else {
      lower[n] = Math.max(lower[n] as number, c);
      constants[n] = (upper[n] as number) < UPPER_CHECK ? ((lower[n] as number) + (upper[n] as number)) / 2 : c * 10;
    }
  }
}

function resolvedCwSettings(settings: CwSettings): Required<CwSettings> {
  const resolved = {
    confidence: settings.confidence ?? 0,
    learningRate: settings.learningRate ?? 0.01,
    binarySearchSteps: settings.binarySearchSteps ?? 3,
    maxIterations: settings.maxIterations ?? 10,
    initialConst: settings.initialConst ?? 10,
    abortEarly: settings.abortEarly ?? true,
    clipMin: settings.clipMin ?? 0,
    clipMax: settings.clipMax ?? 1,
    targeted: settings.targeted ?? false,
    distanceUnit: settings.distanceUnit ?? 1,
  };
  if (!(resolved.clipMin < resolved.clipMax)) throw new Error(`cw: clip range [${resolved.clipMin}, ${resolved.clipMax}] is empty`);
  if (!(resolved.learningRate > 0)) throw new Error(`cw: learningRate must be > 0, got ${resolved.learningRate}`);
  if (!(resolved.distanceUnit > 0)) throw new Error(`cw: distanceUnit must be > 0, got ${resolved.distanceUnit}`);
  if (!(resolved.initialConst > 0)) throw new Error(`cw: initialConst must be > 0, got ${resolved.initialConst}`);
  if (!Number.isInteger(resolved.binarySearchSteps) || resolved.binarySearchSteps < 1) throw new Error(`cw: binarySearchSteps must be a positive integer, got ${resolved.binarySearchSteps}`);
  if (!Number.isInteger(resolved.maxIterations) || resolved.maxIterations < 1) throw new Error(`cw: maxIterations must be a positive integer, got ${resolved.maxIterations}`);
  return resolved;
}

/** What the search keeps across rounds, per sample: c, its bounds, and the best adversarial found so far. */
interface SearchState {
  constants: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  bestL2: Float64Array;
  /** Starts as the clean batch; a sample's slot is overwritten each time a closer adversarial is found. */
  best: Float32Array;
}

/**
 * One round of the binary search: Adam on δ from 0 for up to `maxIterations`
 * steps at fixed c; records successes in `state` and returns which samples
 * succeeded in this round.
 */
function searchRound(model: Module, space: TanhSpace, labels: ArrayLike<number>, s: Required<CwSettings>, state: SearchState, shape: readonly number[]): boolean[] {
  const samples = labels.length;
  const perSample = space.w0.size / samples;
  // δ, from 0, optimized by Adam as torch.optim.Adam (advertorch's choice)
  const delta = new Tensor(new Float32Array(space.w0.size), shape, true);
  const adam = new Adam([delta], { lr: s.learningRate });
  const roundL2 = new Float64Array(samples).fill(UPPER_LIMIT);
  const roundSuccess = new Array<boolean>(samples).fill(false);
  const constants = new Tensor(Float32Array.from(state.constants), [samples]);
  const checkEvery = Math.max(Math.floor(s.maxIterations / 10), 1);
  let previousLoss = 1e6;
  for (let iteration = 0; iteration < s.maxIterations; iteration++) {
    // nothing of an iteration outlives it (δ and Adam's moments were made before), so its buffers serve the next
    const stop = reuseBuffers(() => {
      adam.zeroGrad();
      const adversarial = space.w0.add(delta).tanh().mul(space.half).add(space.middle);
      const logits = model.forward(adversarial);
      const classes = logits.shape[1] as number;
      // ‖(adv − x̃)/u‖² per sample
      const difference = adversarial.sub(space.reconstructed).div(s.distanceUnit).reshape([samples, perSample]);
      const l2 = difference.mul(difference).sum(1);
      const loss = constants.mul(marginHinge(logits, oneHot(labels, classes), s.confidence, s.targeted)).sum().add(l2.sum());
      loss.backward();
      adam.step();

      // Everything below is about the iterate before this Adam step, as in advertorch.
      // With 10 iterations the check runs every iteration; the iterate that fails it is not recorded.
      const lossValue = loss.item();
      if (s.abortEarly && iteration % checkEvery === 0) {
        if (lossValue > previousLoss * ONE_MINUS_EPS) return true;
        previousLoss = lossValue;
      }
      for (let n = 0; n < samples; n++) {
        if (!succeeded(logits.data, n, classes, labels[n] as number, s.confidence, s.targeted)) continue;
        const distance = l2.data[n] as number;
        if (distance < (roundL2[n] as number)) {
          roundL2[n] = distance;
          roundSuccess[n] = true;
        }
        if (distance < (state.bestL2[n] as number)) {
          state.bestL2[n] = distance;
          state.best.set(adversarial.data.subarray(n * perSample, (n + 1) * perSample), n * perSample);
        }
      }
      return false;
    });
    if (stop) break;
  }
  return roundSuccess;
}

/**
 * Carlini–Wagner L2: minimizes Σ‖(adv − x)/u‖² + c·max(Z_y − max_{k≠y} Z_k + κ, 0) over tanh-space
 * variables with Adam, binary-searching c per sample; returns the smallest successful adversarial image (or the clean one).
 */
export function cw(model: Module, x: Tensor, labels: ArrayLike<number>, settings: CwSettings = {}): Tensor {
  const s = resolvedCwSettings(settings);
  const samples = x.shape[0] as number;
  if (labels.length !== samples) throw new Error(`cw: ${labels.length} labels for a batch of ${samples}`);
  const space = toTanhSpace(x, s.clipMin, s.clipMax);
  const state: SearchState = {
    constants: new Float64Array(samples).fill(s.initialConst),
    lower: new Float64Array(samples),
    upper: new Float64Array(samples).fill(UPPER_LIMIT),
    bestL2: new Float64Array(samples).fill(UPPER_LIMIT),
    best: Float32Array.from(x.data),
  };
  return withFrozenParameters(model, () => {
    for (let step = 0; step < s.binarySearchSteps; step++) {
      // advertorch's "repeat" rule: with ≥ 10 rounds, the last one uses the upper bounds.
      if (s.binarySearchSteps >= 10 && step === s.binarySearchSteps - 1) state.constants.set(state.upper);
      const success = searchRound(model, space, labels, s, state, x.shape);
      updateConstants(state.constants, state.lower, state.upper, success);
    }
    return new Tensor(state.best, x.shape);
  });
}
