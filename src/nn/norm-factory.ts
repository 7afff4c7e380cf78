/**
 * Builds the normalization layer a model was asked for, so every model can be
 * built with any of them: bn (BatchNorm), rn (RobustNorm), ln (LayerNorm),
 * none (Identity).
 */
import { BatchNorm2d } from './batch-norm.js';
import { Identity } from './identity.js';
import { LayerNorm } from './layer-norm.js';
import type { Module } from './module.js';
import { RobustNorm2d } from './robust-norm.js';

/** The normalizations a model can be built with: BatchNorm, RobustNorm, LayerNorm, none. */
export type NormKind = 'bn' | 'rn' | 'ln' | 'none';
/** Every {@link NormKind}, for parsing and help texts. */
export const NORM_KINDS: readonly NormKind[] = ['bn', 'rn', 'ln', 'none'];

/** Which normalization a model uses, and RobustNorm's power. */
export interface NormConfig {
  kind: NormKind;
  /** RobustNorm's p (default 0.2). */
  power?: number;
}

/** Checks a norm name (`bn`, `rn`, `ln`, `none`), with an error listing the choices. */
export function parseNormKind(value: string): NormKind {
  if ((NORM_KINDS as readonly string[]).includes(value)) return value as NormKind;
  throw new Error(`unknown norm "${value}"; choose one of ${NORM_KINDS.join(', ')}`);
}

/** A new normalization layer of the configured kind for `channels` channels. */
export function makeNorm(config: NormConfig, channels: number): Module {
  switch (config.kind) {
    case 'bn':
      return new BatchNorm2d(channels);
    case 'rn':
      return new RobustNorm2d(channels, { power: config.power ?? 0.2 });
    case 'ln':
      return new LayerNorm(channels);
    case 'none':
      return new Identity();
  }
}
