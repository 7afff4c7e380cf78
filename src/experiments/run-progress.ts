/**
 * Progress of a whole reproduction: a bar per stage, and an ETA for the run.
 *
 * Work is counted in "passes": one forward and backward pass of one image.
 * `estimatePasses` plans the run's total from the settings, and the ETA is
 * elapsed time × remaining passes / passes done. It is an estimate (CW may stop
 * early, training costs ~1.5 passes per image), good to a factor, not a second.
 */
import { noProgress, type Progress, type StartProgress } from '../training/progress.js';
import type { AttackName } from '../attacks/registry.js';
import type { AttackCheckSettings, ReproductionSettings } from './settings.js';
import { modelSpec } from './trained-models.js';

/** Forward+backward passes per image of each attack at the paper's settings (CW: 3 rounds × 10 at most). */
const ATTACK_PASSES: Record<AttackName, number> = { fgsm: 1, bim: 20, pgd: 20, mim: 20, cw: 30 };

export function evaluationPasses(images: number, attacks: readonly AttackName[]): number {
  // Each attack also classifies its images once (a forward pass ≈ ⅓ of a forward+backward).
  return images * (1 / 3 + attacks.reduce((sum, attack) => sum + ATTACK_PASSES[attack] + 1 / 3, 0));
}

/** Passes of training one model for the run's epochs, less `epochsDone` already in its checkpoint (a resumed run). */
export function trainingPasses(settings: ReproductionSettings, trainImages: number, adversarial: boolean, epochsDone = 0): number {
  return Math.max(0, settings.epochs - epochsDone) * trainImages * 1.5 * (adversarial ? 1 + settings.advIter : 1);
}

/** The norms whose models cost different amounts per pass (LayerNorm's is ≈2.5× BatchNorm's on resnet8). */
export type PassNorm = 'bn' | 'rn' | 'ln' | 'none';

/** The planned passes of the run's experiments (models counted once). */
export function estimatePasses(settings: ReproductionSettings, trainImages: number, epochsDone: Readonly<Record<string, number>> = {}): number {
  const byNorm = estimatePassesByNorm(settings, trainImages, epochsDone);
  return byNorm.bn + byNorm.rn + byNorm.ln + byNorm.none;
}

/**
 * The planned passes of the run's experiments, split by the norm of the model
 * each pass runs through, so an estimate can weigh each by its measured cost.
 * Every model is trained once (less the epochs `epochsDone` says its
 * checkpoint holds, by model key: `bn`, `rn`, `rn-p0.5`, `ln`, `none`,
 * `bn-pgd`); an evaluation counts against the model it attacks.
 */
export function estimatePassesByNorm(settings: ReproductionSettings, trainImages: number, epochsDone: Readonly<Record<string, number>> = {}): Record<PassNorm, number> {
  const run = new Set(settings.experiments);
  const { attacks, sweepLimit: sweep, testLimit: test } = settings;
  const linf = attacks.filter((attack) => attack !== 'cw');
  const passes: Record<PassNorm, number> = { bn: 0, rn: 0, ln: 0, none: 0 };
  const models = new Map<string, PassNorm>();
  /** `batchNorm` evaluations of `each` passes on BatchNorm models and `robustNorm` of them on RobustNorm ones. */
  const evaluations = (each: number, batchNorm: number, robustNorm: number) => ((passes.bn += batchNorm * each), (passes.rn += robustNorm * each));
  if (run.has(1)) (models.set('bn', 'bn'), evaluations(evaluationPasses(test, attacks), 2, 0));
  if (run.has(2)) {
    for (const norm of ['none', 'ln', 'bn'] as const) (models.set(norm, norm), (passes[norm] += evaluationPasses(test, attacks)));
  }
  // Figures 3, 4 and 7: BatchNorm, RobustNorm, and RobustNorm with the tracked mean
  if (run.has(3)) (models.set('bn', 'bn'), models.set('rn', 'rn'), evaluations(evaluationPasses(test, attacks), 1, 2));
  if (run.has(4)) (models.set('bn', 'bn'), evaluations(evaluationPasses(test, ['pgd']), 1, 0));
  if (run.has(5)) (models.set('bn', 'bn'), models.set('rn', 'rn'), evaluations(settings.batchSizes.length * evaluationPasses(sweep, ['pgd']), 1, 2));
  if (run.has(6)) (settings.powers.forEach((power) => models.set(modelSpec(settings, 'rn', { power }).key, 'rn')), evaluations(2 * settings.powers.length * evaluationPasses(sweep, attacks), 0, 1));
  if (run.has(7)) (models.set('bn', 'bn'), models.set('rn', 'rn'), evaluations(settings.epsSweep.length * evaluationPasses(sweep, linf), 1, 2));
  if (run.has(8)) (models.set('bn', 'bn'), models.set('bn-pgd', 'bn'), evaluations(evaluationPasses(test, attacks), 4, 0));
  if (run.has(9) && settings.attackCheck !== undefined) {
    models.set('bn', 'bn'), models.set('rn', 'rn');
    const check = attackCheckPassesByNorm(settings.attackCheck, settings.batchSize);
    evaluations(1, check.bn, check.rn);
  }
  const strong = settings.strongCw;
  if (strong !== undefined) {
    // Table 1: BN with P and B; Figure 3 adds RN and RN w/ μ̂_P (BN with P is shared)
    const batchNormRows = (run.has(1) ? 2 : 0) + (run.has(3) && !run.has(1) ? 1 : 0);
    const robustNormRows = run.has(3) ? 2 : 0;
    evaluations(Math.min(strong.images, test) * (strong.binarySearchSteps * strong.maxIterations + 2 / 3), batchNormRows, robustNormRows);
  }
  for (const [key, norm] of models) passes[norm] += trainingPasses(settings, trainImages, key === 'bn-pgd', epochsDone[key] ?? 0);
  return passes;
}

/** Passes (forward+backward of one image) of experiment 9 (attack-check.ts) at size `check`. */
export function attackCheckPasses(check: AttackCheckSettings, batchSize: number): number {
  const byNorm = attackCheckPassesByNorm(check, batchSize);
  return byNorm.bn + byNorm.rn;
}

/** {@link attackCheckPasses}, split between the BatchNorm model (BN (P) and the `bn-b` row) and the RobustNorm one (every `rn…` row). */
export function attackCheckPassesByNorm(check: AttackCheckSettings, batchSize: number): { bn: number; rn: number } {
  const attack = (steps: number) => steps + 1 / 3;
  const direct = check.images * (1 / 3 + attack(20) + check.restarts * check.steps.reduce((sum, steps) => sum + attack(steps), 0));
  const composition = check.oneInBatch * batchSize * attack(20) + (check.halfBatch ? 2 * check.images * attack(20) : 0) + (check.batchOne ? check.images * attack(20) : 0);
  const batchModes = check.rows.filter((row) => row !== 'rn-p').length;
  const transfers = (check.rows.length + (check.rows.includes('rn-p') ? batchModes : 0)) * (check.images / 3);
  const hasBatchNormRow = check.rows.includes('bn-b') ? 1 : 0;
  const robustNormRows = check.rows.length - hasBatchNormRow;
  const robustNormBatchModes = batchModes - hasBatchNormRow;
  // BN (P) is the row every other is set beside; transfers run on the attacked rows, split as the rows are
  const transferShare = (rows: number) => (check.rows.length === 0 ? 0 : (transfers * rows) / check.rows.length);
  return {
    bn: (1 + hasBatchNormRow) * direct + hasBatchNormRow * composition + transferShare(hasBatchNormRow),
    rn: robustNormRows * direct + robustNormBatchModes * composition + transferShare(robustNormRows),
  };
}

export interface StageProgress {
  /** `done` of the stage's `total` steps are finished. */
  tick(done: number): void;
  end(): void;
}

export class RunProgress {
  private readonly started = performance.now();
  private passesDone = 0;
  private stages = 0;

  /**
   * `plannedPasses` from estimatePasses; each stage's bar comes from
   * `startProgress` and each note goes to `log` (by default, nowhere).
   */
  constructor(
    private plannedPasses: number,
    private readonly startProgress: StartProgress = noProgress,
    private readonly log: (message: string) => void = () => undefined,
  ) {}

  /** Counts work finished outside a stage bar (a model's training). */
  complete(passes: number): void {
    this.passesDone += passes;
    this.plannedPasses = Math.max(this.plannedPasses, this.passesDone);
  }

  elapsedSeconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  /** "ETA 4m 10s" for the whole run, from the passes done so far. */
  eta(extraDone = 0): string {
    const done = this.passesDone + extraDone;
    if (done <= 0) return 'ETA –';
    const remaining = (this.elapsedSeconds() / done) * Math.max(0, this.plannedPasses - done);
    return `run ETA ${formatDuration(remaining)}`;
  }

  /** A bar for `total` steps; `passesPerStep` feeds the run's ETA. */
  stage(label: string, total: number, passesPerStep = 0): StageProgress {
    this.stages++;
    const bar: Progress = this.startProgress(`[${this.stages}] ${label}`, total);
    let last = 0;
    return {
      tick: (done) => {
        last = done;
        bar.update(done, { unit: 'steps', status: `${formatDuration(this.elapsedSeconds())} elapsed, ${this.eta(done * passesPerStep)}` });
      },
      end: () => {
        bar.stop();
        this.complete(last * passesPerStep);
      },
    };
  }

  /** A line about the run. */
  note(message: string): void {
    this.log(message);
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  if (minutes >= 60) return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
  return minutes > 0 ? `${minutes}m ${String(whole % 60).padStart(2, '0')}s` : `${whole}s`;
}
