/**
 * Progress display for long work: a cli-progress bar on a terminal, and a
 * plain line every few seconds when stderr is not a terminal (CI, logs).
 *
 * The bar leaves the cursor visible and line wrapping on (cli-progress's
 * `linewrap: true` cuts the bar to the terminal's width instead of sending
 * ESC[?7l): either, once turned off, has to be turned on again on every way
 * out, and Ctrl-C during synchronous work ends the process before any
 * handler could run. Each update also checks that the process that
 * started this one is still there (parent-watch.ts, `parentHasEnded`).
 */
import cliProgress from 'cli-progress';
import type { Progress, StartProgress } from '../training/progress.js';
import { parentHasEnded } from './parent-watch.js';

let stopAdvice = (): string => 'Run the same command again to resume.';

/** Sets what the orphan stop's message tells the user to do next (the train command knows whether that needs --resume). */
export function setStopAdvice(advice: () => string): void {
  stopAdvice = advice;
}

/** Stops this process if it is an orphan (its parent was killed). */
function stopIfOrphaned(): void {
  if (!parentHasEnded()) return;
  process.stderr.write(`\nrobustnorm: the process that started this one has ended (killed?); stopping. ${stopAdvice()}\n`);
  process.exit(1);
}

export const startProgress: StartProgress = (label: string, total: number): Progress => {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} |{bar}| {value}/{total} {unit} | {status} | ETA {eta_formatted}`, barsize: 24, hideCursor: false, linewrap: true, stream: process.stderr, etaBuffer: 20 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { unit: '', status: '' });
    return {
      update: (value, fields) => {
        stopIfOrphaned();
        bar.update(value, { unit: fields.unit ?? '', status: fields.status ?? '' });
      },
      stop: () => bar.stop(),
    };
  }
  let lastPrint = 0;
  return {
    update: (value, fields) => {
      stopIfOrphaned();
      const now = Date.now();
      if (now - lastPrint < 5000 && value < total) return;
      lastPrint = now;
      process.stderr.write(`${label} ${value}/${total} ${fields.unit ?? ''} ${fields.status ?? ''}\n`);
    },
    stop: () => undefined,
  };
};
