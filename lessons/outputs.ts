/**
 * A lesson's printed output, kept in its .md between markers, generated from
 * the run rather than typed:
 *
 *   <!-- output: lesson 6 section="Table 1" -->
 *   ```text
 *   …what `npm run lesson -- 6` printed under the heading "── Table 1…"…
 *   ```
 *   <!-- /output -->
 *
 * Attributes of the opening marker:
 *   lesson N         which lesson's output (1–10, 6b); required
 *   fast             run it with LESSON_FAST=1 (what `npm run lessons` does)
 *                    instead of as `npm run lesson -- N`
 *   section="…"      only the sections whose heading (a line "── title ───")
 *                    starts with this text; may be repeated; without any, the
 *                    whole output
 *
 * `npm run lessons:update` (lessons/update-outputs.ts) runs the lessons and
 * rewrites every block; test/lesson-outputs.test.ts runs them the same way
 * and fails when a block differs from what the lesson prints now.
 *
 * What may differ between two honest runs is masked before comparing, never
 * faked in the .md: durations ("2.1 s", "35 ms", "(… 30 s)"), throughputs
 * ("img/s", "GFLOP/s"), temporary folder names, and the line saying which
 * backend `auto` would pick on this machine. The lessons run on the webasm
 * backend (ROBUSTNORM_BACKEND=webasm, the default on a CPU), so the numbers
 * are the same on every machine: its kernels give the same bits however the
 * work is split over threads.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The lessons folder. */
export const LESSONS_DIR = dirname(fileURLToPath(import.meta.url));

/** One output block of a lesson's .md. */
export interface OutputBlock {
  /** The lesson whose output it shows: `6`, `6b`. */
  lesson: string;
  /** Run with LESSON_FAST=1. */
  fast: boolean;
  /** Heading prefixes of the sections shown; empty: the whole output. */
  sections: string[];
  /** The marker line as written (for messages). */
  marker: string;
  /** The text shown, without the code fence. */
  body: string;
  /** Offsets in the .md of the text between the markers (the fenced block, with its newlines). */
  start: number;
  end: number;
}

const OPEN = /<!-- output: ([^>]*?) -->\n/g;
const CLOSE = '<!-- /output -->';

/** Parses a marker's attributes: `lesson 6 fast section="Table 1"`. */
function parseMarker(attributes: string, where: string): Pick<OutputBlock, 'lesson' | 'fast' | 'sections'> {
  const words = attributes.match(/section="[^"]*"|\S+/g) ?? [];
  let lesson: string | undefined;
  let fast = false;
  const sections: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (word === 'lesson' && /^\d{1,2}[a-z]?$/.test(words[i + 1] ?? '')) lesson = (words[++i] as string).replace(/^0(?=\d)/, '');
    else if (word === 'fast') fast = true;
    else if (word.startsWith('section="')) sections.push(word.slice('section="'.length, -1));
    else throw new Error(`${where}: unknown word "${word}" in an output marker; expected lesson N, fast or section="heading"`);
  }
  if (lesson === undefined) throw new Error(`${where}: an output marker must name its lesson (<!-- output: lesson 6 -->)`);
  return { lesson, fast, sections };
}

/** Every output block of a .md file's text; `file` names it in errors. */
export function outputBlocks(markdown: string, file: string): OutputBlock[] {
  const blocks: OutputBlock[] = [];
  for (const match of markdown.matchAll(OPEN)) {
    const start = (match.index ?? 0) + match[0].length;
    const line = markdown.slice(0, match.index).split('\n').length;
    const where = `${file}:${line}`;
    const end = markdown.indexOf(CLOSE, start);
    if (end < 0) throw new Error(`${where}: "${match[0].trim()}" has no closing ${CLOSE}`);
    const next = markdown.slice(start, end).search(OPEN);
    if (next >= 0) throw new Error(`${where}: "${match[0].trim()}" is not closed before the next output marker`);
    const fenced = markdown.slice(start, end).match(/^(`{3,})text\n([\s\S]*?)\n?\1\n$/);
    if (fenced === null) throw new Error(`${where}: between "${match[0].trim()}" and ${CLOSE} there must be exactly one \`\`\`text code block`);
    blocks.push({ ...parseMarker(match[1] as string, where), marker: match[0].trim(), body: fenced[2] as string, start, end });
  }
  return blocks;
}

/** A fenced block holding `text`, with a fence longer than any run of backticks in it. */
export function fence(text: string): string {
  const longest = Math.max(0, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const ticks = '`'.repeat(Math.max(3, longest + 1));
  return `${ticks}text\n${text}\n${ticks}\n`;
}

/** The .md with each block's text replaced by `texts[i]` (in the order of outputBlocks). */
export function rewriteBlocks(markdown: string, file: string, texts: readonly string[]): string {
  const blocks = outputBlocks(markdown, file);
  if (blocks.length !== texts.length) throw new Error(`${file}: ${blocks.length} output blocks but ${texts.length} texts`);
  let result = '';
  let at = 0;
  blocks.forEach((block, i) => {
    result += markdown.slice(at, block.start) + fence(texts[i] as string);
    at = block.end;
  });
  return result + markdown.slice(at);
}

const HEADING = /^── /;

/** Trims blank lines at both ends and spaces at line ends. */
function tidy(lines: readonly string[]): string {
  const trimmed = lines.map((line) => line.replace(/\s+$/, ''));
  while (trimmed.length > 0 && trimmed[0] === '') trimmed.shift();
  while (trimmed.length > 0 && trimmed[trimmed.length - 1] === '') trimmed.pop();
  return trimmed.join('\n');
}

/**
 * The part of a lesson's output a block shows: all of it, or the sections
 * (heading line to the line before the next heading) whose title starts with
 * one of `sections`, in the order they were printed.
 */
export function selectOutput(output: string, sections: readonly string[], where = 'output'): string {
  const lines = output.replace(/\r\n/g, '\n').split('\n');
  if (sections.length === 0) return tidy(lines);
  const parts: string[] = [];
  const found = new Set<string>();
  let current: string[] | null = null;
  for (const line of lines) {
    if (HEADING.test(line)) {
      const title = line.replace(HEADING, '');
      const wanted = sections.find((prefix) => title.startsWith(prefix));
      if (current !== null) parts.push(tidy(current));
      current = wanted === undefined ? null : [line];
      if (wanted !== undefined) found.add(wanted);
    } else if (current !== null) {
      current.push(line);
    }
  }
  if (current !== null) parts.push(tidy(current));
  const missing = sections.filter((prefix) => !found.has(prefix));
  if (missing.length > 0) throw new Error(`${where}: no section whose heading starts with ${missing.map((m) => `"${m}"`).join(', ')} in the lesson's output`);
  return parts.join('\n\n');
}

/** What may honestly differ between two runs, and what it is replaced by before comparing. */
export const MASKS: ReadonlyArray<readonly [RegExp, string]> = [
  // mkdtemp folders: /tmp/robustnorm-lesson10-AbC123 (first: a random name such as "2e1V2h" ends like a duration)
  [/\S*?(robustnorm-[\w-]*?-)[A-Za-z0-9]{6}\b/g, '…/$1XXXXXX'],
  // durations: "2.1 s", "35 ms", "(30 s)", "1 min 5 s", "3.2 ms"
  [/\d+(?:\.\d+)?(\s?)(ms|s|min|h)\b/g, '#$1$2'],
  // throughputs
  [/\d+(?:\.\d+)?(\s?)(img\/s|images\/s|GFLOP\/s)/g, '#$1$2'],
  // a right-aligned column pads a masked number to its width ("   6.2 s" and "  18.5 s")
  [/ +#/g, ' #'],
  // a heading's rule of ─ is as long as its title leaves room for, and a masked time can change that
  [/^(── .*?) ─*$/gm, '$1 ─'],
  // which backend `auto` would pick depends on the machine's graphics
  [/(auto would choose:).*$/gm, '$1 …'],
];

/** The text with everything in MASKS masked. */
export function masked(text: string): string {
  return MASKS.reduce((result, [pattern, replacement]) => result.replace(pattern, replacement), text);
}

/**
 * Where two texts differ after masking: null when they agree, else the first
 * differing line of each (numbered from 1).
 */
export function firstDifference(shown: string, printed: string): { line: number; shown: string; printed: string } | null {
  const a = masked(shown).split('\n');
  const b = masked(printed).split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return { line: i + 1, shown: shown.split('\n')[i] ?? '(no line)', printed: printed.split('\n')[i] ?? '(no line)' };
  }
  return null;
}

/** The lesson files, `01-tensors.ts` … (not exercises, checks or helpers). */
export function lessonFiles(): string[] {
  return readdirSync(LESSONS_DIR).filter((file) => /^\d\d[a-z]?-.*\.ts$/.test(file)).sort();
}

/** The .md files of the lessons, `01-tensors.md` …. */
export function lessonMarkdownFiles(): string[] {
  return readdirSync(LESSONS_DIR).filter((file) => /^\d\d[a-z]?-.*\.md$/.test(file)).sort();
}

/** The lesson a file belongs to: `06b-…` → `6b`. */
export function lessonOf(file: string): string {
  return (file.match(/^(\d\d[a-z]?)-/)?.[1] ?? '').replace(/^0(?=\d)/, '');
}

/** How the lessons are run for their .md: on webasm, fast mode only where asked, no colours. */
export function lessonEnvironment(fast: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ROBUSTNORM_BACKEND: 'webasm', NO_COLOR: '1', FORCE_COLOR: '0' };
  delete env.LESSON_SOLUTIONS;
  if (fast) env.LESSON_FAST = '1';
  else delete env.LESSON_FAST;
  return env;
}

/** Runs one lesson as `npm run lesson -- N` would (fast: as `npm run lessons`), from the repository root; resolves to its stdout. */
export function runLesson(lesson: string, fast: boolean): Promise<string> {
  const file = lessonFiles().find((name) => lessonOf(name) === lesson);
  if (file === undefined) return Promise.reject(new Error(`there is no lesson ${lesson} in ${LESSONS_DIR}`));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(LESSONS_DIR, file)], { cwd: dirname(LESSONS_DIR), env: lessonEnvironment(fast) });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(stdout).toString('utf8'));
      else reject(new Error(`lesson ${lesson}${fast ? ' (fast mode)' : ''} exited with code ${code}:\n${Buffer.concat(stderr).toString('utf8').slice(-3000)}`));
    });
  });
}

/** A run of a lesson that blocks need: which lesson, in which mode. */
export interface LessonRun { lesson: string; fast: boolean }

/** The key of a run, `6` or `6 fast`. */
export const runKey = (run: LessonRun): string => `${run.lesson}${run.fast ? ' fast' : ''}`;

/**
 * Runs `runs` at most `parallel` at a time (each lesson already uses both
 * threads of the webasm backend, so 2 is plenty); resolves to each run's
 * stdout or the error it failed with, by runKey.
 */
export async function runLessons(runs: readonly LessonRun[], parallel = 2, onDone?: (run: LessonRun, seconds: number, error?: Error) => void): Promise<Map<string, string | Error>> {
  const results = new Map<string, string | Error>();
  const queue = [...runs];
  const worker = async (): Promise<void> => {
    for (let run = queue.shift(); run !== undefined; run = queue.shift()) {
      const start = performance.now();
      try {
        results.set(runKey(run), await runLesson(run.lesson, run.fast));
        onDone?.(run, (performance.now() - start) / 1000);
      } catch (error) {
        results.set(runKey(run), error as Error);
        onDone?.(run, (performance.now() - start) / 1000, error as Error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, runs.length)) }, worker));
  return results;
}

/** The distinct runs the blocks need, in lesson order. */
export function runsFor(blocks: readonly OutputBlock[]): LessonRun[] {
  const runs = new Map<string, LessonRun>();
  for (const block of blocks) runs.set(runKey(block), { lesson: block.lesson, fast: block.fast });
  return [...runs.values()];
}
