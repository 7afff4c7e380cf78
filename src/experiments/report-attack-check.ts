/**
 * The report's section for experiment 9, "Statistics or a weaker attack?"
 * (attack-check.ts): its table, with a 95% interval in every cell, and a
 * verdict per model, each computed from the counts:
 *
 * - the gap: a mode's accuracy minus BatchNorm (P)'s, under the paper's
 *   PGD-20 and under the strongest attack run on each (the lowest accuracy of
 *   the stronger PGD runs and the transfers, "strongest" below);
 * - it survives when the two strongest accuracies are still clearly apart
 *   (95% intervals apart) and the gap kept at least half its size; it shrinks
 *   when still clearly apart but to less than half; it vanishes when the
 *   intervals overlap;
 * - PGD has converged when its two strongest runs' intervals overlap.
 */
import { CHECK_ROWS, type AttackCheckResult, type AttackCheckRow, type CheckCell, type CheckColumn } from './attack-check.js';
import { clearDifference, wilsonInterval, type Interval } from './intervals.js';
import type { ReproductionResults } from './results.js';
import { EXPERIMENTS } from './settings.js';

const interval = (cell: CheckCell): Interval => wilsonInterval(cell.correct, cell.images);
const percent = (fraction: number): string => (100 * fraction).toFixed(1);
const accuracy = (cell: CheckCell): number => cell.correct / cell.images;
const signed = (points: number): string => `${points >= 0 ? '+' : ''}${points.toFixed(1)}`;

/** "56.2% (47.6–64.5)". */
function cellText(cell: CheckCell | undefined, unit = '%'): string {
  if (cell === undefined || cell.images === 0) return '–';
  const { low, high } = interval(cell);
  return `${percent(accuracy(cell))}${unit} (${percent(low)}–${percent(high)})`;
}

/** The columns of a result, in the order the table shows them, with their titles. */
function columns(result: AttackCheckResult): Array<[CheckColumn, string]> {
  const pgdSteps = [20, ...result.check.steps];
  return [
    ...pgdSteps.map((steps): [CheckColumn, string] => [`pgd-${steps}`, steps === 20 ? 'PGD-20 (paper)' : `PGD-${steps}${result.check.restarts > 1 ? ` ×${result.check.restarts}` : ''}`]),
    ['transfer-bn', 'transfer from BN (P)'],
    ['transfer-own', 'transfer from own weights, frozen'],
    ['one-in-batch', `one in ${result.batchSize}`],
    ['half-batch', 'half the batch'],
    ['batch-1', 'batch size 1'],
  ];
}

/** The strongest of a row's PGD runs and transfers: the cell with the lowest accuracy, and its title. */
function strongest(result: AttackCheckResult, row: AttackCheckRow): { cell: CheckCell; title: string } {
  const candidates = columns(result)
    .filter(([column]) => column.startsWith('pgd-') || column.startsWith('transfer-'))
    .map(([column, title]) => ({ cell: row.cells[column], title }))
    .filter((candidate): candidate is { cell: CheckCell; title: string } => candidate.cell !== undefined && candidate.cell.images > 0);
  return candidates.reduce((best, candidate) => (accuracy(candidate.cell) < accuracy(best.cell) ? candidate : best));
}

const rowOf = (result: AttackCheckResult, key: AttackCheckRow['key']): AttackCheckRow | undefined => result.rows.find((row) => row.key === key);

/** Whether the gap between `row` and BN (P) survives the strongest attack, in a sentence or two (without the row's name). */
export function gapVerdict(result: AttackCheckResult, row: AttackCheckRow): string {
  const baseline = rowOf(result, 'bn-p') as AttackCheckRow;
  const paperRow = row.cells['pgd-20'] as CheckCell;
  const paperBaseline = baseline.cells['pgd-20'] as CheckCell;
  const paperGap = 100 * (accuracy(paperRow) - accuracy(paperBaseline));
  if (clearDifference(interval(paperRow), interval(paperBaseline)) <= 0) {
    return `Not clearly above BN (P) even under the paper's PGD-20 (${cellText(paperRow)} against ${cellText(paperBaseline)}), so there is no gap to test.`;
  }
  const mine = strongest(result, row);
  const theirs = strongest(result, baseline);
  const strongGap = 100 * (accuracy(mine.cell) - accuracy(theirs.cell));
  const against = `${cellText(mine.cell)} under ${mine.title} against BN (P)'s ${cellText(theirs.cell)} under ${theirs.title}`;
  const unsettled = pgdRuns(result, row).falling ? ' PGD was still falling at its longest run, so a longer attack may shrink the gap further.' : '';
  const tried = attacksTried(result, row);
  const side = clearDifference(interval(mine.cell), interval(theirs.cell));
  if (side > 0 && strongGap >= paperGap / 2) {
    return `Attacking whole batches, as the paper does, the gap survives ${tried}: ${signed(strongGap)} points (${against}), from ${signed(paperGap)} under the paper's PGD-20. Most of it is the statistics', not a weaker attack's.${unsettled}`;
  }
  if (side > 0) {
    return `Attacking whole batches, as the paper does, the gap shrinks under ${tried} from ${signed(paperGap)} points under the paper's PGD-20 to ${signed(strongGap)} (${against}): most of it was the attack's, not the statistics', though some survives.${unsettled}`;
  }
  if (side < 0) {
    return `Attacking whole batches, the gap reverses under ${tried}: ${against}, clearly below, from ${signed(paperGap)} points under the paper's PGD-20. The paper's attack was the weaker one here, not the model more robust.`;
  }
  const reading = strongGap < paperGap / 2 ? ' Most of it was the attack\'s, not the statistics\'.' : '';
  return `Attacking whole batches, the gap is no longer clearly apart under ${tried}: ${against}, intervals overlapping, from ${signed(paperGap)} points under the paper's PGD-20.${reading}`;
}

/** "the stronger PGD and the transfers": the attacks beyond the paper's that this row was measured under. */
function attacksTried(result: AttackCheckResult, row: AttackCheckRow): string {
  const stronger = result.check.steps.some((steps) => row.cells[`pgd-${steps}`] !== undefined);
  const transfers = row.cells['transfer-bn'] !== undefined || row.cells['transfer-own'] !== undefined;
  if (stronger && transfers) return 'the longer PGD and the transferred images';
  if (stronger) return 'the longer PGD';
  if (transfers) return 'the transferred images';
  return 'the paper\'s PGD-20 alone (no stronger attack was run)';
}

/**
 * A row's PGD runs, the paper's first; whether the last run is clearly below
 * the one before (still falling) or clearly above it (the longer run, with its
 * smaller steps, was the weaker attack).
 */
function pgdRuns(result: AttackCheckResult, row: AttackCheckRow): { runs: Array<{ steps: number; cell: CheckCell }>; falling: boolean; rising: boolean } {
  const runs = [20, ...result.check.steps].map((steps) => ({ steps, cell: row.cells[`pgd-${steps}`] })).filter((run): run is { steps: number; cell: CheckCell } => run.cell !== undefined);
  const last = runs.slice(-2);
  const side = last.length < 2 ? 0 : clearDifference(interval(last[1]!.cell), interval(last[0]!.cell));
  return { runs, falling: side < 0, rising: side > 0 };
}

/** Whether PGD's accuracy had stopped falling: its two strongest runs compared. */
function convergence(result: AttackCheckResult, row: AttackCheckRow): string {
  const { runs, falling, rising } = pgdRuns(result, row);
  if (runs.length < 2) return '';
  const [before, last] = runs.slice(-2) as [{ steps: number; cell: CheckCell }, { steps: number; cell: CheckCell }];
  const path = runs.map((run) => `${percent(accuracy(run.cell))}%`).join(' → ');
  const reading = falling
    ? `still falling from PGD-${before.steps} to PGD-${last.steps} (not converged: a longer attack may find more)`
    : rising
      ? `clearly higher at PGD-${last.steps} than at PGD-${before.steps}: the longer run, with its smaller steps, was the weaker attack`
      : `no clear further fall from PGD-${before.steps} to PGD-${last.steps} (within each other's intervals on these images)`;
  return `PGD-${runs.map((run) => run.steps).join('/')}: ${path}, ${reading}.`;
}

/** The realistic threat: the attacker owns one image (or half) of a batch of clean ones. */
function composition(result: AttackCheckResult, row: AttackCheckRow): string {
  const one = row.cells['one-in-batch'];
  if (one === undefined || one.images === 0) return '';
  const baseline = rowOf(result, 'bn-p')?.cells['pgd-20'] as CheckCell;
  const side = clearDifference(interval(one), interval(baseline));
  const parts = [`Owning one image in a batch of ${result.batchSize} clean ones, the attacker leaves ${formatCount(one.correct)} of ${one.images} such images correct, ${cellText(one)} (PGD-20), ${side > 0 ? 'clearly above' : side < 0 ? 'clearly below' : 'not clearly different from'} BN (P)'s ${cellText(baseline)}`];
  const half = row.cells['half-batch'];
  if (half !== undefined) parts.push(`half the batch: ${cellText(half)}`);
  const single = row.cells['batch-1'];
  if (single !== undefined) parts.push(`inference batch size 1: ${cellText(single)}`);
  return `${parts.join('; ')}.`;
}

/**
 * The realistic threat in one sentence: does the protection hold when the
 * attacker owns one image of a batch of clean ones? Compared with BN (P)
 * under the paper's PGD-20 (the same attack, on a model without coupling).
 */
export function oneImageVerdict(result: AttackCheckResult, row: AttackCheckRow): string {
  const one = row.cells['one-in-batch'];
  const baseline = rowOf(result, 'bn-p')?.cells['pgd-20'];
  if (one === undefined || baseline === undefined || one.images === 0) return '';
  const side = clearDifference(interval(one), interval(baseline));
  const few = one.images < 32 ? ` (only ${one.images} images, so the interval is wide; \`--attack-check full\` attacks more)` : '';
  const owning = `An attacker who owns one image of a batch of ${result.batchSize} clean ones leaves ${formatCount(one.correct)} of ${one.images} correct, ${cellText(one)}${few}`;
  const bnP = `BN (P)'s ${cellText(baseline)} (PGD-20 on all ${baseline.images} images)`;
  if (side > 0) return `${owning}, still clearly above ${bnP}: the protection does not need the whole batch attacked.`;
  if (side < 0) return `${owning}, clearly below ${bnP}: against a realistic attacker the batch statistics make it worse, not better.`;
  const half = row.cells['half-batch'];
  const together = half !== undefined && half.images > 0 ? ` (with half the batch attacked together: ${cellText(half)})` : '';
  return `${owning}, not clearly different from ${bnP}: whatever protection the statistics give shows only when many images of the batch are attacked together${together}, which a real attacker need not do.`;
}

/** A count of images, a whole number, or a mean over seeds to one decimal. */
const formatCount = (count: number): string => (Number.isInteger(count) ? String(count) : count.toFixed(1));

/** RobustNorm with batch statistics beside the same weights frozen (running mean and range). */
export function weightsVerdict(result: AttackCheckResult): string {
  const frozen = rowOf(result, 'rn-p');
  const robust = rowOf(result, 'rn');
  const baseline = rowOf(result, 'bn-p');
  if (frozen === undefined || robust === undefined || baseline === undefined) return '';
  const frozenStrongest = strongest(result, frozen);
  const baselineStrongest = strongest(result, baseline);
  const robustStrongest = strongest(result, robust);
  const frozenSide = clearDifference(interval(frozenStrongest.cell), interval(baselineStrongest.cell));
  const batchSide = clearDifference(interval(robustStrongest.cell), interval(baselineStrongest.cell));
  const reading = frozenSide > 0
    ? 'its trained weights alone make it more robust than BatchNorm (P): that robustness does not need its test-time statistics'
    : batchSide > 0
      ? 'frozen, it is no more robust than BatchNorm (P): the robustness it shows comes with its test-time statistics'
      : 'neither way is it clearly more robust than BatchNorm (P) under these attacks';
  return `RobustNorm frozen (running mean and range, a fixed affine layer at inference) keeps ${cellText(frozenStrongest.cell)} under ${frozenStrongest.title}, with batch statistics ${cellText(robustStrongest.cell)} under ${robustStrongest.title}, BN (P) ${cellText(baselineStrongest.cell)}: ${reading}.`;
}

/** The summary's sentences: one verdict per mode, then RobustNorm's weights vs statistics. */
export function attackCheckFindings(results: ReproductionResults): string[] {
  const result = results.attackCheck;
  if (!result) return [];
  const baseline = rowOf(result, 'bn-p')?.cells['pgd-20'];
  const hasGap = (row: AttackCheckRow) => baseline !== undefined && row.cells['pgd-20'] !== undefined && clearDifference(interval(row.cells['pgd-20']), interval(baseline)) > 0;
  const verdicts = result.rows.filter((row) => row.key !== 'bn-p')
    .map((row) => [`${row.label}: ${gapVerdict(result, row)}`, hasGap(row) ? oneImageVerdict(result, row) : ''].filter((part) => part !== '').join(' '));
  return [`**Statistics or a weaker attack? (experiment 9).** ${[...verdicts, weightsVerdict(result)].filter((part) => part !== '').join(' ')}`];
}

/** The section: what each column tests, the table, and per row its verdict, convergence and batch composition. */
export function attackCheckSection(results: ReproductionResults): string {
  const result = results.attackCheck;
  if (!result) return '';
  const shown = columns(result).filter(([column]) => result.rows.some((row) => row.cells[column] !== undefined));
  const header = ['', 'clean', ...shown.map(([, title]) => title)];
  const body = CHECK_ROWS.map((spec) => rowOf(result, spec.key)).filter((row): row is AttackCheckRow => row !== undefined)
    .map((row) => [row.label, cellText(row.clean), ...shown.map(([column]) => cellText(row.cells[column]))]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const table = [line(header), line(header.map(() => '---')), ...body.map(line)].join('\n');
  const details = result.rows.map((row) => {
    const parts = [row.key === 'bn-p' ? '' : gapVerdict(result, row), convergence(result, row), composition(result, row)].filter((part) => part !== '');
    return `- **${row.label}.** ${parts.join(' ')}`;
  });
  const steps = result.check.steps.map((s) => `PGD-${s} (step 2.5·ε/${s})`).join(' and ');
  return `## ${EXPERIMENTS[9]}

With batch statistics every image's output, and its gradient, depends on the other images of its batch. The paper attacks whole batches, so the statistics move with the attack: that coupling can make an attack weaker rather than the model more robust (Athalye, Carlini & Wagner 2018; Carlini et al. 2019). So each mode is attacked harder and differently, each beside BatchNorm with population statistics, BN (P), a fixed function with no coupling. ε = ${result.eps} (paper units) = ${result.epsPixel.toFixed(4)} (pixels); ${result.check.images} test images in batches of ${result.batchSize}; accuracy in % with its 95% interval.

- **PGD-20 (paper)**: the paper's attack, step ε/10. ${steps ? `**${steps}**${result.check.restarts > 1 ? `, each from ${result.check.restarts} random starts (an image counts only if it survives every one)` : ''}: does the accuracy keep falling with a longer attack?` : ''}
- **transfer from BN (P)**: the strongest PGD's images crafted on BatchNorm with population statistics, then classified in the row's mode; for BN (B) those are the same weights without the batch coupling. **transfer from own weights, frozen**: for RobustNorm, images crafted on the same weights with frozen running mean and range.
- **one in ${result.batchSize}**: the attacker owns one image of a batch whose other ${result.batchSize - 1} images are clean (the realistic threat; the statistics barely move), on the first ${result.check.oneInBatch} images, each in turn.${result.check.halfBatch ? ' **half the batch**: it owns half of each batch.' : ''}${result.check.batchOne ? ' **batch size 1**: each image attacked and classified alone.' : ''} PGD-20 in each.

${table}

${details.join('\n')}
- ${weightsVerdict(result)}
`;
}
