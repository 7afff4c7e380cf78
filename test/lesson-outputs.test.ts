/**
 * Every lesson's .md shows what its code prints: the blocks between
 * `<!-- output: lesson N … -->` and `<!-- /output -->` (lessons/outputs.ts)
 * must equal a fresh run's output, with only durations, throughputs,
 * temporary folder names and `auto`'s machine-dependent choice masked.
 * `npm run lessons:update` regenerates them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  fence, firstDifference, LESSONS_DIR, lessonMarkdownFiles, masked, outputBlocks, rewriteBlocks, runKey, runLessons, runsFor, selectOutput, type OutputBlock,
} from '../lessons/outputs.js';

describe('lesson output blocks: parsing and masking', () => {
  const md = [
    '# Lesson 6', '', 'Some prose.', '',
    '<!-- output: lesson 6 section="Table 1" section="Train" -->', '```text', 'old table', '```', '<!-- /output -->', '',
    'More prose.', '',
    '<!-- output: lesson 10 fast -->', '````text', 'a report with ``` inside', '````', '<!-- /output -->', '',
  ].join('\n');

  it('finds each block with its lesson, mode and sections', () => {
    const blocks = outputBlocks(md, 'x.md');
    expect(blocks.map((block) => [block.lesson, block.fast, block.sections, block.body])).toEqual([
      ['6', false, ['Table 1', 'Train'], 'old table'],
      ['10', true, [], 'a report with ``` inside'],
    ]);
  });

  it('rewrites only the blocks, with a fence longer than any backticks inside', () => {
    const rewritten = rewriteBlocks(md, 'x.md', ['new table', 'plain']);
    expect(rewritten).toBe(md.replace('old table', 'new table').replace('````text\na report with ``` inside\n````', '```text\nplain\n```'));
    expect(fence('a ```` b')).toBe('`````text\na ```` b\n`````\n');
  });

  it('names the file and line of a malformed block', () => {
    expect(() => outputBlocks('\n<!-- output: lesson 3 -->\nno fence\n<!-- /output -->\n', 'y.md')).toThrow(/y\.md:2: .*exactly one ```text code block/);
    expect(() => outputBlocks('<!-- output: lesson 3 -->\n```text\nx\n```\n', 'y.md')).toThrow(/y\.md:1: .* has no closing <!-- \/output -->/);
    expect(() => outputBlocks('<!-- output: 3 -->\n```text\nx\n```\n<!-- /output -->', 'y.md')).toThrow(/y\.md:1: unknown word "3"/);
  });

  it('selects sections by the start of their heading, in printed order', () => {
    const output = 'preamble\n\n── Train a CNN ───\n  loss 0.3\n\n── Figure 2 ───\n  bars\n── Table 1: P vs B ───\n  P 16.0\n  B 43.0\n';
    expect(selectOutput(output, [])).toBe(output.trim());
    expect(selectOutput(output, ['Table 1', 'Train'])).toBe('── Train a CNN ───\n  loss 0.3\n\n── Table 1: P vs B ───\n  P 16.0\n  B 43.0');
    expect(() => selectOutput(output, ['Table 2'], 'z.md')).toThrow(/z\.md: no section whose heading starts with "Table 2"/);
  });

  it('masks durations, throughputs and temporary folders, and nothing else', () => {
    expect(masked('   (training: 2.1 s)  in 3.2 ms, 1 min 5 s, 363 img/s')).toBe('   (training: # s)  in # ms, # min # s, # img/s');
    expect(masked('What it wrote to /tmp/robustnorm-lesson10-vFiiVE (30 s)')).toBe('What it wrote to …/robustnorm-lesson10-XXXXXX (# s)');
    expect(masked('--out /tmp/robustnorm-lesson10-2e1V2h --experiments 1')).toBe('--out …/robustnorm-lesson10-XXXXXX --experiments 1'); // a random name that ends like a duration (2h)
    // accuracies, step counts and sizes stay as they are: a changed one is a difference
    expect(masked('  P under PGD-40 (step 2.5·ε/40)   11.3%  10 steps  16 images')).toBe('  P under PGD-40 (step 2.5·ε/40)   11.3%  10 steps  16 images');
    expect(firstDifference('  P 16.0\n  (2.5 s)', '  P 16.0\n  (2.7 s)')).toBeNull();
    // a right-aligned time column: the padding changes with the number's width
    expect(firstDifference('  CW-100      30.5%     18.5 s', '  CW-100      30.5%      6.2 s')).toBeNull();
    expect(firstDifference('  P 16.0\n  B 43.0', '  P 16.0\n  B 43.1')).toEqual({ line: 2, shown: '  B 43.0', printed: '  B 43.1' });
  });
});

// Run every lesson that has blocks (two at a time), then compare each block.
const files = lessonMarkdownFiles();
const blocks: Array<{ file: string; block: OutputBlock }> = files.flatMap((file) => outputBlocks(readFileSync(join(LESSONS_DIR, file), 'utf8'), file).map((block) => ({ file, block })));

describe('every lesson .md shows what its code prints', () => {
  let outputs = new Map<string, string | Error>();
  beforeAll(async () => {
    outputs = await runLessons(runsFor(blocks.map(({ block }) => block)), 2);
  }, 600_000);

  it('every lesson has at least one output block', () => {
    expect(files.filter((file) => !blocks.some((entry) => entry.file === file))).toEqual([]);
  });

  it.each(blocks.map(({ file, block }) => [`${file}: ${block.marker}`, file, block] as const))('%s', (_name, file, block) => {
    const output = outputs.get(runKey(block));
    if (output instanceof Error) throw output;
    expect(output, `lesson ${runKey(block)} was not run`).toBeDefined();
    const printed = selectOutput(output as string, block.sections, `${file}: ${block.marker}`);
    const difference = firstDifference(block.body, printed);
    if (difference !== null) {
      expect.fail(`${file}: the block "${block.marker}" differs from what lesson ${runKey(block)} prints, at its line ${difference.line}:\n` +
        `  the .md shows:     ${difference.shown}\n  the lesson prints: ${difference.printed}\n` +
        'If the lesson changed on purpose, run `npm run lessons:update` and check the prose around the block.');
    }
  });
});
