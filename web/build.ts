/**
 * Builds the browser playground into a static folder (default web/dist):
 *   main.js       the page's code and robustnorm's browser core, bundled by esbuild
 *   attack-worker.js  the attack panel's worker (attacks off the main thread)
 *   helper-worker.js  the attack worker's helper thread (its second core, where the page is cross-origin isolated)
 *   bench-worker.js   the kernel benchmark's and the backend measurement's worker
 *   index.html    the page, style.css its look
 *   digits.bin    the embedded MNIST split (the same 8,000 / 2,000 digits as Node's `mnist`), and digits.bin.gz, which the page fetches
 *   source/       the annotated RobustNorm source the backward-pass panel links to
 *   pretrained/   the BatchNorm and RobustNorm checkpoints the page opens with (web/pretrained/)
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { loadDataset } from '../src/index.js';
import { encodeDigits } from './digits.js';

const webDir = dirname(fileURLToPath(import.meta.url));

/** What a build wrote: its folder and the bundle's size, raw and gzipped. */
export interface PlaygroundBuild {
  outDir: string;
  bundleBytes: number;
  bundleGzipBytes: number;
}

/** Where `npm run playground` builds the page. */
export function defaultOutDir(): string {
  return join(webDir, 'dist');
}

/** Bundles the page into `outDir` and writes its data and static files. */
export async function buildPlayground(outDir = defaultOutDir()): Promise<PlaygroundBuild> {
  mkdirSync(join(outDir, 'source'), { recursive: true });
  await build({
    entryPoints: [join(webDir, 'main.ts'), join(webDir, 'attack-worker.ts'), join(webDir, 'helper-worker.ts'), join(webDir, 'bench-worker.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    // function and class names kept: the helper thread runs loops by name (helper-loops.ts) and checks its kernel's class
    keepNames: true,
    sourcemap: true,
    outdir: outDir,
    entryNames: '[name]',
    logLevel: 'warning',
  });
  for (const file of ['index.html', 'style.css']) copyFileSync(join(webDir, file), join(outDir, file));
  copyFileSync(join(webDir, '..', 'src', 'nn', 'robust-norm.ts'), join(outDir, 'source', 'robust-norm.ts.txt'));
  // the pretrained models the page opens with (web/pretrained/manifest.json says how they were made)
  mkdirSync(join(outDir, 'pretrained'), { recursive: true });
  for (const file of ['manifest.json', 'bn.safetensors', 'rn.safetensors']) copyFileSync(join(webDir, 'pretrained', file), join(outDir, 'pretrained', file));
  const { train, test } = loadDataset('mnist');
  const digitsBytes = encodeDigits(train, test);
  writeFileSync(join(outDir, 'digits.bin'), digitsBytes);
  // what the page fetches: gzipped (≈1.7 MB instead of 7.9 MB), unpacked in the browser by DecompressionStream
  writeFileSync(join(outDir, 'digits.bin.gz'), gzipSync(digitsBytes, { level: 9 }));
  const bundle = readFileSync(join(outDir, 'main.js'));
  return { outDir, bundleBytes: bundle.length, bundleGzipBytes: gzipSync(bundle).length };
}
