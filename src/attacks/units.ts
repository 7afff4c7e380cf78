/**
 * The paper's ε and the pixel ε. The paper's code fed MNIST and Fashion-MNIST
 * normalized as (x − 0.1307)/0.3081 and stated ε in those units; here attacks
 * act on [0, 1] pixels, so ε_pixel = 0.3081 · ε_paper.
 */
export const PAPER_INPUT_STD = 0.3081;

/** Units of ε: the paper's normalized units or [0, 1] pixels. */
export type EpsUnits = 'paper' | 'pixel';

/** ε in pixels: ε_pixel = 0.3081·ε_paper for paper units, unchanged for pixel units. */
export function epsToPixel(eps: number, units: EpsUnits): number {
  return units === 'paper' ? eps * PAPER_INPUT_STD : eps;
}

/** ε in the paper's units: ε_paper = ε_pixel / 0.3081. */
export function epsToPaper(epsPixel: number): number {
  return epsPixel / PAPER_INPUT_STD;
}
