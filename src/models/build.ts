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

function parseArchitecture(architecture: string): { kind: 'small-cnn' } | { kind: 'resnet'; depth: number } {
  if (architecture === 'small-cnn') return { kind: 'small-cnn' };
  const match = /^resnet(\d+)$/.exec(architecture);
  if (match) {
    const depth = Number(match[1]);
    if (depth >= 8 && (depth - 2) % 6 === 0) return { kind: 'resnet', depth };
  }
  throw new Error(`unknown model "${architecture}"; choose ${MODEL_NAMES_HELP}`);
}

/** Builds the model a config describes, initialized from `seed`. */
export function buildModel(config: ModelConfig, seed: number): Module {
  const random = new Random(seed);
  const parsed = parseArchitecture(config.architecture);
  const common = { norm: config.norm, random, classes: config.classes, ...(config.inputNormalization ? { inputNormalization: config.inputNormalization } : {}) };
  return parsed.kind === 'small-cnn' ? new SmallCnn(common) : new ResNet({ ...common, depth: parsed.depth });
}
