/**
 * Exercise 10: the paper's Table 4 reports the percentage gain of batch (B)
 * over population (P) statistics under each attack:
 *
 *   gain = (acc_B − acc_P) / acc_P · 100
 *
 * Write it; return null when acc_P is 0 (the gain is undefined). The check
 * recomputes two of the paper's Table 4 entries from its Table 1-style
 * accuracies (CIFAR10, normal training).
 *
 * Check: npm run lesson -- 10 --check
 */
export function percentGain(population: number, batch: number): number | null {
  // TODO
  throw new Error(`percentGain is not written yet (P ${population}, B ${batch})`);
}
