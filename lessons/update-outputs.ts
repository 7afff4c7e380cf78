/**
 * Rewrites the output blocks of the lessons' .md files from fresh runs.
 *
 *   npm run lessons:update             every lesson that has output blocks
 *   npm run lessons:update -- 6 9      only lessons 6 and 9
 *
 * Each block (`<!-- output: lesson N … -->` … `<!-- /output -->`, see
 * lessons/outputs.ts) gets what `npm run lesson -- N` prints now (with `fast`:
 * what it prints with LESSON_FAST=1), on the webasm backend. Lessons run two
 * at a time. test/lesson-outputs.test.ts fails until the .md files agree
 * with the code again.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LESSONS_DIR, lessonMarkdownFiles, lessonOf, outputBlocks, rewriteBlocks, runKey, runLessons, runsFor, selectOutput } from './outputs.js';

const wanted = process.argv.slice(2);
const bad = wanted.filter((arg) => !/^\d{1,2}[a-z]?$/.test(arg));
if (bad.length > 0) {
  console.error(`not a lesson number: ${bad.join(' ')}\nusage: npm run lessons:update [-- <lesson> …]   (lessons as 1, 6b, 10)`);
  process.exit(2);
}
const chosen = new Set(wanted.map((lesson) => lesson.replace(/^0(?=\d)/, '')));

const files = lessonMarkdownFiles().filter((file) => chosen.size === 0 || chosen.has(lessonOf(file)));
const blocksByFile = new Map(files.map((file) => [file, outputBlocks(readFileSync(join(LESSONS_DIR, file), 'utf8'), file)]));
const runs = runsFor([...blocksByFile.values()].flat());
if (runs.length === 0) {
  console.log('no output blocks to update');
  process.exit(0);
}
console.log(`running ${runs.map((run) => `lesson ${runKey(run)}`).join(', ')} (two at a time, webasm)`);
const outputs = await runLessons(runs, 2, (run, seconds, error) => console.log(`  lesson ${runKey(run)}: ${error ? 'FAILED' : 'done'} in ${seconds.toFixed(1)} s`));

let failed = false;
for (const [file, blocks] of blocksByFile) {
  if (blocks.length === 0) continue;
  const texts: string[] = [];
  for (const block of blocks) {
    const output = outputs.get(runKey(block));
    if (output === undefined || output instanceof Error) {
      console.error(`${file}: ${block.marker}: ${output?.message ?? 'not run'}`);
      failed = true;
      texts.push(block.body);
      continue;
    }
    try {
      texts.push(selectOutput(output, block.sections, `${file}: ${block.marker}`));
    } catch (error) {
      console.error((error as Error).message);
      failed = true;
      texts.push(block.body);
    }
  }
  const path = join(LESSONS_DIR, file);
  const before = readFileSync(path, 'utf8');
  const after = rewriteBlocks(before, file, texts);
  if (after !== before) writeFileSync(path, after);
  console.log(`${file}: ${blocks.length} block(s), ${after === before ? 'unchanged' : 'rewritten'}`);
}
process.exit(failed ? 1 : 0);
