/**
 * Runs the lessons.
 *
 *   npm run lesson -- 3              lesson 3 (lessons/03-*.ts); 6b is lessons/06b-*.ts
 *   npm run lesson -- 3 --check      the check of lesson 3's exercise, on your
 *                                    answer in lessons/exercises/03-*.ts
 *   npm run lesson -- 3 --solution   the same check on lessons/solutions/03-*.ts
 *   npm run lessons                  every lesson in fast mode (LESSON_FAST=1),
 *                                    then every check on the solutions (CI)
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function usage(message?: string): never {
  if (message) console.error(message);
  console.error([
    'usage: npm run lesson -- <1-10 or 6b> [--check | --solution]',
    '       npm run lessons            (all lessons in fast mode, then all checks on the solutions)',
    '',
    'lessons:',
    ...lessonFiles().map((file) => `  ${file}`),
  ].join('\n'));
  process.exit(2);
}

function lessonFiles(): string[] {
  return readdirSync(here).filter((file) => /^\d\d[a-z]?-.*\.ts$/.test(file)).sort();
}

/** A lesson's name as typed: `3`, `03` or `6b`. */
function fileFor(lesson: string): string {
  const prefix = lesson.padStart(lesson.match(/[a-z]$/) ? 3 : 2, '0');
  const file = lessonFiles().find((name) => name.startsWith(`${prefix}-`));
  if (file === undefined) usage(`there is no lesson ${lesson}`);
  return file;
}

/** Runs one TypeScript file with tsx in a child process; returns its exit code and seconds. */
function runFile(file: string, env: NodeJS.ProcessEnv): { status: number; seconds: number } {
  const start = performance.now();
  const result = spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit', env });
  return { status: result.status ?? 1, seconds: (performance.now() - start) / 1000 };
}

function runOne(lesson: string, mode: 'lesson' | 'check' | 'solution'): number {
  const file = fileFor(lesson);
  if (mode === 'lesson') return runFile(join(here, file), process.env).status;
  const env = { ...process.env, ...(mode === 'solution' ? { LESSON_SOLUTIONS: '1' } : {}) };
  const { status } = runFile(join(here, 'checks', file), env);
  console.log(status === 0 ? `\nlesson ${lesson}: check passed` : `\nlesson ${lesson}: check failed`);
  return status;
}

function runAll(): number {
  const env = { ...process.env, LESSON_FAST: '1' };
  const rows: string[] = [];
  let failures = 0;
  for (const file of lessonFiles()) {
    console.log(`\n════ ${file} (fast mode) ════`);
    const lesson = runFile(join(here, file), env);
    const check = runFile(join(here, 'checks', file), { ...env, LESSON_SOLUTIONS: '1' });
    if (lesson.status !== 0 || check.status !== 0) failures++;
    rows.push(`${file.padEnd(36)} lesson ${lesson.status === 0 ? 'ok  ' : 'FAIL'} ${lesson.seconds.toFixed(1).padStart(5)} s   check ${check.status === 0 ? 'ok  ' : 'FAIL'} ${check.seconds.toFixed(1).padStart(5)} s`);
  }
  console.log(`\n${rows.join('\n')}`);
  console.log(failures === 0 ? '\nall lessons passed' : `\n${failures} lesson(s) failed`);
  return failures === 0 ? 0 : 1;
}

const args = process.argv.slice(2);
if (args[0] === 'all') process.exit(runAll());
const lesson = args[0] ?? '';
if (args.length === 0 || !/^\d{1,2}[a-z]?$/.test(lesson)) usage(args.length === 0 ? undefined : `not a lesson number: ${args[0]}`);
const flags = args.slice(1);
const unknown = flags.filter((flag) => flag !== '--check' && flag !== '--solution');
if (unknown.length > 0) usage(`unknown option ${unknown.join(' ')}`);
process.exit(runOne(lesson, flags.includes('--solution') ? 'solution' : flags.includes('--check') ? 'check' : 'lesson'));
