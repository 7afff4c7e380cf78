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
import { decodeSafetensors, encodeSafetensors, jsonDepth, MAX_JSON_DEPTH } from './safetensors.js';

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
  if (jsonDepth(raw.robustnorm) > MAX_JSON_DEPTH) throw new Error(`${file}: robustnorm metadata nests deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    metadata = JSON.parse(raw.robustnorm) as CheckpointMetadata;
  } catch (error) {
    throw new Error(`${file}: robustnorm metadata is not JSON (${shorten((error as Error).message)})`);
  }
  const problem = metadataProblem(metadata);
  if (problem !== undefined) throw new Error(`${file}: ${problem}`);
  let model: Module;
  try {
    model = buildModel(metadata.model, metadata.seed);
  } catch (error) {
    throw new Error(`${file}: ${shorten((error as Error).message)}`);
  }
  const state = new Map<string, Tensor>();
  const momentum = new Map<string, Tensor>();
  for (const [name, tensor] of tensors) {
    if (name.startsWith(MOMENTUM_PREFIX)) momentum.set(name.slice(MOMENTUM_PREFIX.length), tensor);
    else state.set(name, tensor);
  }
  for (const [name, tensor] of state) {
    if (!/(^|\.)running_(var|range)$/.test(name)) continue;
    const bad = tensor.data.findIndex((value) => value < 0);
    if (bad >= 0) throw new Error(`${file}: "${name}" holds ${tensor.data[bad]} at index ${bad}; a running ${name.endsWith('var') ? 'variance' : 'range'} cannot be negative`);
  }
  try {
    model.loadStateDict(state);
  } catch (error) {
    throw new Error(`${file}: ${shorten((error as Error).message)}`);
  }
  return { model, metadata, momentum };
}

/** A value for an error message: JSON, cut to 60 characters with the full length said. */
export function quoted(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= 60 ? text : `${text.slice(0, 60)}… (${text.length} characters)`;
}

/** `message` with every quoted value longer than 60 characters cut (a 20 MB name must not make a 20 MB error). */
export function shorten(message: string): string {
  const cut = message.replace(/"[^"]{61,}"/g, (value) => `${value.slice(0, 61)}…" (${value.length - 2} characters)`);
  return cut.length <= 2000 ? cut : `${cut.slice(0, 2000)}… (${cut.length} characters)`;
}

/** What is wrong with the types of a checkpoint's robustnorm metadata, or undefined. */
function metadataProblem(metadata: unknown): string | undefined {
  const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject(metadata)) return `robustnorm metadata is ${quoted(metadata)}, not an object`;
  if (metadata.format !== CHECKPOINT_FORMAT) return `checkpoint format ${quoted(metadata.format)} is not ${CHECKPOINT_FORMAT}`;
  if (!Number.isSafeInteger(metadata.seed)) return `the model's seed must be a whole number, got ${quoted(metadata.seed)}`;
  const model = metadata.model;
  if (!isObject(model)) return `the model config is not an object (${quoted(model)})`;
  if (typeof model.architecture !== 'string' || model.architecture.length > 100) return `the model's architecture is ${quoted(model.architecture)}, not a model name`;
  if (!isObject(model.norm) || typeof model.norm.kind !== 'string' || model.norm.kind.length > 100) return `the model's norm is ${quoted(model.norm)}, not a norm config`;
  const training = metadata.training;
  if (!isObject(training)) return `the training state is not an object (${quoted(training)})`;
  if (training.settings !== undefined && !isObject(training.settings)) return `the training settings are ${quoted(training.settings)}, not an object`;
  if (training.dataset !== undefined && typeof training.dataset !== 'string') return `the training dataset is ${quoted(training.dataset)}, not a name`;
  const history = training.history;
  if (history !== undefined && (!Array.isArray(history) || !history.every((epoch) => isObject(epoch) && Number.isSafeInteger(epoch.epoch)))) {
    return `the training history is ${quoted(history)}, not a list of epoch records`;
  }
  return undefined;
}

/**
 * Restores momentum buffers saved by saveCheckpoint into a fresh optimizer for
 * `model`; a buffer of another shape than its parameter, or one saved under a
 * name the model has no parameter of, is an error.
 */
export function restoreMomentum(optimizer: SGD, model: Module, momentum: ReadonlyMap<string, Tensor>): void {
  const parameters = model.namedParameters();
  const names = new Set(parameters.map(([name]) => name));
  const unknown = [...momentum.keys()].filter((name) => !names.has(name));
  if (unknown.length > 0) {
    throw new Error(`checkpoint: momentum saved for ${unknown.slice(0, 3).map(quoted).join(', ')}${unknown.length > 3 ? ` and ${unknown.length - 3} more` : ''}, which the model has no parameter of`);
  }
  for (const [name, parameter] of parameters) {
    const saved = momentum.get(name);
    if (saved === undefined) continue;
    if (saved.shape.length !== parameter.shape.length || saved.shape.some((dim, i) => dim !== parameter.shape[i])) {
      throw new Error(`checkpoint: the momentum of ${name} has shape [${saved.shape.join(', ')}], its parameter [${parameter.shape.join(', ')}]`);
    }
    const buffer = new Float32Array(parameter.size);
    buffer.set(saved.data);
    optimizer.momentumBuffers.set(parameter, buffer);
  }
}
