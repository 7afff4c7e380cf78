/**
 * Finite-difference gradient checking: the independent oracle for every backward pass.
 *
 * For a function f of some float64 tensors, we reduce its output to a scalar
 * L = Σ_i f(x)_i · r_i with a fixed random r (so every output element matters, and
 * errors cannot cancel by symmetry), then compare the analytic ∂L/∂x_j from
 * `backward()` with the central difference
 *   (L(x + h·e_j) − L(x − h·e_j)) / 2h,
 * whose error is O(h²). In float64 with h = 1e-6 the two agree to ~1e-8 for
 * smooth functions.
 */
import { noGrad } from '../tensor/autograd.js';
import { formatShape } from '../tensor/shape.js';
import { Random } from '../random.js';
import { Tensor } from '../tensor/tensor.js';

/** Step and tolerances of {@link gradCheck}. */
export interface GradCheckOptions {
  /** Finite-difference step h. */
  step?: number;
  /** Pass when |analytic − numeric| ≤ atol + rtol·|numeric| for every element. */
  atol?: number;
  rtol?: number;
  /** Seed of the random output weighting r. */
  seed?: number;
}

/** The outcome of {@link gradCheck}: pass/fail, the largest error, and the worst element. */
export interface GradCheckResult {
  ok: boolean;
  /** Largest |analytic − numeric| over all inputs. */
  maxAbsError: number;
  /** Where the largest violation of the tolerance was, when `ok` is false. */
  worst: { input: number; index: number; analytic: number; numeric: number } | null;
}

/**
 * Compares analytic and numerical gradients of `fn` with respect to each of
 * `inputs` (which must be float64). The inputs are not modified.
 */
export function gradCheck(fn: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], options: GradCheckOptions = {}): GradCheckResult {
  const step = options.step ?? 1e-6;
  const atol = options.atol ?? 1e-6;
  const rtol = options.rtol ?? 1e-5;
  for (const input of inputs) {
    if (input.dtype !== 'float64') throw new Error(`gradCheck: inputs must be float64 (finite differences in float32 are too noisy), got ${input.dtype} ${formatShape(input.shape)}`);
  }
  const leaves = inputs.map((input) => new Tensor(input.data.slice(), input.shape, true));
  const probe = fn(...leaves);
  const random = new Random(options.seed ?? 1234);
  const weights = new Tensor(Float64Array.from({ length: probe.size }, () => random.uniformRange(-1, 1)), probe.shape);
  const scalarLoss = (output: Tensor): Tensor => output.mul(weights).sum();

  scalarLoss(probe).backward();
  const analytic = leaves.map((leaf) => leaf.grad?.data ?? new Float64Array(leaf.size));

  let maxAbsError = 0;
  let worst: GradCheckResult['worst'] = null;
  let worstExcess = 0;
  noGrad(() => {
    leaves.forEach((leaf, inputIndex) => {
      for (let j = 0; j < leaf.size; j++) {
        const original = leaf.data[j] as number;
        leaf.data[j] = original + step;
        const plus = scalarLoss(fn(...leaves)).item();
        leaf.data[j] = original - step;
        const minus = scalarLoss(fn(...leaves)).item();
        leaf.data[j] = original;
        const numeric = (plus - minus) / (2 * step);
        const value = analytic[inputIndex]?.[j] as number;
        const error = Math.abs(value - numeric);
        maxAbsError = Math.max(maxAbsError, error);
        const excess = error - (atol + rtol * Math.abs(numeric));
        if (excess > worstExcess || Number.isNaN(error)) {
          worstExcess = Number.isNaN(error) ? Infinity : excess;
          worst = { input: inputIndex, index: j, analytic: value, numeric };
        }
      }
    });
  });
  return { ok: worst === null, maxAbsError, worst };
}

/** Like {@link gradCheck}, but throws a readable error when the gradients disagree. */
export function assertGradCheck(name: string, fn: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], options: GradCheckOptions = {}): GradCheckResult {
  const result = gradCheck(fn, inputs, options);
  if (!result.ok && result.worst !== null) {
    const { input, index, analytic, numeric } = result.worst;
    throw new Error(`gradient check failed for ${name}: input ${input} ${formatShape(inputs[input]?.shape ?? [])}, element ${index}: analytic ${analytic}, numerical ${numeric}`);
  }
  return result;
}
