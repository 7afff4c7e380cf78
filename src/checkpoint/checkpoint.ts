/**
 * A robustnorm checkpoint is one safetensors file:
 *   - every parameter and buffer of the model under its PyTorch-style name
 *     (`layer1.0.bn1.running_mean`),
 *   - the optimizer's momentum buffers as `optimizer.momentum.<parameter name>`,
 *   - `__metadata__.robustnorm`: a JSON string with the model config (to rebuild
 *     the model), and the training state and metrics so far.
 *
 * In PyTorch: `from safetensors.torch import load_file; state = load_file(path)`
 * and `json.loads(safe_open(path, 'pt').metadata()['robustnorm'])`.
 */
import type { ModelConfig } from '../models/build.js';
import { buildModel } from '../models/build.js';
import type { Module } from '../nn/module.js';
import type { SGD } from '../optim/sgd.js';
import { Tensor } from '../tensor/tensor.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

export const CHECKPOINT_FORMAT = 'robustnorm-checkpoint/1';

/** The JSON stored in a checkpoint's `robustnorm` metadata. */
export interface CheckpointMetadata {
  format: string;
  model: ModelConfig;
  /** Seed the model was initialized with. */
  seed: number;
  /** Free-form training state: epochs done, settings, metrics. */
  training: Record<string, unknown>;
}

const MOMENTUM_PREFIX = 'optimizer.momentum.';

/** The model's state dict, the optimizer's momentum buffers and `metadata`, encoded as safetensors bytes (what saveCheckpoint writes). */
export function encodeCheckpoint(model: Module, metadata: Omit<CheckpointMetadata, 'format'>, optimizer?: SGD): Uint8Array {
  const tensors = new Map(model.stateDict());
  if (optimizer) {
    const names = new Map(model.namedParameters().map(([name, tensor]) => [tensor, name]));
    for (const [parameter, buffer] of optimizer.momentumBuffers) {
      const name = names.get(parameter);
      if (name !== undefined) tensors.set(MOMENTUM_PREFIX + name, new Tensor(buffer, parameter.shape));
    }
  }
  return encodeSafetensors(tensors, { robustnorm: JSON.stringify({ format: CHECKPOINT_FORMAT, ...metadata }) });
}

/** A checkpoint read back: the rebuilt model, its metadata and momentum buffers. */
export interface LoadedCheckpoint {
  model: Module;
  metadata: CheckpointMetadata;
  /** Momentum buffers by parameter name (empty if none were saved). */
  momentum: Map<string, Tensor>;
}

/**
 * A checkpoint from its bytes (a file's contents, or an ArrayBuffer a page
 * was given): rebuilds the model from the saved config and loads every
 * tensor, checking names and shapes. `file` names it in error messages.
 */
export function decodeCheckpoint(bytes: Uint8Array | ArrayBuffer, file = 'checkpoint'): LoadedCheckpoint {
  const { tensors, metadata: raw } = decodeSafetensors(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), file);
  if (raw.robustnorm === undefined) throw new Error(`${file}: not a robustnorm checkpoint (no "robustnorm" metadata)`);
  let metadata: CheckpointMetadata;
  try {
    metadata = JSON.parse(raw.robustnorm) as CheckpointMetadata;
  } catch (error) {
    throw new Error(`${file}: robustnorm metadata is not JSON (${(error as Error).message})`);
  }
  if (metadata === null || typeof metadata !== 'object') throw new Error(`${file}: robustnorm metadata is not an object`);
  if (metadata.format !== CHECKPOINT_FORMAT) throw new Error(`${file}: checkpoint format "${metadata.format}" is not ${CHECKPOINT_FORMAT}`);
  if (!Number.isSafeInteger(metadata.seed)) throw new Error(`${file}: the model's seed must be a whole number, got ${JSON.stringify(metadata.seed)}`);
  let model: Module;
  try {
    model = buildModel(metadata.model, metadata.seed);
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  const state = new Map<string, Tensor>();
  const momentum = new Map<string, Tensor>();
  for (const [name, tensor] of tensors) {
    if (name.startsWith(MOMENTUM_PREFIX)) momentum.set(name.slice(MOMENTUM_PREFIX.length), tensor);
    else state.set(name, tensor);
  }
  try {
    model.loadStateDict(state);
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  return { model, metadata, momentum };
}

/** Restores momentum buffers saved by saveCheckpoint into a fresh optimizer for `model`. */
export function restoreMomentum(optimizer: SGD, model: Module, momentum: ReadonlyMap<string, Tensor>): void {
  for (const [name, parameter] of model.namedParameters()) {
    const saved = momentum.get(name);
    if (saved === undefined) continue;
    if (saved.size !== parameter.size) {
      throw new Error(`checkpoint: the momentum of ${name} has shape [${saved.shape.join(', ')}], its parameter [${parameter.shape.join(', ')}]`);
    }
    const buffer = new Float32Array(parameter.size);
    buffer.set(saved.data);
    optimizer.momentumBuffers.set(parameter, buffer);
  }
}
