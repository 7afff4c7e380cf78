/** A solution to exercise 10 (lessons/exercises/10-reproduction.ts); src/experiments/table4.ts has the same function. */
export function percentGain(population: number, batch: number): number | null {
  return population > 0 ? ((batch - population) / population) * 100 : null;
}
