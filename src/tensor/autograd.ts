/**
 * Reverse-mode automatic differentiation on a dynamic graph.
 *
 * Every differentiable op computes its output eagerly and then calls {@link record}
 * with the inputs it read and a `backward` function. `backward` receives ∂L/∂output
 * and returns ∂L/∂input for each input; the derivative it implements is written
 * in a comment above it, next to the forward code, in every op file.
 *
 * `tensor.backward()` then walks the recorded graph from the loss to the leaves
 * in reverse topological order (every node after all the nodes that use it), so
 * each node's gradient is complete — summed over every path — before it is
 * passed on. Leaves that require grad (parameters, or an input image for an
 * attack) accumulate the result in `.grad`.
 *
 * After a backward pass the graph is freed (each node drops its `backward`
 * closure, and with it the buffers it saved), unless `retainGraph` is set.
 */
import type { Tensor } from './tensor.js';
import { formatShape, sameShape } from './shape.js';
import { environmentVariable } from '../environment.js';
import { keepBuffer } from '../buffer-pool.js';

/**
 * Given ∂L/∂output, returns ∂L/∂input for each input of the op, or `null` where
 * `needsGrad[i]` is false (the op may skip that work).
 */
export type BackwardFn = (gradOutput: Tensor, needsGrad: readonly boolean[]) => ReadonlyArray<Tensor | null>;

/** The record an op leaves on its output: what it read and how to differentiate it. */
export interface GraphNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly backward: BackwardFn;
}

let gradEnabled = true;
let detectAnomaly = environmentVariable('ROBUSTNORM_DETECT_ANOMALY') === '1';

/** Whether ops currently record the graph. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording any graph (inference, optimizer updates, attack bookkeeping). */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/**
 * Turns on a check of every op's output and every gradient for NaN or Infinity,
 * which then names the op that produced it. Off by default (it reads every
 * buffer once more); `ROBUSTNORM_DETECT_ANOMALY=1` turns it on too.
 */
export function setDetectAnomaly(enabled: boolean): void {
  detectAnomaly = enabled;
}

/** The index of the first NaN or ±Infinity in `values`, or −1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i] as number)) return i;
  }
  return -1;
}

function assertFinite(tensor: Tensor, what: string): void {
  const index = firstNonFinite(tensor.data);
  if (index >= 0) {
    throw new Error(`${what} contains ${tensor.data[index]} at flat index ${index} (shape ${formatShape(tensor.shape)})`);
  }
}

/**
 * Attaches `backward` to `output` when the graph is being recorded and some input
 * requires grad; otherwise returns `output` untouched.
 */
export function record(op: string, output: Tensor, inputs: readonly Tensor[], backward: BackwardFn): Tensor {
  if (detectAnomaly) assertFinite(output, `the output of ${op}`);
  if (!gradEnabled || !inputs.some((input) => input.requiresGrad)) return output;
  output.requiresGrad = true;
  output.gradFn = { op, inputs, backward };
  return output;
}

/**
 * Stands in for a node whose closure was dropped after a backward pass. It keeps
 * no inputs either, so nothing the graph held stays alive through it.
 */
function freedNode(op: string): GraphNode {
  return {
    op,
    inputs: [],
    backward: () => {
      throw new Error(`backward through ${op} a second time: its saved buffers were freed after the first backward(); pass { retainGraph: true } to the first call`);
    },
  };
}

/** Every tensor reachable from `root`, each one after all the tensors that were computed from it. */
function reverseTopologicalOrder(root: Tensor): Tensor[] {
  const visited = new Set<Tensor>();
  const postOrder: Tensor[] = [];
  // Iterative depth-first search, so deep networks cannot overflow the call stack.
  const stack: Array<{ tensor: Tensor; expanded: boolean }> = [{ tensor: root, expanded: false }];
  while (stack.length > 0) {
    const frame = stack.pop() as { tensor: Tensor; expanded: boolean };
    if (frame.expanded) {
      postOrder.push(frame.tensor);
      continue;
    }
    if (visited.has(frame.tensor)) continue;
    visited.add(frame.tensor);
    stack.push({ tensor: frame.tensor, expanded: true });
    for (const input of frame.tensor.gradFn?.inputs ?? []) {
      if (input.requiresGrad && !visited.has(input)) stack.push({ tensor: input, expanded: false });
    }
  }
  return postOrder.reverse();
}

/** Options of `Tensor.backward()`. */
export interface BackwardOptions {
  /** Keep the graph (and its saved buffers) so that backward can run through it again. */
  retainGraph?: boolean;
}

/** Adds `gradient` into `tensor.grad`, whose buffer outlives a loop step that reuses buffers (buffer-pool.ts). */
function keepGradient(tensor: Tensor, gradient: Tensor): void {
  tensor.grad = tensor.grad === null ? gradient : tensor.grad.add(gradient);
  keepBuffer(tensor.grad.data);
}

/**
 * Back-propagates from `root`: ∂root/∂leaf is added to every leaf's `.grad`.
 * `seed` is ∂L/∂root (defaults to 1 for a single-element root).
 */
export function runBackward(root: Tensor, seed: Tensor, options: BackwardOptions = {}): void {
  if (!root.requiresGrad) {
    throw new Error('backward(): this tensor does not require grad — no input of the ops that made it had requiresGrad set (or it was computed inside noGrad)');
  }
  if (!sameShape(seed.shape, root.shape)) {
    throw new Error(`backward(): gradient of shape ${formatShape(seed.shape)} does not match the tensor's shape ${formatShape(root.shape)}`);
  }
  assertFinite(root, 'backward(): the value being differentiated');
  const pending = new Map<Tensor, Tensor>([[root, seed]]);
  noGrad(() => {
    for (const tensor of reverseTopologicalOrder(root)) {
      const gradOutput = pending.get(tensor);
      if (gradOutput === undefined) continue;
      pending.delete(tensor);
      const node = tensor.gradFn;
      if (node === null) {
        // A leaf: keep the gradient for the optimizer or the attack.
        keepGradient(tensor, gradOutput);
        continue;
      }
      if (tensor.retainsGrad) keepGradient(tensor, gradOutput);
      const needsGrad = node.inputs.map((input) => input.requiresGrad);
      const inputGrads = node.backward(gradOutput, needsGrad);
      node.inputs.forEach((input, i) => {
        const grad = inputGrads[i];
        if (!needsGrad[i] || grad === null || grad === undefined) return;
        if (!sameShape(grad.shape, input.shape)) {
          throw new Error(`backward of ${node.op}: gradient for input ${i} has shape ${formatShape(grad.shape)} but the input has shape ${formatShape(input.shape)}`);
        }
        if (detectAnomaly) assertFinite(grad, `the gradient that ${node.op} passed to its input ${i}`);
        const earlier = pending.get(input);
        pending.set(input, earlier === undefined ? grad : earlier.add(grad));
      });
      if (!options.retainGraph) tensor.gradFn = freedNode(node.op);
    }
  });
}
