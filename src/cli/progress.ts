/**
 * Progress display for long work: a cli-progress bar on a terminal, and a
 * plain line every few seconds when stderr is not a terminal (CI, logs).
 */
import cliProgress from 'cli-progress';
import type { Progress, StartProgress } from '../training/progress.js';

export const startProgress: StartProgress = (label: string, total: number): Progress => {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} |{bar}| {value}/{total} {unit} | {status} | ETA {eta_formatted}`, barsize: 24, hideCursor: true, stream: process.stderr, etaBuffer: 20 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { unit: '', status: '' });
    return { update: (value, fields) => bar.update(value, { unit: fields.unit ?? '', status: fields.status ?? '' }), stop: () => bar.stop() };
  }
  let lastPrint = 0;
  return {
    update: (value, fields) => {
      const now = Date.now();
      if (now - lastPrint < 5000 && value < total) return;
      lastPrint = now;
      process.stderr.write(`${label} ${value}/${total} ${fields.unit ?? ''} ${fields.status ?? ''}\n`);
    },
    stop: () => undefined,
  };
};
