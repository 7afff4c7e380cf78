/**
 * A model is described by a small JSON-able config (saved in checkpoints), and
 * built from it deterministically with a seed.
 */
import { parseNormKind, type NormConfig } from '../nn/norm-factory.js';
import type { Module } from '../nn/module.js';
import { Random } from '../random.js';
import { ResNet } from './resnet.js';
import { SmallCnn } from './small-cnn.js';

/** MNIST's pixel mean and standard deviation, as the paper's code normalizes its inputs. */
export const MNIST_NORMALIZATION = { mean: [0.1307], std: [0.3081] };

/** A model described as JSON (saved in checkpoints): architecture, norm, classes, input normalization. */
export interface ModelConfig {
  /** `small-cnn`, or `resnet<6n+2>` such as `resnet20`. */
  architecture: string;
  norm: NormConfig;
  classes: number;
  /** Input normalization applied as the model's first layer (null for none). */
  inputNormalization: { mean: number[]; std: number[] } | null;
}

export const MODEL_NAMES_HELP = 'small-cnn, resnet20, or resnet<6n+2> (resnet8, resnet14, resnet32, …)';

/** A {@link ModelConfig} for `architecture` (`small-cnn` or `resnet<6n+2>`) and `norm`, checking both names. */
export function modelConfig(architecture: string, norm: string, power = 0.2, inputNormalization: ModelConfig['inputNormalization'] = MNIST_NORMALIZATION): ModelConfig {
  parseArchitecture(architecture);
  return { architecture, norm: { kind: parseNormKind(norm), power }, classes: 10, inputNormalization };
}

/** The deepest ResNet built: resnet1202, the deepest in the ResNet paper's CIFAR experiments. */
export const MAX_RESNET_DEPTH = 1202;
/** The most classes a model is built with (a guard against configs that would allocate gigabytes). */
export const MAX_CLASSES = 10_000;

function parseArchitecture(architecture: string): { kind: 'small-cnn' } | { kind: 'resnet'; depth: number } {
  if (architecture === 'small-cnn') return { kind: 'small-cnn' };
  const match = /^resnet(\d+)$/.exec(String(architecture));
  if (match) {
    const depth = Number(match[1]);
    if (depth > MAX_RESNET_DEPTH) throw new Error(`model "${architecture}" is deeper than the deepest built here, resnet${MAX_RESNET_DEPTH}`);
    if (depth >= 8 && (depth - 2) % 6 === 0) return { kind: 'resnet', depth };
  }
  throw new Error(`unknown model "${architecture}"; choose ${MODEL_NAMES_HELP}`);
}

/**
 * Checks every field of a config (which may come from a checkpoint file)
 * before anything is allocated: the architecture and norm names, a whole
 * number of classes from 2 to MAX_CLASSES, a positive finite RobustNorm power,
 * and an input normalization of finite means and positive finite spreads.
 */
export function checkModelConfig(config: ModelConfig): void {
  if (config === null || typeof config !== 'object') throw new Error(`the model config is not an object: ${JSON.stringify(config)}`);
  parseArchitecture(config.architecture);
  if (config.norm === null || typeof config.norm !== 'object') throw new Error(`the model's norm is not an object: ${JSON.stringify(config.norm)}`);
  parseNormKind(String(config.norm.kind));
  const power = config.norm.power;
  if (power !== undefined && !(typeof power === 'number' && Number.isFinite(power) && power > 0)) throw new Error(`RobustNorm's power must be a positive number, got ${JSON.stringify(power)}`);
  const classes = config.classes;
  if (!(Number.isInteger(classes) && classes >= 2 && classes <= MAX_CLASSES)) throw new Error(`classes must be a whole number from 2 to ${MAX_CLASSES}, got ${JSON.stringify(classes)}`);
  const normalization = config.inputNormalization;
  if (normalization === null) return;
  const finite = (values: unknown, positive: boolean) => Array.isArray(values) && values.length >= 1 && values.every((value) => typeof value === 'number' && Number.isFinite(value) && (!positive || value > 0));
  if (typeof normalization !== 'object' || !finite(normalization.mean, false) || !finite(normalization.std, true) || normalization.mean.length !== normalization.std.length) {
    throw new Error(`the input normalization must be { mean, std }: equally long lists of finite numbers, std positive; got ${JSON.stringify(normalization)}`);
  }
}

/** Builds the model a config describes, initialized from `seed` (after {@link checkModelConfig}). */
export function buildModel(config: ModelConfig, seed: number): Module {
  checkModelConfig(config);
  const random = new Random(seed);
  const parsed = parseArchitecture(config.architecture);
  const common = { norm: config.norm, random, classes: config.classes, ...(config.inputNormalization ? { inputNormalization: config.inputNormalization } : {}) };
  return parsed.kind === 'small-cnn' ? new SmallCnn(common) : new ResNet({ ...common, depth: parsed.depth });
}
