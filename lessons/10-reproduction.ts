/**
 * Lesson 10: reproducing the paper — run the `smoke` preset of
 * `robustnorm reproduce` through the command line and read its report.
 * Run: npm run lesson -- 10
 * Read along: lessons/10-reproduction.md
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAST, heading } from './helpers.js';

const out = mkdtempSync(join(tmpdir(), 'robustnorm-lesson10-'));
// The smoke preset: every experiment, tiny (small-cnn trained for one epoch on a few hundred digits
// or fewer, a handful of test images; see src/experiments/settings.ts). Fast mode (CI) runs only
// experiment 1 (Table 1).
const args = ['tsx', 'src/cli/main.ts', 'reproduce', '--preset', 'smoke', '--out', out, ...(FAST ? ['--experiments', '1'] : [])];

heading(`npx ${args.join(' ')}`);
console.log('(progress goes to stderr; the same command with --preset quick is the laptop-sized reproduction: it prints its estimated time first, and README.md gives the measured one)');
const start = performance.now();
const result = spawnSync('npx', args, { stdio: 'inherit', shell: process.platform === 'win32' });
const seconds = (performance.now() - start) / 1000;
if (result.status !== 0) {
  console.error(`\nthe reproduce command failed (exit code ${result.status}); see its output above`);
  process.exit(1);
}

heading(`What it wrote to ${out} (${seconds.toFixed(0)} s)`);
for (const file of readdirSync(out).sort()) console.log(`  ${file}`);

const report = join(out, 'report.md');
if (!existsSync(report)) {
  console.error('no report.md was written');
  process.exit(1);
}
heading('report.md');
console.log(readFileSync(report, 'utf8'));

heading('results.json: the same numbers, for your own analysis');
const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Record<string, unknown>;
console.log('  top-level keys:', Object.keys(results).join(', '));
console.log(`  open it with: node -e "console.log(JSON.parse(require('fs').readFileSync('${join(out, 'results.json')}', 'utf8')))"`);
