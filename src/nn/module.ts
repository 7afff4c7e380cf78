/**
 * The Module base: a layer or a model that owns named parameters (learned by
 * the optimizer), named buffers (state saved with the model, such as running
 * statistics) and named child modules.
 *
 * Names nest with dots, as in PyTorch (`layer1.0.bn1.running_mean`), so a
 * state dict reads like the paper's code's checkpoints.
 */
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { choosesStatistics, type NormStatistics } from './norm-statistics.js';

/**
 * The base of every layer and model: named parameters (learned), buffers (saved state such as
 * running statistics) and child modules, with PyTorch-style dotted names, and train/eval modes.
 */
export abstract class Module {
  /** Training mode (batch statistics, running-average updates) or inference mode. */
  training = true;
  private readonly ownParameters = new Map<string, Tensor>();
  private readonly ownBuffers = new Map<string, Tensor>();
  private readonly ownChildren = new Map<string, Module>();

  /** Computes the module's output for `input` (recording the graph when gradients are needed). */
  abstract forward(input: Tensor): Tensor;

  /** Registers a learned tensor (it is marked `requiresGrad`). */
  protected registerParameter(name: string, tensor: Tensor): Tensor {
    this.ownParameters.set(name, tensor.requireGrad());
    return tensor;
  }

  /** Registers saved, not learned, state. */
  protected registerBuffer(name: string, tensor: Tensor): Tensor {
    this.ownBuffers.set(name, tensor);
    return tensor;
  }

  /** Registers a child module under `name` (its parameters are then named `name.…`). */
  protected registerModule<M extends Module>(name: string, module: M): M {
    this.ownChildren.set(name, module);
    return module;
  }

  /** Child modules with their names, this module's own only. */
  namedChildren(): Array<[string, Module]> {
    return [...this.ownChildren];
  }

  /** This module and every module below it, depth first. */
  modules(): Module[] {
    return [this, ...[...this.ownChildren.values()].flatMap((child) => child.modules())];
  }

  /** Every learned tensor of this module and its children, with dotted names. */
  namedParameters(prefix = ''): Array<[string, Tensor]> {
    const own = [...this.ownParameters].map(([name, tensor]): [string, Tensor] => [prefix + name, tensor]);
    return [...own, ...[...this.ownChildren].flatMap(([name, child]) => child.namedParameters(`${prefix}${name}.`))];
  }

  /** Every learned tensor of this module and its children (what an optimizer updates). */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, tensor]) => tensor);
  }

  /** Every buffer (saved, not learned) of this module and its children, with dotted names. */
  namedBuffers(prefix = ''): Array<[string, Tensor]> {
    const own = [...this.ownBuffers].map(([name, tensor]): [string, Tensor] => [prefix + name, tensor]);
    return [...own, ...[...this.ownChildren].flatMap(([name, child]) => child.namedBuffers(`${prefix}${name}.`))];
  }

  /** Sets training (or, with `false`, inference) mode on this module and all below it. */
  train(mode = true): this {
    for (const module of this.modules()) module.training = mode;
    return this;
  }

  /** Inference mode: normalization layers use the statistics their `statistics` mode names. */
  eval(): this {
    return this.train(false);
  }

  /**
   * Sets the inference statistics of every BatchNorm and RobustNorm layer in
   * this model (`population`, `batch` or `population-mean`; see norm-statistics.ts).
   * Returns how many layers it set.
   */
  setNormStatistics(mode: NormStatistics): number {
    let count = 0;
    for (const module of this.modules()) {
      if (choosesStatistics(module)) {
        module.statistics = mode;
        count++;
      }
    }
    return count;
  }

  /** Drops every parameter's gradient. */
  zeroGrad(): void {
    for (const parameter of this.parameters()) parameter.zeroGrad();
  }

  /** Every parameter and buffer by its dotted name. */
  stateDict(): Map<string, Tensor> {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Copies values into this model's parameters and buffers. Every name must be
   * present on both sides with the same shape; the error names the first that is not.
   */
  loadStateDict(state: ReadonlyMap<string, Tensor>): void {
    const own = this.stateDict();
    const missing = [...own.keys()].filter((name) => !state.has(name));
    const unexpected = [...state.keys()].filter((name) => !own.has(name));
    if (missing.length > 0 || unexpected.length > 0) {
      throw new Error(`loadStateDict: missing ${missing.length ? missing.join(', ') : 'nothing'}; unexpected ${unexpected.length ? unexpected.join(', ') : 'nothing'}`);
    }
    for (const [name, target] of own) {
      const source = state.get(name) as Tensor;
      if (source.shape.length !== target.shape.length || source.shape.some((dim, i) => dim !== target.shape[i])) {
        throw new Error(`loadStateDict: "${name}" has shape ${formatShape(source.shape)} but the model expects ${formatShape(target.shape)}`);
      }
      target.data.set(source.data);
    }
  }
}
