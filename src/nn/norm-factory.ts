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

export type NormKind = 'bn' | 'rn' | 'ln' | 'none';
export const NORM_KINDS: readonly NormKind[] = ['bn', 'rn', 'ln', 'none'];

export interface NormConfig {
  kind: NormKind;
  /** RobustNorm's p (default 0.2). */
  power?: number;
}

export function parseNormKind(value: string): NormKind {
  if ((NORM_KINDS as readonly string[]).includes(value)) return value as NormKind;
  throw new Error(`unknown norm "${value}"; choose one of ${NORM_KINDS.join(', ')}`);
}

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
