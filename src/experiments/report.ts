/**
 * report.md from a results file: for each experiment, this run's numbers
 * beside the paper's, its figure, and a paragraph that says plainly whether
 * this run shows the paper's effect and by how much. Every sentence about
 * "this run" is computed from the results; the paper's numbers come only from
 * paper-results.ts.
 */
import { ATTACK_NAMES, type AttackName } from '../attacks/registry.js';
import { PAPER_INPUT_STD } from '../attacks/units.js';
import type { AccuracyRow, StrongCwRow } from './context.js';
import { FIGURE_CLAIMS, PAPER_TABLE1, PAPER_TABLE3, PAPER_TABLE4, type PaperAccuracyRow } from './paper-results.js';
import type { EpsRow } from './figure7.js';
import type { ReproductionResults, RunMetadata } from './results.js';
import { accuracyInterval, clearDifference, type Interval } from './intervals.js';
import { formatDuration } from './run-progress.js';
import { EXPERIMENTS } from './settings.js';
import { attackCheckFindings, attackCheckSection } from './report-attack-check.js';

const ATTACK_TITLES: Record<AttackName, string> = { fgsm: 'FGSM', bim: 'BIM', mim: 'MIM', cw: 'CW', pgd: 'PGD' };

const pct = (fraction: number | undefined): string => (fraction === undefined || Number.isNaN(fraction) ? '–' : (100 * fraction).toFixed(1));

/**
 * An accuracy with its 95% Wilson interval over the images it was measured
 * on, "97.3 (95.5–98.4)"; with several seeds, the spread (sample standard
 * deviation) over seeds too: "97.3 ±0.4 (96.6–97.8)", the interval then over
 * the images of every seed pooled (intervals.ts).
 */
function withInterval(fraction: number | undefined, images: number, spread?: number, unit = ''): string {
  if (fraction === undefined || Number.isNaN(fraction)) return '–';
  const { low, high } = accuracyInterval(fraction, images);
  const seeds = spread === undefined ? '' : ` ±${(100 * spread).toFixed(1)}`;
  return `${pct(fraction)}${unit}${seeds} (${pct(low)}–${pct(high)})`;
}

const rowInterval = (row: AccuracyRow, attack: AttackName | 'clean'): Interval =>
  accuracyInterval(attack === 'clean' ? row.clean : (row.attacks[attack] ?? Number.NaN), row.images);
const signed = (points: number): string => `${points >= 0 ? '+' : ''}${points.toFixed(1)}`;
const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);

function attacksOf(results: ReproductionResults): AttackName[] {
  return ATTACK_NAMES.filter((attack) => results.settings.attacks.includes(attack));
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** "this run" rows followed by the paper's rows, one column per attack. */
function accuracyTable(results: ReproductionResults, ours: Array<[string, AccuracyRow]>, paper: Array<[string, PaperAccuracyRow]>): string {
  const attacks = attacksOf(results);
  const header = ['', 'clean', ...attacks.map((attack) => ATTACK_TITLES[attack])];
  const rows = [
    ...ours.map(([name, row]) => [
      `**this run** ${name}`,
      withInterval(row.clean, row.images, row.spread?.clean),
      ...attacks.map((attack) => withInterval(row.attacks[attack], row.images, row.spread?.attacks[attack])),
    ]),
    ...paper.map(([name, row]) => [`paper ${name}`, row.clean.toFixed(1), ...attacks.map((attack) => row[attack].toFixed(1))]),
  ];
  return table(header, rows);
}

/**
 * Under how many attacks `better` is clearly more accurate than `worse` (their
 * 95% intervals apart), under how many clearly less, and by how many points
 * on average.
 */
function compare(results: ReproductionResults, better: AccuracyRow, worse: AccuracyRow): { wins: number; losses: number; total: number; meanPoints: number } {
  const attacks = attacksOf(results);
  const differences = attacks.map((attack) => 100 * ((better.attacks[attack] ?? 0) - (worse.attacks[attack] ?? 0)));
  const clear = attacks.map((attack) => clearDifference(rowInterval(better, attack), rowInterval(worse, attack)));
  return { wins: clear.filter((d) => d > 0).length, losses: clear.filter((d) => d < 0).length, total: attacks.length, meanPoints: mean(differences) };
}

/** "clearly more accurate under 3 of 5 attacks, clearly less under 1" */
function clearCount(c: { wins: number; losses: number; total: number }): string {
  return `clearly more accurate under ${c.wins} of ${c.total} attacks${c.losses > 0 ? `, clearly less under ${c.losses}` : ''} (95% intervals apart)`;
}

function paperCompare(results: ReproductionResults, better: PaperAccuracyRow, worse: PaperAccuracyRow): number {
  return mean(attacksOf(results).map((attack) => better[attack] - worse[attack]));
}

function verdict(wins: number, total: number): string {
  if (wins === total) return 'shows the paper\'s effect under every attack';
  if (wins === 0) return 'does **not** show the paper\'s effect under any attack';
  return `shows the paper's effect under ${wins} of ${total} attacks only`;
}

/**
 * Why the paper's CW row sits near clean accuracy, in two sentences (the
 * arithmetic is in src/attacks/cw.ts). Adam moves each tanh-space coordinate
 * by at most about its rate a step, 9 evaluated steps: |Δw| ≤ 9·ε/10; a pixel is
 * tanh(w)/2 + 1/2, whose slope is at most 1/2, so |Δx| ≤ 4.5·ε/10 in pixels.
 * The second sentence depends on the data: MNIST's pixels sit at 0 or 1, where
 * that slope is ≈ 0; Fashion-MNIST's garments are gray, where it is not.
 */
function paperCwNote(dataset: string, eps: number, epsPixel: number): string {
  const why = 'because its settings barely move an image: Adam\'s rate is ε/10 in tanh space, and each of the 3 binary-search rounds restarts from zero and takes 10 steps (advertorch never evaluates the last), so no pixel moves more than about 9 rates in tanh space. ';
  if (dataset !== 'fashion-mnist') {
    return `The paper's CW row sits near clean accuracy ${why}Most MNIST pixels are exactly 0 or 1, where tanh is saturated and such a move changes them by almost nothing, so few images change class.`;
  }
  const mostPixelMove = (4.5 * eps) / 10;
  return `The paper's CW row is a weak attack ${why}Fashion-MNIST's background pixels are exactly 0, where tanh is saturated, but its garments' gray pixels can each move up to 4.5 rates in pixels (${mostPixelMove.toFixed(3)} at ε = ${eps}, against the L∞ attacks' ${epsPixel.toFixed(4)}), so here the row falls further below clean accuracy than on MNIST.`;
}

/** The strong-CW rows: accuracy with its interval, and the mean L2 size of the perturbation. */
function strongCwTable(rows: Array<[string, StrongCwRow]>): string {
  return table(['', 'images', 'clean', 'strong CW', 'mean ‖δ‖₂ (pixels)'], rows.map(([name, row]) => [
    `**this run** ${name}`, String(row.images),
    withInterval(row.clean, row.images, row.spread?.clean),
    withInterval(row.accuracy, row.images, row.spread?.accuracy),
    `${row.meanL2.toFixed(2)}${row.spread ? ` ±${row.spread.meanL2.toFixed(2)}` : ''}`,
  ]));
}

function strongCwSection(results: ReproductionResults, rows: Array<[string, StrongCwRow]>): string {
  const strong = results.settings.strongCw;
  if (strong === undefined || rows.length === 0) return '';
  return `
**Carlini–Wagner run to convergence** (this project's addition; the paper has no such row): ${strong.binarySearchSteps} binary-search round(s) × ${strong.maxIterations} Adam steps at rate ${strong.learningRate} in tanh space, c = ${results.settings.cwConst}, on the first ${rows[0]?.[1].images ?? strong.images} test images. CW-L2 has no ε: an image counts as robust only if the attack finds no misclassified image at any distance, so read the mean perturbation size beside the accuracy.

${strongCwTable(rows)}
`;
}

function settingsSection(results: ReproductionResults): string {
  const { settings: s, metadata: m } = results;
  const epsPixel = (s.eps * PAPER_INPUT_STD).toFixed(4);
  return `## Settings

| | |
|---|---|
| preset | \`${s.preset}\` (\`${m.command}\`) |
| data | ${m.dataset.name}: ${m.dataset.trainImages} training images, ${m.dataset.testImages} test images for the tables, ${m.dataset.sweepImages} for the sweeps |
| model | ${s.model}, ${epochsTrained(m)}, batch ${s.batchSize}, SGD lr ${s.lr} (no norm: ${s.noNormLr}), momentum ${s.momentum}, weight decay ${s.weightDecay}, lr ÷10 at epochs ${s.milestones.join(', ')}, random horizontal flips: ${s.flip ? 'yes' : 'no'} |
| input | pixels in [0, 1], normalized by the model's first layer with mean 0.1307, std 0.3081 (the paper's code did this in its data loader) |
| attacks | L∞, ε = ${s.eps} in the paper's normalized units = ${epsPixel} in pixels; step ε/10, 20 iterations; PGD from a uniform random start; MIM decay 1.0; CW-L2 with 3 binary-search steps × 10 Adam iterations, c = ${s.cwConst}, learning rate ε/10; summed cross-entropy; box [0, 1] |
| inference | attacks run in inference mode with the statistics named in each row; with batch statistics the attack's gradient flows through them; inference batch ${s.batchSize} unless a figure varies it |
${results.table4 ? `| adversarial training | PGD with ε = ${s.advEps} (paper units), step ε/4, ${s.advIter} iterations, examples made with the model in training mode as the paper's code did (Table 4 only; the paper's training script defaulted to ε = 0.03) |\n` : ''}| seed | ${m.seeds ? `${m.seeds.join(', ')} (initialization, shuffling, flips, PGD starts): each seed trains its own models and runs its own attacks (its report is in \`seed-<n>/\`); an accuracy here is the mean over seeds ± their standard deviation, with the 95% Wilson interval of the mean over the ${m.dataset.testImages} test images (the same images for every seed)` : `${m.seed} (initialization, shuffling, flips, PGD starts)`} |
| uncertainty | every accuracy carries its 95% Wilson interval over the test images it was measured on, "97.3 (95.5–98.4)"; the effect sentences count a difference only where the two intervals do not overlap |
| backend | ${m.backend}; robustnorm ${m.versions.robustnorm}, Node ${m.versions.node}, gpu.js ${m.versions.gpujs} |
| wall time | ${wallTime(m)} |
${s.note ? `\n**Why these settings.** ${s.note}\n` : ''}
Where the paper's code and text differ, this project follows the choices of its normalization layers:
BatchNorm divides by √(σ² + ε) with the biased batch variance in training (PyTorch's rule; the paper's code divided by √(unbiased σ²) + ε),
and RobustNorm by r^p + ε with r = max − min per channel and p = ${0.2} unless a row says otherwise (eq. 6; see \`src/nn/robust-norm.ts\`).

### Models trained in this run

${table(['model', 'epochs', 'test accuracy (inference mode)', 'final train loss', 'training time', 'time per step'], m.models.map((model) => [
    model.label, String(model.epochs), withInterval(model.testAccuracy, m.dataset.testImages, model.testAccuracySpread), model.trainLoss.toFixed(4), formatDuration(model.trainSeconds), `${(1000 * model.secondsPerStep).toFixed(0)} ms`,
  ]))}
`;
}

/**
 * The epochs the models were trained for: the run's setting, or, where a model
 * reused from an earlier run in the folder holds other epochs, what they hold.
 */
function epochsTrained(m: RunMetadata): string {
  const trained = [...new Set(m.models.map((model) => model.epochs))].sort((a, b) => a - b);
  if (trained.every((epochs) => epochs === m.epochs)) return `${m.epochs} epoch(s)`;
  return `${trained.join(' or ')} epoch(s) (models trained by an earlier run in this folder were reused; this run asked for ${m.epochs})`;
}

/** The run's wall time, saying what it sums: seeds (run one after another) and resumed runs. */
function wallTime(m: RunMetadata): string {
  const seeds = m.seeds ? `, summed over its ${m.seeds.length} seeds` : '';
  const resumed = m.runs === undefined ? '' : m.seeds ? ` (their folders written by ${m.runs} runs: it was resumed)` : `, summed over the ${m.runs} runs that wrote this folder (it was resumed)`;
  return `${formatDuration(m.wallSeconds)}${seeds}${resumed}`;
}

function table1Section(results: ReproductionResults): string {
  const result = results.table1;
  if (!result) return '';
  const [population, batch] = result.rows as [AccuracyRow, AccuracyRow];
  const paper = PAPER_TABLE1[results.settings.dataset === 'fashion-mnist' ? 'fashion-mnist' : 'mnist'];
  const [paperP, paperB] = paper.rows as [PaperAccuracyRow, PaperAccuracyRow];
  const ours = compare(results, batch, population);
  return `## ${EXPERIMENTS[1]}

ε = ${result.eps} (paper units) = ${result.epsPixel.toFixed(4)} (pixels), BatchNorm ${results.settings.model}. Accuracy in %.

${accuracyTable(results, [['P', population], ['B', batch]], [['P', paperP], ['B', paperB]])}

Paper: ${paper.source}, ${paper.settings}.

![Table 1](table1.svg)

${paperCwNote(results.settings.dataset, result.eps, result.epsPixel)}
${strongCwSection(results, (result.strongCw ?? []).map((row): [string, StrongCwRow] => [row.statistics === 'population' ? 'P' : 'B', row]))}
This run ${verdict(ours.wins, ours.total)}: with batch statistics the model is ${clearCount(ours)} than with population statistics, by ${signed(ours.meanPoints)} points on average (the paper: ${signed(paperCompare(results, paperB, paperP))}). Clean accuracy: ${withInterval(population.clean, population.images, population.spread?.clean, '%')} with P, ${withInterval(batch.clean, batch.images, batch.spread?.clean, '%')} with B.
`;
}

function table3Section(results: ReproductionResults): string {
  const result = results.table3;
  if (!result) return '';
  const [none, layerNorm, batchNorm] = result.rows as [AccuracyRow, AccuracyRow, AccuracyRow];
  const lines = [none, layerNorm].map((row) => {
    const c = compare(results, row, batchNorm);
    return `${row.label} is ${clearCount(c)} than BatchNorm (P) (${signed(c.meanPoints)} points on average)`;
  });
  const paperRows = PAPER_TABLE3.rows.map((row): [string, PaperAccuracyRow] => [row.row, row]);
  return `## ${EXPERIMENTS[2]}

${accuracyTable(results, result.rows.map((row): [string, AccuracyRow] => [row.label, row]), paperRows)}

Paper: ${PAPER_TABLE3.source}, ${PAPER_TABLE3.settings}; the paper printed no MNIST values for this table, so its CIFAR10 numbers stand beside ours only for the direction of the effect.

![Table 3](table3.svg)

The paper's claim is that normalizations without moving averages are more accurate under attack than BatchNorm with population statistics. In this run ${lines.join('; ')}.
`;
}

function figure3Section(results: ReproductionResults): string {
  const result = results.figure3;
  if (!result) return '';
  const [batchNorm, robust, robustMean] = result.rows as [AccuracyRow, AccuracyRow, AccuracyRow];
  const rn = compare(results, robust, batchNorm);
  const rnMean = compare(results, robustMean, batchNorm);
  return `## ${EXPERIMENTS[3]}

${accuracyTable(results, [['BN (P)', batchNorm], ['RN', robust], ['RN w/ μ̂_P', robustMean]], [])}

![Figure 3](figure3.svg)
${strongCwSection(results, (result.strongCw ?? []).map((row, i): [string, StrongCwRow] => [['BN (P)', 'RN', 'RN w/ μ̂_P'][i] ?? row.label, row]))}
${FIGURE_CLAIMS.figure3}

This run: RobustNorm (batch statistics) ${verdict(rn.wins, rn.total)}: it is ${clearCount(rn)} than BatchNorm (${signed(rn.meanPoints)} points on average). RobustNorm with the population mean ${verdict(rnMean.wins, rnMean.total)}: ${clearCount(rnMean)} (${signed(rnMean.meanPoints)} points). Clean accuracy: BN ${withInterval(batchNorm.clean, batchNorm.images, batchNorm.spread?.clean, '%')}, RN ${withInterval(robust.clean, robust.images, robust.spread?.clean, '%')}, RN w/ μ̂_P ${withInterval(robustMean.clean, robustMean.images, robustMean.spread?.clean, '%')}.
`;
}

/** Words for how much further adversarial batch statistics are from the population's than clean ones. */
function shiftVerdict(meanRatio: number, varianceRatio: number): string {
  const larger = Math.max(meanRatio, varianceRatio);
  if (!(larger > 1)) return 'this run does **not** show a larger shift under attack';
  if (larger < 1.2) return 'only a slightly larger shift under attack (under 1.2×), far weaker than the paper\'s picture';
  return 'the attack clearly shifts the statistics, as the paper says';
}

function figure2Section(results: ReproductionResults): string {
  const result = results.figure2;
  if (!result) return '';
  const { clean, adversarial } = result.meanAbsShift;
  const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(1)}×` : '–');
  return `## ${EXPERIMENTS[4]}

Layer \`${result.layer}\` (${result.channels} channels), ${result.clean.mean.length} test batches of ${result.batchSize}; PGD at ε = ${results.settings.eps} against the model with population statistics.

| batches | mean \\|μ_B − μ̂_P\\| | mean \\|σ²_B − σ̂²_P\\| |
|---|---|---|
| clean | ${clean.mean.toPrecision(3)} | ${clean.variance.toPrecision(3)} |
| PGD | ${adversarial.mean.toPrecision(3)} | ${adversarial.variance.toPrecision(3)} |

![Figure 2, mean](figure2-mean.svg)
![Figure 2, variance](figure2-variance.svg)

${FIGURE_CLAIMS.figure2}

This run: under PGD the batch mean is ${ratio(adversarial.mean, clean.mean)} and the batch variance ${ratio(adversarial.variance, clean.variance)} as far from the population statistics as on clean batches: ${shiftVerdict(adversarial.mean / clean.mean, adversarial.variance / clean.variance)}.
${result.merged ? `
This report merges ${result.merged.perSeed.length} seeds: the table and figures show seed ${result.merged.shownSeed} (each seed's own report, in \`seed-<n>/\`, shows its own). Every seed's shift under PGD, as a multiple of the clean batches': ${result.merged.perSeed.map(({ seed, meanAbsShift: shift }) => `seed ${seed}: mean ${ratio(shift.adversarial.mean, shift.clean.mean)}, variance ${ratio(shift.adversarial.variance, shift.clean.variance)}`).join('; ')}.
` : ''}`;
}

function figure4Section(results: ReproductionResults): string {
  const result = results.figure4;
  if (!result) return '';
  const sizes = [...new Set(result.rows.map((row) => row.batchSize))];
  const labels = [...new Set(result.rows.map((row) => row.label))];
  const cell = (label: string, size: number) => {
    const row = result.rows.find((r) => r.label === label && r.batchSize === size);
    const images = row?.images ?? results.metadata.dataset.sweepImages;
    return row ? `${withInterval(row.clean, images, row.spread?.clean)} / ${withInterval(row.pgd, images, row.spread?.pgd)}` : '–';
  };
  const smallest = Math.min(...sizes);
  const largest = Math.max(...sizes);
  const at = (label: string, size: number) => result.rows.find((r) => r.label === label && r.batchSize === size);
  const describe = (label: string, size: number) => `${pct(at(label, size)?.clean)}% clean / ${pct(at(label, size)?.pgd)}% PGD at batch ${size}`;
  const summary = labels.map((label) => `${label}: ${describe(label, smallest)} vs ${describe(label, largest)}`).join('; ');
  return `## ${EXPERIMENTS[5]}

Clean / PGD accuracy (%) by inference batch size, on ${result.rows[0] ? `the sweep's test images` : 'no images'}.

${table(['', ...sizes.map(String)], labels.map((label) => [label, ...sizes.map((size) => cell(label, size))]))}

![Figure 4](figure4.svg)

${FIGURE_CLAIMS.figure4}

This run: ${summary}.
`;
}

function figure6Section(results: ReproductionResults): string {
  const result = results.figure6;
  if (!result) return '';
  const attacks = attacksOf(results);
  const rows = result.rows.map(({ power, row }) => [
    `p = ${power}, ${row.statistics === 'batch' ? 'RN' : 'RN w/ μ̂_P'}`,
    withInterval(row.clean, row.images, row.spread?.clean),
    ...attacks.map((attack) => withInterval(row.attacks[attack], row.images, row.spread?.attacks[attack])),
  ]);
  const pgdOf = (statistics: string) => result.rows.filter(({ row }) => row.statistics === statistics).map(({ power, row }) => ({ power, pgd: row.attacks.pgd ?? 0 }));
  const best = (statistics: string) => pgdOf(statistics).reduce((a, b) => (b.pgd > a.pgd ? b : a), { power: Number.NaN, pgd: -1 });
  return `## ${EXPERIMENTS[6]}

${table(['', 'clean', ...attacks.map((attack) => ATTACK_TITLES[attack])], rows)}

![Figure 6](figure6.svg)

${FIGURE_CLAIMS.figure6}

This run: the most PGD-robust power is p = ${best('batch').power} for RN and p = ${best('population-mean').power} for RN w/ μ̂_P.
`;
}

function figure7Section(results: ReproductionResults): string {
  const result = results.figure7;
  if (!result) return '';
  const epsValues = [...new Set(result.rows.map((row) => row.eps))];
  const labels = [...new Set(result.rows.map((row) => row.label))];
  const attacks = [...new Set(result.rows.map((row) => row.attack))];
  const header = ['attack', 'model', ...epsValues.map((eps) => `ε ${eps}`)];
  const cell = (attack: AttackName, label: string, eps: number): string => {
    const row = result.rows.find((r) => r.attack === attack && r.label === label && r.eps === eps);
    return row ? withInterval(row.accuracy, row.images ?? results.metadata.dataset.sweepImages, row.spread) : '–';
  };
  const rows = attacks.flatMap((attack) => labels.map((label) => [ATTACK_TITLES[attack], label, ...epsValues.map((eps) => cell(attack, label, eps))]));
  const pairs = result.rows.filter((row) => row.label === 'RN').map((rn) => ({ rn, bn: result.rows.find((row) => row.label === 'BN' && row.attack === rn.attack && row.eps === rn.eps) }));
  const interval = (row: EpsRow) => accuracyInterval(row.accuracy, row.images ?? results.metadata.dataset.sweepImages);
  const clear = pairs.map(({ rn, bn }) => (bn === undefined ? 0 : clearDifference(interval(rn), interval(bn))));
  const wins = clear.filter((d) => d > 0).length;
  const losses = clear.filter((d) => d < 0).length;
  return `## ${EXPERIMENTS[7]}

Accuracy (%) against ε (paper units; pixels = ε × ${PAPER_INPUT_STD}).

${table(header, rows)}

![Figure 7](figure7.svg)

${FIGURE_CLAIMS.figure7}

This run: RobustNorm is clearly more accurate than BatchNorm at ${wins} of ${pairs.length} (attack, ε) points${losses > 0 ? ` and clearly less at ${losses}` : ''} (95% intervals apart).
`;
}

/**
 * Table 4's verdict from the mean gains (B − P)/P after normal and after
 * adversarial training. The paper's claim is that batch statistics help
 * (gain > 0) and that adversarial training makes the gap smaller. The gain is
 * signed, so "smaller" means smaller in size with the same sign: −10% → −55%
 * is a gap that grew, and +10% → −5% is one that flipped (batch statistics
 * went from ahead to behind), neither of which is what the paper says.
 */
function table4Verdict(normal: number, adversarial: number): string {
  if (normal > 0 && adversarial < 0 || normal < 0 && adversarial > 0) {
    return `the gap flips sign (batch statistics ${normal > 0 ? 'ahead' : 'behind'} after normal training, ${adversarial > 0 ? 'ahead' : 'behind'} after adversarial training): this run does **not** show the paper's shrinking gap`;
  }
  if (Math.abs(adversarial) >= Math.abs(normal)) {
    return `the gap ${Math.abs(adversarial) > Math.abs(normal) ? 'grows' : 'stays the same size'}: this run does **not** show the gap shrinking`;
  }
  if (normal < 0) {
    return 'the gap shrinks, but batch statistics are behind population statistics after both trainings, unlike the paper, where they are ahead';
  }
  return 'adversarial training shrinks the gap, as the paper says';
}

function table4Section(results: ReproductionResults): string {
  const result = results.table4;
  if (!result) return '';
  const attacks = attacksOf(results);
  const gain = (value: number | null | undefined) => (value === null || value === undefined ? '–' : value.toFixed(1));
  const ours = result.rows.map((row) => [`**this run** ${row.training}`, ...attacks.map((attack) => gain(row.gain[attack]))]);
  const paper = PAPER_TABLE4.rows.map((row) => [`paper ${row.training.toLowerCase()}`, ...attacks.map((attack) => row[attack].toFixed(1))]);
  const meanGain = (training: string): number | null => {
    const gains = attacks.map((attack) => result.rows.find((row) => row.training === training)?.gain[attack]).filter((value): value is number => typeof value === 'number');
    return gains.length > 0 ? mean(gains) : null;
  };
  const normal = meanGain('normal');
  const adversarial = meanGain('adversarial');
  const finding = normal === null || adversarial === null
    ? 'the gain is undefined (population statistics scored 0% under every attack for at least one model), so this run cannot say whether the gap shrinks'
    : `mean gain ${signed(normal)}% after normal training and ${signed(adversarial)}% after adversarial training, so ${table4Verdict(normal, adversarial)}`;
  return `## ${EXPERIMENTS[8]}

Gain of batch over population statistics, (B − P)/P in %, for BatchNorm trained on clean images and on PGD examples.

${table(['', ...attacks.map((attack) => ATTACK_TITLES[attack])], [...ours, ...paper])}

Paper: ${PAPER_TABLE4.source}, ${PAPER_TABLE4.settings}.

This run: ${finding}.
`;
}

/**
 * "What this run shows": the main findings in a few sentences, each computed
 * from the numbers below it (only clear differences, 95% intervals apart, count).
 */
function summarySection(results: ReproductionResults): string {
  const findings: string[] = [];
  if (results.table1) {
    const [population, batch] = results.table1.rows as [AccuracyRow, AccuracyRow];
    const c = compare(results, batch, population);
    const paper = PAPER_TABLE1[results.settings.dataset === 'fashion-mnist' ? 'fashion-mnist' : 'mnist'];
    const cleanGap = clearDifference(rowInterval(batch, 'clean'), rowInterval(population, 'clean'));
    findings.push(`**Batch vs population statistics (Table 1).** With batch statistics, BatchNorm is ${clearCount(c)} than with population statistics, by ${signed(c.meanPoints)} points on average; the paper reports ${signed(paperCompare(results, paper.rows[1] as PaperAccuracyRow, paper.rows[0] as PaperAccuracyRow))}. ` +
      `On clean images the two are ${withInterval(population.clean, population.images, population.spread?.clean, '%')} (P) and ${withInterval(batch.clean, batch.images, batch.spread?.clean, '%')} (B)${cleanGap === 0 ? ', not clearly different, so a gap under attack is not a gap in clean accuracy' : `, ${cleanGap > 0 ? 'B clearly ahead' : 'P clearly ahead'} already on clean images, which accounts for part of any gap under attack`}.`);
  }
  if (results.figure3) {
    const [batchNorm, robust, robustMean] = results.figure3.rows as [AccuracyRow, AccuracyRow, AccuracyRow];
    const rn = compare(results, robust, batchNorm);
    const rnMean = compare(results, robustMean, batchNorm);
    findings.push(`**RobustNorm vs BatchNorm (Figure 3).** RobustNorm is ${clearCount(rn)} than BatchNorm with population statistics (${signed(rn.meanPoints)} points on average); RobustNorm with the population mean is ${clearCount(rnMean)} (${signed(rnMean.meanPoints)} points). The paper: RobustNorm more accurate under every attack.`);
  }
  const strong = results.table1?.strongCw;
  if (strong !== undefined && strong.length === 2) {
    const [population, batch] = strong as [StrongCwRow, StrongCwRow];
    const [paperCwP, paperCwB] = (results.table1?.rows ?? []) as [AccuracyRow?, AccuracyRow?];
    const paperCw = paperCwP?.attacks.cw !== undefined && paperCwB?.attacks.cw !== undefined
      ? `at the paper's CW settings ${pct(paperCwP.attacks.cw)}% and ${pct(paperCwB.attacks.cw)}% do, against ${pct(paperCwP.clean)}% and ${pct(paperCwB.clean)}% of the clean images (Table 1)`
      : 'the paper\'s CW settings move images far less (Table 1)';
    findings.push(`**Carlini–Wagner run to convergence.** ${pct(population.accuracy)}% (P) and ${pct(batch.accuracy)}% (B) of the images survive, with mean perturbations ‖δ‖₂ of ${population.meanL2.toFixed(2)} and ${batch.meanL2.toFixed(2)} pixels; ${paperCw}.`);
  }
  findings.push(...attackCheckFindings(results));
  if (findings.length === 0) return '';
  return `## What this run shows\n\n${findings.join('\n\n')}\n`;
}

/** report.md's Markdown for a run's results: settings, models, and each experiment beside the paper's numbers. */
export function renderReport(results: ReproductionResults): string {
  const { metadata: m } = results;
  const sections = [
    `# RobustNorm reproduction: \`${m.preset}\` preset

This report was written by \`${m.command}\` on ${m.startedAt.slice(0, 10)} from \`results.json\` beside it. Every "this run" number is what
the code computed on that run; the paper's numbers are in \`src/experiments/paper-results.ts\` with the table they come from.
This run is small (${m.model}, ${epochsTrained(m)}, ${m.dataset.testImages} test images) next to the paper's (ResNet20, 50 epochs, the full test set), so read it for the direction of each effect rather than its size.
`,
    summarySection(results),
    settingsSection(results),
    table1Section(results),
    table3Section(results),
    figure3Section(results),
    figure2Section(results),
    attackCheckSection(results),
    figure4Section(results),
    figure6Section(results),
    figure7Section(results),
    table4Section(results),
  ];
  return `${sections.filter((section) => section !== '').join('\n')}`;
}
