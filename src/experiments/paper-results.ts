/**
 * The paper's published numbers, copied from its text (Awais, Shamshad & Bae
 * 2020, "Towards an Adversarially Robust Normalization Approach";
 * its code: https://github.com/awaisrauf/RobustNorm), with the table they come from and
 * their settings. The report prints them beside this run's numbers; nothing
 * here is ever written into a "this run" column.
 *
 * Accuracies are percentages. The attack columns are FGSM, BIM, MIM, CW, PGD.
 * Figures 2, 3, 4, 6 and 7 are plots without printed values; the report
 * describes what they show in words (`figureClaims`).
 */

/** One row of a paper table: accuracy in % clean and under each attack. */
export interface PaperAccuracyRow {
  /** `P`/`B` (statistics) or the normalization's name. */
  row: string;
  clean: number;
  fgsm: number;
  bim: number;
  mim: number;
  cw: number;
  pgd: number;
}

/** A paper table's rows, where they come from, and the settings they were measured at. */
export interface PaperTable {
  source: string;
  settings: string;
  rows: PaperAccuracyRow[];
}

const row = (name: string, clean: number, fgsm: number, bim: number, mim: number, cw: number, pgd: number): PaperAccuracyRow =>
  ({ row: name, clean, fgsm, bim, mim, cw, pgd });

/** The paper's Table 1 (population vs batch statistics under each attack), per dataset. */
export const PAPER_TABLE1: Record<'mnist' | 'fashion-mnist', PaperTable> = {
  mnist: {
    source: 'Table 1, MNIST', settings: 'ResNet20 with BatchNorm, ε = 0.2 (normalized units), CW c = 10, inference batch 128',
    rows: [row('P', 99.2, 59.6, 7.7, 16.7, 6.9, 7.7), row('B', 99.1, 91.7, 69.3, 78.7, 46.2, 69.3)],
  },
  'fashion-mnist': {
    source: 'Table 1, F-MNIST', settings: 'ResNet20 with BatchNorm, ε = 0.06 (normalized units), CW c = 10, inference batch 128',
    rows: [row('P', 93.7, 41.7, 1.5, 2.8, 2.2, 1.5), row('B', 93.6, 73.8, 32.4, 41.5, 25.8, 32.3)],
  },
};

/** Table 3 exists only for CIFAR10 (ResNet20, ε = 0.02, c = 0.01); no MNIST values were published. */
export const PAPER_TABLE3: PaperTable = {
  source: 'Table 3 (CIFAR10)', settings: 'ResNet20 on CIFAR10, ε = 0.02 (normalized units), CW c = 0.01; no norm trained at lr 0.01',
  rows: [
    row('No norm', 82.9, 43.4, 29.0, 31.5, 28.5, 29.0),
    row('LayerNorm', 89.4, 50.8, 30.1, 33.4, 31.1, 30.1),
    row('BatchNorm', 92.1, 48.4, 23.1, 27.0, 23.7, 23.8),
  ],
};

/** Table 4: percentage gain of batch over population statistics, (B − P)/P · 100; CIFAR only. */
export const PAPER_TABLE4 = {
  source: 'Table 4 (CIFAR10)', settings: 'ResNet20 on CIFAR10; adversarial training with PGD (Madry et al. settings)',
  rows: [
    { training: 'Normal', fgsm: 39.3, bim: 102.2, mim: 101.1, cw: 71.7, pgd: 101.7 },
    { training: 'Adversarial', fgsm: 23.0, bim: 30.5, mim: 31.7, cw: 57.3, pgd: 30.5 },
  ],
};

/** What the paper's figures show, in its own words (they print no values). */
export const FIGURE_CLAIMS = {
  figure2: 'Figure 2 (CIFAR10, ResNet20, PGD): the batch statistics of adversarial test batches differ from the population statistics, and the same channels err in the same direction batch after batch.',
  figure3: 'Figure 3 (ResNet20, MNIST, F-MNIST, CIFAR10): RobustNorm is more accurate than BatchNorm under every attack; on CIFAR10 it raises adversarial accuracy from 22% to 70%.',
  figure4: 'Figure 4: at small inference batches BatchNorm with batch statistics drops towards zero; RobustNorm degrades far less, and RobustNorm with the population mean keeps its accuracy.',
  figure6: 'Figure 6 (CIFAR10): p = 0.2 converges fastest but is not the most robust; p = 0.05 is more robust with the population mean.',
  figure7: 'Figure 7 (CIFAR10): BatchNorm sinks to zero for ε > 0.05 under BIM and PGD; RobustNorm stays more accurate at every ε, and RobustNorm with the population mean lies between them.',
};
