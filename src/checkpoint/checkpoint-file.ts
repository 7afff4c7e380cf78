/**
 * Checkpoint files on disk (Node): what a checkpoint holds, and how it is
 * encoded and decoded without a file system, is in checkpoint.ts.
 */
import { decodeCheckpoint, encodeCheckpoint, type CheckpointMetadata, type LoadedCheckpoint } from './checkpoint.js';
import { writeFileAtomic } from './atomic-write.js';
import { readCheckpointBytes } from './safetensors-file.js';
import type { Module } from '../nn/module.js';
import type { SGD } from '../optim/sgd.js';

/** Saves the model's state dict, the optimizer's momentum buffers and `metadata` as a safetensors file (atomically). */
export function saveCheckpoint(file: string, model: Module, metadata: Omit<CheckpointMetadata, 'format'>, optimizer?: SGD): void {
  writeFileAtomic(file, encodeCheckpoint(model, metadata, optimizer));
}

/** Reads a checkpoint file: rebuilds the model from the saved config and loads every tensor, checking names and shapes. */
export function loadCheckpoint(file: string): LoadedCheckpoint {
  return decodeCheckpoint(readCheckpointBytes(file), file);
}
