/**
 * A PNG grid of adversarial examples: for each image a column of three tiles,
 * the clean image, the perturbation (mid-grey = 0, scaled so ±ε spans the
 * range) and the adversarial image, each with the model's predicted label
 * drawn above it (green when correct, red when wrong).
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PNG } from 'pngjs';

/** A 3×5 pixel font for the digits 0–9 (rows top to bottom, 3 bits each). */
const DIGITS: Record<string, number[]> = {
  '0': [7, 5, 5, 5, 7], '1': [2, 6, 2, 2, 7], '2': [7, 1, 7, 4, 7], '3': [7, 1, 7, 1, 7], '4': [5, 5, 7, 1, 1],
  '5': [7, 4, 7, 1, 7], '6': [7, 4, 7, 5, 7], '7': [7, 1, 1, 1, 1], '8': [7, 5, 7, 5, 7], '9': [7, 5, 7, 1, 7],
};

export interface ExampleColumn {
  clean: Float32Array;
  adversarial: Float32Array;
  label: number;
  cleanPrediction: number;
  adversarialPrediction: number;
}

/** Each image pixel is drawn as SCALE × SCALE PNG pixels. */
const SCALE = 3;
const LABEL_HEIGHT = 13;
const FONT_SCALE = 2;
const GAP = 4;

function setPixel(png: PNG, x: number, y: number, rgb: readonly [number, number, number]): void {
  const index = (png.width * y + x) << 2;
  png.data[index] = rgb[0];
  png.data[index + 1] = rgb[1];
  png.data[index + 2] = rgb[2];
  png.data[index + 3] = 255;
}

/** Draws one single-channel image of `size` = [height, width], each value mapped to a grey in [0, 1] by `toGrey`. */
function drawTile(png: PNG, left: number, top: number, values: ArrayLike<number>, size: readonly [number, number], toGrey: (value: number) => number): void {
  const [height, width] = size;
  for (let row = 0; row < height * SCALE; row++) {
    for (let col = 0; col < width * SCALE; col++) {
      const grey = Math.round(255 * Math.min(Math.max(toGrey(values[Math.floor(row / SCALE) * width + Math.floor(col / SCALE)] as number), 0), 1));
      setPixel(png, left + col, top + row, [grey, grey, grey]);
    }
  }
}

function drawNumber(png: PNG, left: number, top: number, value: number, rgb: readonly [number, number, number]): void {
  [...String(value)].forEach((digit, position) => {
    (DIGITS[digit] ?? []).forEach((bits, row) => {
      for (let bit = 0; bit < 3; bit++) {
        if (!(bits & (4 >> bit))) continue;
        for (let dy = 0; dy < FONT_SCALE; dy++) {
          for (let dx = 0; dx < FONT_SCALE; dx++) setPixel(png, left + (position * 4 + bit) * FONT_SCALE + dx, top + row * FONT_SCALE + dy, rgb);
        }
      }
    });
  });
}

/**
 * Writes the grid to `file`: one column per example, rows clean / perturbation / adversarial.
 * `eps` scales the perturbation row; `size` is [height, width] of one (single-channel) image.
 */
export function writeExampleGrid(file: string, columns: readonly ExampleColumn[], eps: number, size: readonly [number, number] = [28, 28]): void {
  if (columns.length === 0) throw new Error('writeExampleGrid: no examples to draw');
  for (const column of columns) {
    if (column.clean.length !== size[0] * size[1] || column.adversarial.length !== size[0] * size[1]) {
      throw new Error(`writeExampleGrid: expected single-channel ${size[0]}×${size[1]} images, got ${column.clean.length} values`);
    }
  }
  const tileWidth = size[1] * SCALE;
  const rowHeight = LABEL_HEIGHT + size[0] * SCALE + GAP;
  const png = new PNG({ width: columns.length * (tileWidth + GAP) + GAP, height: 3 * rowHeight + GAP });
  png.data.fill(255);
  const green = [0, 140, 0] as const;
  const red = [200, 0, 0] as const;
  columns.forEach((column, i) => {
    const left = GAP + i * (tileWidth + GAP);
    const difference = column.adversarial.map((value, j) => value - (column.clean[j] as number));
    const rows: Array<[ArrayLike<number>, (v: number) => number, number | null]> = [
      [column.clean, (v) => v, column.cleanPrediction],
      [difference, (v) => 0.5 + v / (2 * Math.max(eps, 1e-12)), null],
      [column.adversarial, (v) => v, column.adversarialPrediction],
    ];
    rows.forEach(([values, toGrey, prediction], r) => {
      const top = GAP + r * rowHeight;
      if (prediction !== null) drawNumber(png, left, top, prediction, prediction === column.label ? green : red);
      drawTile(png, left, top + LABEL_HEIGHT, values, size, toGrey);
    });
  });
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, PNG.sync.write(png));
}
