/**
 * How long work reports its progress, without knowing where it goes: the
 * training loop and the experiments call a `StartProgress` they are given.
 * The command line passes a terminal progress bar (cli/progress-bar.ts); tests
 * and library users get `noProgress` unless they pass their own.
 */

/** One running progress display. */
export interface Progress {
  /** `value` of the display's total is done; `fields.unit` and `fields.status` describe it. */
  update(value: number, fields: Record<string, string>): void;
  /** Ends the display (a terminal bar stops redrawing). */
  stop(): void;
}

/** Starts a progress display for `total` steps, labelled `label`. */
export type StartProgress = (label: string, total: number) => Progress;

/** A progress display that shows nothing. */
export const noProgress: StartProgress = () => ({ update: () => undefined, stop: () => undefined });
