/**
 * PGD adversarial training (Madry et al. 2017) as the paper's code ran it
 * (functions.py, train_adversary_one_epoch): every training batch is replaced
 * by PGD examples with ε, step ε/4 and 10 iterations from a uniform random
 * start; the loss is the mean cross-entropy on those examples only. The
 * paper's code used ε = 0.03 in its normalized units (the function's default,
 * which train_mnist.py never overrides); Madry et al.'s own MNIST setting is
 * ε = 0.3 in pixels.
 *
 * Mode during the attack: we keep the paper's
 * choice and generate the examples in training mode, so each PGD forward pass
 * normalizes with the adversarial batch's own statistics (the gradient flows
 * through them) and also moves the running averages: `nbIter` extra momentum
 * updates per optimizer step, on partially perturbed batches. This is what the
 * population statistics of the paper's adversarially trained BatchNorm models
 * (its Table 4) were estimated from. Attacking in eval() mode instead (as
 * torchattacks does by default) would aim PGD at the running statistics, and
 * those would then see only the adversarial batches the optimizer trains on.
 */
import type { Module } from '../nn/module.js';
import { Random } from '../random.js';
import type { Tensor } from '../tensor/tensor.js';
import type { TrainingPerturbation } from '../training/run.js';
import { pgd } from './pgd.js';
import { epsToPaper, epsToPixel, type EpsUnits } from './units.js';

/** PGD settings for adversarial training (see {@link pgdTrainingPerturbation}). */
export interface AdversarialTrainingSettings {
  /** ε in pixel units. */
  eps: number;
  /** PGD's step (default ε/4, Madry et al.'s ratio as the paper's code used it). */
  epsIter?: number;
  /** PGD's iterations (default 10). */
  nbIter?: number;
}

/** A `perturb` for `trainEpoch`: PGD examples of each batch, generated in training mode, random starts from `random`. */
export function pgdTrainingPerturbation(settings: AdversarialTrainingSettings, random: Random): (model: Module, images: Tensor, labels: Uint8Array) => Tensor {
  const resolved = { eps: settings.eps, epsIter: settings.epsIter ?? settings.eps / 4, nbIter: settings.nbIter ?? 10 };
  return (model, images, labels) => {
    model.train();
    return pgd(model, images, labels, resolved, random);
  };
}

/** Adversarial training as the command line's `train` flags ask for it. */
export interface AdversarialTrainingOptions {
  /** Train on PGD examples (Madry et al.) instead of clean images. */
  adversarial?: 'pgd';
  /** ε, step and iterations of the training attack, in `epsUnits` (defaults: the paper's 0.03, ε/4, 10, 'paper'). */
  advEps?: number;
  advEpsIter?: number;
  advIter?: number;
  epsUnits?: EpsUnits;
  /** The run's seed: each epoch's random starts come from (seed, epoch). */
  seed: number;
}

/** The training attack in pixel units. */
function adversarialSettings(options: AdversarialTrainingOptions): Required<AdversarialTrainingSettings> {
  const units = options.epsUnits ?? 'paper';
  const eps = epsToPixel(options.advEps ?? 0.03, units);
  const epsIter = options.advEpsIter !== undefined ? epsToPixel(options.advEpsIter, units) : eps / 4;
  return { eps, epsIter, nbIter: options.advIter ?? 10 };
}

/**
 * The training run's perturbation for these options (none unless
 * `adversarial` is set): one generator per epoch, seeded from (seed, epoch),
 * so a resumed run draws the same random starts.
 */
export function adversarialTraining(options: AdversarialTrainingOptions): TrainingPerturbation | undefined {
  if (options.adversarial !== 'pgd') return undefined;
  const settings = adversarialSettings(options);
  const { eps, epsIter, nbIter } = settings;
  return {
    description: `on PGD examples (ε = ${epsToPaper(eps).toFixed(4)} paper units = ${eps.toFixed(4)} pixels, step ${epsIter.toFixed(4)} pixels, ${nbIter} steps, model in training mode)`,
    forEpoch: (epoch) => pgdTrainingPerturbation(settings, new Random(((options.seed + 1) * 7919 + epoch) >>> 0)),
  };
}
