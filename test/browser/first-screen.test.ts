/**
 * The playground as a first-time visitor meets it (issue 32) and what it does
 * with bad input and loaded models (issue 29, case 3): headless Chromium on
 * WebAssembly, the pretrained models shipped in web/pretrained/.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, encodeCheckpoint, modelConfig } from '../../src/index.js';
import { buildPlayground, type PlaygroundBuild } from '../../web/build.js';
import { readManifest } from '../../web/pretrained/first-digit.js';
import { servePlayground, type PlaygroundServer } from '../../web/server.js';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const output = join('test-results', 'playground');
const scratch = mkdtempSync(join(tmpdir(), 'robustnorm-first-screen-'));
let built: PlaygroundBuild;
let server: PlaygroundServer;
let browser: Browser;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath}: install Debian's chromium or set CHROMIUM_PATH`);
  mkdirSync(output, { recursive: true });
  built = await buildPlayground(join(scratch, 'site'));
  server = await servePlayground(built.outDir);
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'] });
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** Opens the page when a test runs on its own (vitest -t), as on the old page to show the test fails there. */
async function openIfAlone(): Promise<void> {
  if (page.url().startsWith(server.url)) return;
  await page.goto(server.url + '?backend=webasm');
  await page.waitForSelector('#backend[data-ready]', { timeout: 60_000 });
}

/** Starts recording the page's long tasks (over 50 ms): the longest and how many, read by {@link longestTask}. */
async function watchLongTasks(target: Page): Promise<void> {
  await target.evaluate(() => {
    const longest = { ms: 0, count: 0 };
    (window as unknown as { longest: typeof longest }).longest = longest;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        longest.count++;
        longest.ms = Math.max(longest.ms, entry.duration);
      }
    }).observe({ type: 'longtask' });
  });
}

/** The longest main-thread task since {@link watchLongTasks}, and how many took over 50 ms. */
function longestTask(target: Page): Promise<{ ms: number; count: number }> {
  return target.evaluate(() => (window as unknown as { longest: { ms: number; count: number } }).longest);
}

/** Sets the attack panel's ε slider and says so to the page. */
async function setEps(target: Page, value: string): Promise<void> {
  await target.$eval('#attack-eps', (input, v) => {
    (input as HTMLInputElement).value = v;
    input.dispatchEvent(new Event('input'));
  }, value);
}

/** The headline chart's computations so far: attack, the ε values it was to compute (the slider's first), and how each ended. */
function curveRuns(target: Page): Promise<Array<{ attack: string; eps: number[]; outcome: string }>> {
  return target.evaluate(() => window.playground.curveLog.runs.map(({ attack, eps, outcome }) => ({ attack, eps, outcome })));
}

describe('the first screen', () => {
  it('shows the pretrained models\' verdicts on the picked digit at load, with no training', async () => {
    const { firstScreen } = readManifest();
    const fetched: string[] = [];
    page.on('request', (request) => fetched.push(request.url()));
    const started = Date.now();
    await page.goto(server.url + '?backend=webasm');
    await page.waitForSelector('#attack-status[data-done]', { timeout: 60_000 });
    const seconds = (Date.now() - started) / 1000;
    // when the page set data-done (its clock is this machine's): waitForSelector notices a few hundred ms later, polling at up to 500 ms
    const shown = (Number(await page.getAttribute('#attack-status', 'data-done')) - started) / 1000;
    // the times are recorded, not asserted (the project's tests never assert a duration); the issue asks for about 2 s, at most 3 s
    writeFileSync(join(output, 'first-screen-seconds.txt'), `${seconds}\n`);
    writeFileSync(join(output, 'first-screen-shown-seconds.txt'), `${shown}\n`);
    console.log(`first screen's verdicts ${seconds.toFixed(1)} s after navigation (noticed by the test; the page showed them after ${shown.toFixed(1)} s)`);
    // where the time went: the page's and the attack worker's marks, and the files fetched (ms after navigation)
    const timeline = await page.evaluate(() => [
      ...performance.getEntriesByType('resource').map((entry) => ({ at: Math.round(entry.startTime), until: Math.round(entry.startTime + entry.duration), what: `fetch ${entry.name.replace(/^.*\//, '')}` })),
      ...performance.getEntriesByType('mark').map((entry) => ({ at: Math.round(entry.startTime), what: entry.name })),
    ].sort((a, b) => a.at - b.at));
    writeFileSync(join(output, 'first-screen-timeline.json'), `${JSON.stringify(timeline, null, 1)}\n`);
    console.log(`first screen's timeline (ms after navigation):\n${timeline.map((entry) => `${String(entry.at).padStart(6)}${'until' in entry ? `–${entry.until}` : ''}  ${entry.what}`).join('\n')}`);
    expect(timeline.map((entry) => entry.what)).toEqual(expect.arrayContaining(['page: verdicts shown', 'worker: kernels warmed up', 'worker: clean predictions']));
    // served by `npm run playground`'s server: cross-origin isolated, and the details line says so
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    expect(await page.getAttribute('#backend', 'data-cross-origin-isolated')).toBe('true');
    expect(await page.textContent('#backend details')).toMatch(/this page is cross-origin isolated/);
    expect(await page.inputValue('#attack-index')).toBe(String(firstScreen.index));
    const verdicts = await page.$$eval('#attack-results figure', (figures) => figures.map((figure) => (figure as HTMLElement).dataset.verdict));
    expect(verdicts[0]).toMatch(/^correct → fooled/);
    expect(verdicts.slice(1)).toEqual(['correct → still correct', 'correct → still correct']);
    // each model's test accuracy follows the verdicts (measured in the worker); none is flagged untrained
    await page.waitForSelector('#attack-status[data-accuracies]', { timeout: 60_000 });
    const accuracies = await page.$$eval('#attack-results figure', (figures) => figures.map((figure) => Number((figure as HTMLElement).dataset.accuracy)));
    expect(accuracies).toHaveLength(3);
    for (const accuracy of accuracies) expect(accuracy).toBeGreaterThan(0.9);
    expect(await page.locator('.untrained').count()).toBe(0);
    // the class probabilities, clean and attacked, drawn below the verdicts
    await page.waitForFunction(() => ((document.querySelector('#attack-chart canvas') as HTMLCanvasElement | null)?.width ?? 0) > 0, undefined, { timeout: 60_000 });
    // beside the verdicts: experiment 9's finding, with the quick reproduction's numbers
    expect(await page.textContent('#attack-batch-note')).toMatch(/only one digit in a batch of 128 clean ones was attacked.*BatchNorm B kept 0 of 16 such digits and RobustNorm 1 of 16/);
    expect(fetched.some((url) => url.endsWith('/digits.bin.gz')) && !fetched.some((url) => url.endsWith('/digits.bin'))).toBe(true);
    // the caption is read from the verdicts shown
    expect(await page.textContent('#attack-caption')).toMatch(/^BatchNorm \(P\) was fooled; BatchNorm \(B\) and RobustNorm held\. This is the paper's effect.*the note beside says what happens when only one is\.$/);
    expect(await page.textContent('#train-models')).toMatch(/BatchNorm: small-cnn, pretrained.*RobustNorm: small-cnn, pretrained/);
    // the headline chart: accuracy against ε for the three settings, computed in a worker
    await page.waitForSelector('#curve-status[data-done]', { timeout: 120_000 });
    expect(await page.textContent('#curve-caption')).toMatch(/^At ε = 0\.20, BatchNorm \(P\) keeps \d+% of the digits, BatchNorm \(B\) \d+%, RobustNorm \d+% under FGSM\./);
    // it computed the slider's ε first, then the rest of its grid, nearest first
    expect(await curveRuns(page)).toEqual([{ attack: 'fgsm', eps: [0.2, 0.15, 0.25, 0.1, 0.3, 0.05, 0], outcome: 'done' }]);
    await page.screenshot({ path: join(output, 'first-screen.png') });
    await page.screenshot({ path: join(output, 'first-screen-full.png'), fullPage: true, clip: { x: 0, y: 0, width: 1200, height: 1700 } }); // the README's picture
    expect(problems).toEqual([]);
  });

  it('the headline chart recomputes as the ε slider moves (debounced; a new value cancels the running computation), and runs PGD when chosen', async () => {
    await openIfAlone();
    await page.waitForSelector('#curve-status[data-done]', { timeout: 120_000 });
    const before = (await curveRuns(page)).length;
    const pointsBefore = Number(await page.getAttribute('#curve-chart', 'data-points'));
    const settled = (count: number): Promise<unknown> => page.waitForFunction((n) => window.playground.curveLog.runs.length >= n && window.playground.curveLog.runs.at(-1)!.outcome === 'done', count, { timeout: 120_000 });
    // the slider to 0.27: FGSM there (the grid is known already); the chart gains the three settings' points and its caption reads them
    await setEps(page, '0.27');
    await settled(before + 1);
    expect((await curveRuns(page)).slice(before)).toEqual([{ attack: 'fgsm', eps: [0.27], outcome: 'done' }]);
    expect(Number(await page.getAttribute('#curve-chart', 'data-points'))).toBe(pointsBefore + 3);
    expect(await page.textContent('#curve-caption')).toMatch(/^At ε = 0\.27, BatchNorm \(P\) keeps \d+% .* under FGSM\./);
    // two values in quick succession: only the last starts a computation
    await page.$eval('#attack-eps', (input) => {
      for (const value of ['0.12', '0.13']) {
        (input as HTMLInputElement).value = value;
        input.dispatchEvent(new Event('input'));
      }
    });
    await settled(before + 2);
    expect((await curveRuns(page)).slice(before + 1)).toEqual([{ attack: 'fgsm', eps: [0.13], outcome: 'done' }]);
    // PGD on request, the slider's ε first; a new slider value cancels it and starts again there
    const pgdFrom = (await curveRuns(page)).length;
    await page.selectOption('#curve-attack', 'pgd');
    await page.waitForFunction((n) => window.playground.curveLog.runs.length > n, pgdFrom, { timeout: 60_000 });
    await setEps(page, '0.2');
    await page.waitForFunction(() => /^At ε = 0\.20, .* under PGD-20\./.test(document.getElementById('curve-caption')?.textContent ?? ''), undefined, { timeout: 280_000 });
    expect(await page.evaluate(() => window.playground.curveLog.points('pgd', 0.2).length)).toBe(3);
    const pgdRuns = (await curveRuns(page)).slice(pgdFrom);
    expect(pgdRuns.map((run) => [run.attack, run.eps[0], run.outcome])).toEqual([['pgd', 0.13, 'superseded'], ['pgd', 0.2, 'running']]);
    expect(await page.textContent('#curve-status')).toMatch(/^PGD-20 on 256 digits, ε 0\.20 first, then \d+ more values of ε: batch \d+ of \d+/);
    // PGD is the stronger attack: BatchNorm (P) keeps no more of the same digits under it than under FGSM
    const [underPgd, underFgsm] = await page.evaluate(() => (['pgd', 'fgsm'] as const).map((attack) => window.playground.curveLog.points(attack, 0.2).find((point) => point.setting.endsWith('(P)'))!.accuracy));
    console.log(`headline chart at ε 0.2, BatchNorm (P): FGSM ${underFgsm}, PGD-20 ${underPgd}`);
    expect(underPgd).toBeLessThanOrEqual(underFgsm!);
    // Cancel stops it; the points computed stay
    await page.click('#curve-cancel');
    await page.waitForFunction(() => window.playground.curveLog.runs.at(-1)!.outcome === 'cancelled');
    expect(await page.textContent('#curve-status')).toMatch(/^cancelled/);
    expect(await page.getAttribute('#curve-chart', 'data-attack')).toBe('pgd');
    expect(Number(await page.getAttribute('#curve-chart', 'data-points'))).toBeGreaterThanOrEqual(3);
    await page.locator('#curve').screenshot({ path: join(output, 'curve-pgd.png') });
    // back to FGSM, all known: nothing to compute
    await page.selectOption('#curve-attack', 'fgsm');
    await page.waitForSelector('#curve-status[data-done]');
    expect(await page.textContent('#curve-status')).toMatch(/every ε shown already computed/);
    expect(problems).toEqual([]);
  });

  it('attacks a drawing as the digit the visitor says it is, never towards it', async () => {
    // a 7 drawn with the mouse, while the index box holds test digit 0 (a 6)
    await page.fill('#attack-index', '0');
    await page.dispatchEvent('#attack-index', 'change');
    const pad = (await page.locator('canvas.draw').boundingBox())!;
    await page.mouse.move(pad.x + 35, pad.y + 32);
    await page.mouse.down();
    for (const [x, y] of [[105, 32], [90, 70], [75, 110]] as const) await page.mouse.move(pad.x + x, pad.y + y, { steps: 10 });
    await page.mouse.up();
    await page.selectOption('#attack-drawn-label', '7');
    await page.selectOption('#attack-name', 'pgd');
    await setEps(page, '0.2');
    await page.$eval('#attack-status', (status) => delete (status as HTMLElement).dataset.done);
    await page.click('#attack-run');
    await page.waitForSelector('#attack-status[data-done]', { timeout: 120_000 });
    expect(await page.textContent('#attack-status')).toMatch(/your drawing, attacked as the 7 you said it is/);
    const settings = await page.$$eval('#attack-results figure', (figures) => figures.map((figure) => ({ ...(figure as HTMLElement).dataset })));
    for (const setting of settings) expect(setting.attackedAs).toBe('7');
    // BatchNorm (P) reads the drawing as a 7 and PGD turns it; no setting ends up more sure it is a 7 than before
    expect(settings[0]!.clean).toBe('7');
    expect(settings[0]!.adversarial).not.toBe('7');
    const probabilities = await page.evaluate(() => window.playground.lastAttack?.map((result) => [result.clean[7], result.adversarial[7]]));
    for (const [before, after] of probabilities!) expect(after!).toBeLessThanOrEqual(before! + 1e-6);
    await page.locator('#attack').screenshot({ path: join(output, 'attack-drawn.png') });
    await page.click('#attack-clear');
  });

  it('gives a clear message for index −5, ε = 0 and a file of random bytes', async () => {
    await page.fill('#attack-index', '-5');
    await page.dispatchEvent('#attack-index', 'change');
    expect(await page.textContent('#attack-status')).toMatch(/index must be a whole number from 0 to 1999, got "-5"/);
    await page.click('#attack-run');
    expect(await page.textContent('#attack-status')).toMatch(/index must be a whole number/);
    expect(await page.locator('#attack-results figure').count()).toBe(0);
    await page.fill('#attack-index', '3');
    await page.dispatchEvent('#attack-index', 'change');
    await setEps(page, '0');
    await page.click('#attack-run');
    expect(await page.textContent('#attack-status')).toMatch(/ε is 0: an attack with no budget/);
    expect(await page.locator('#attack-results figure').count()).toBe(0);
    const noise = join(scratch, 'noise.safetensors');
    writeFileSync(noise, randomBytes(4096));
    await page.setInputFiles('#checkpoint-file', noise);
    await page.waitForSelector('#train-status[data-load-error]');
    expect(await page.textContent('#train-status')).toMatch(/noise\.safetensors is not a checkpoint/);
    expect(problems).toEqual([]);
  });

  it('trains a loaded resnet20 as a resnet20 (issue 29, case 3), and says when Train replaces the pretrained model', async () => {
    await openIfAlone();
    const file = join(scratch, 'resnet20-bn.safetensors');
    const config = modelConfig('resnet20', 'bn');
    writeFileSync(file, encodeCheckpoint(buildModel(config, 3), { model: config, seed: 3, training: {} }));
    await page.setInputFiles('#checkpoint-file', file);
    await page.waitForSelector('#train-status[data-loaded]');
    await page.click('#train-start');
    await page.waitForFunction(() => Number(document.getElementById('train-status')?.dataset.steps ?? 0) >= 1, undefined, { timeout: 120_000 });
    await page.click('#train-pause');
    const entry = await page.evaluate(() => { const e = window.playground.state.models.get('bn')!; return { architecture: e.config.architecture, origin: e.origin }; });
    expect(entry).toEqual({ architecture: 'resnet20', origin: 'resnet20-bn.safetensors' });
    expect(await page.textContent('#train-models')).toMatch(/BatchNorm: resnet20, resnet20-bn\.safetensors, \+\d+ steps here/);
    // the RobustNorm slot still holds the pretrained model: Train replaces it, and says so
    await page.selectOption('#train-norm', 'rn');
    await page.selectOption('#train-arch', 'small-cnn');
    await page.click('#train-start');
    expect(await page.textContent('#train-status')).toMatch(/replaced small-cnn, pretrained .* by a fresh small-cnn/);
    await page.click('#train-pause');
    expect(problems).toEqual([]);
  });
});

describe('no freezes', () => {
  it('never blocks the main thread for more than 200 ms during a PGD attack, and Cancel stops one', async () => {
    // a fresh page: the pretrained small-cnns (the resnet20 test above left a resnet20 in the BatchNorm slot)
    await page.goto(server.url + '?backend=webasm');
    await page.waitForSelector('#attack-status[data-done]', { timeout: 60_000 });
    await page.waitForSelector('#backend[data-ready]'); // the page has chosen its backend
    await page.fill('#attack-index', '5');
    await page.dispatchEvent('#attack-index', 'change');
    await page.selectOption('#attack-name', 'pgd');
    await setEps(page, '0.2');
    await watchLongTasks(page);
    await page.evaluate(() => delete document.getElementById('attack-status')!.dataset.done);
    await page.click('#attack-run');
    await page.waitForSelector('#attack-status[data-done]', { timeout: 120_000 });
    const longest = await longestTask(page);
    writeFileSync(join(output, 'longest-task-during-attack.json'), `${JSON.stringify(longest)}\n`);
    console.log(`longest main-thread task during a PGD attack: ${longest.ms.toFixed(0)} ms (${longest.count} over 50 ms)`);
    expect(longest.ms).toBeLessThanOrEqual(200);
    expect(await page.locator('#attack-results figure').count()).toBe(3);
    // Cancel: the running attack stops and says so
    await page.click('#attack-run');
    await page.waitForSelector('#attack-cancel:not([disabled])');
    await page.click('#attack-cancel');
    await page.waitForSelector('#attack-status[data-cancelled]');
    expect(await page.textContent('#attack-status')).toBe('cancelled');
    // Table 1 runs in a worker too, with progress and Cancel
    await page.click('#table1-run');
    await page.waitForSelector('#table1-cancel:not([disabled])');
    expect(await page.textContent('#table1')).toMatch(/^Table 1 in a worker/);
    await page.click('#table1-cancel');
    await page.waitForFunction(() => document.getElementById('table1')?.textContent === 'Table 1 cancelled');
    expect(problems).toEqual([]);
  });
});

describe('both cores in the attack worker', () => {
  it('runs half of each big kernel and loop on a helper thread where the page is cross-origin isolated; ?threads=1 keeps one', async () => {
    /** The helper thread's loops after an attack started once the first screen is shown (its helper has started by then). */
    const helperLoopsAfterAnAttack = async (query: string): Promise<number> => {
      await page.goto(`${server.url}?backend=webasm${query}`);
      await page.waitForSelector('#attack-status[data-done]', { timeout: 60_000 });
      await page.evaluate(() => delete document.getElementById('attack-status')!.dataset.done);
      await page.click('#attack-run');
      await page.waitForSelector('#attack-status[data-done]', { timeout: 120_000 });
      const marks = await page.evaluate(() => performance.getEntriesByType('mark').map((entry) => entry.name));
      return Number(marks.filter((name) => name.startsWith('worker: helper thread loops')).at(-1)?.split(' ').at(-1));
    };
    expect(await helperLoopsAfterAnAttack('')).toBeGreaterThan(0);
    expect(await helperLoopsAfterAnAttack('&threads=1')).toBe(0);
    expect(problems).toEqual([]);
  });
});

describe('no freezes in the kernel benchmark and in Train', () => {
  it('runs the kernel benchmark in a worker: the main thread never blocks for more than 200 ms, and Cancel stops it', async () => {
    await page.goto(server.url + '?backend=webasm');
    await page.waitForSelector('#backend[data-ready]', { timeout: 60_000 });
    await watchLongTasks(page);
    await page.click('#bench-run');
    await page.waitForSelector('#bench-table[data-done]', { timeout: 240_000 });
    const longest = await longestTask(page);
    writeFileSync(join(output, 'longest-task-during-benchmark.json'), `${JSON.stringify(longest)}\n`);
    console.log(`longest main-thread task during the kernel benchmark: ${longest.ms.toFixed(0)} ms (${longest.count} over 50 ms)`);
    expect(longest.ms).toBeLessThanOrEqual(200);
    // both backends, WebGL2 included, ran in the worker (Chromium gives a worker WebGL2 on an OffscreenCanvas)
    expect(await page.textContent('#bench-status')).toMatch(/^done: 2 backends \(WebGL2 on .*SwiftShader.* and WebAssembly, both in a worker\)$/);
    expect(await page.$$eval('#bench-table tr', (rows) => rows.slice(1).map((row) => row.querySelector('td')?.textContent))).toEqual(['webgl', 'webasm']);
    // Cancel while WebGL2's kernels compile: the worker is terminated, no row follows, Run is back
    await page.click('#bench-run');
    await page.waitForFunction(() => /^webgl \(1 of 2\), in a worker: timing/.test(document.getElementById('bench-status')?.textContent ?? ''), undefined, { timeout: 60_000 });
    await page.click('#bench-cancel');
    await page.waitForSelector('#bench-status[data-cancelled]');
    await page.waitForTimeout(3000);
    expect(await page.textContent('#bench-status')).toBe('cancelled after 0 of 2 backends');
    expect(await page.locator('#bench-table tr').count()).toBe(1);
    expect(await page.isEnabled('#bench-run')).toBe(true);
    expect(problems).toEqual([]);
  });

  it('returns from a click on Train at once, says the first step compiles, and trains one step a frame after the page has drawn', async () => {
    await openIfAlone();
    await page.selectOption('#train-norm', 'bn');
    await page.selectOption('#train-arch', 'small-cnn');
    // what is measured: the click handler's own duration (a click dispatched in the page runs its handlers before returning);
    // the steps that follow run on the page, one a frame, the first compiling the kernels
    const click = await page.evaluate(async () => {
      const stepsBefore = window.playground.trainingLog.length;
      const started = performance.now();
      document.getElementById('train-start')!.click();
      const ms = performance.now() - started;
      const status = document.getElementById('train-status')!.textContent;
      await new Promise((resolve) => requestAnimationFrame(resolve));
      return { ms, status, stepsBeforeFrame: window.playground.trainingLog.length - stepsBefore };
    });
    console.log(`Train's click handler: ${click.ms.toFixed(0)} ms`);
    expect(click.ms).toBeLessThanOrEqual(100);
    expect(click.status).toMatch(/compiling the kernels for the first step…$/);
    expect(click.stepsBeforeFrame).toBe(0);
    await page.waitForFunction(() => Number(document.getElementById('train-status')?.dataset.steps ?? 0) >= 2, undefined, { timeout: 120_000 });
    await page.click('#train-pause');
    expect(problems).toEqual([]);
  });
});

describe('backend choice by measurement', () => {
  it('?backend=measure times a training step on WebGL2 and WebAssembly and keeps the faster, saying both times', async () => {
    const measured = await browser.newPage();
    await measured.goto(server.url + '?backend=measure');
    // the page says it is measuring while the bench worker times the steps (the page stays free to draw it)
    await measured.waitForFunction(() => /^measuring: timing a training step on (WebAssembly|WebGL2) in a worker/.test(document.getElementById('backend')?.textContent ?? ''), undefined, { timeout: 240_000 });
    await measured.waitForSelector('#backend[data-ready]', { timeout: 240_000 });
    const times = JSON.parse((await measured.getAttribute('#backend', 'data-step-ms'))!) as Record<string, number>;
    expect(Object.keys(times).sort()).toEqual(['webasm', 'webgl']);
    const faster = times.webasm! <= times.webgl! ? 'webasm' : 'webgl';
    expect(await measured.getAttribute('#backend', 'data-backend')).toBe(faster);
    expect(await measured.textContent('#backend')).toMatch(new RegExp(`measured one small-cnn training step \\(batch 64\\): .*webasm \\d+ ms.*; ${faster} is faster here`));
    writeFileSync(join(output, 'backend-step-ms.json'), `${JSON.stringify(times)}\n`);
    await measured.close();
  });
});

describe('layout and accessibility', () => {
  it('draws from the keyboard: Space lowers the pen, arrows draw', async () => {
    await openIfAlone();
    await page.click('#attack-clear');
    await page.focus('canvas.draw');
    await page.keyboard.press(' ');
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowDown');
    const lit = await page.$eval('canvas.draw', (canvas) => {
      const data = (canvas as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 140, 140).data;
      let count = 0;
      for (let i = 0; i < data.length; i += 4) if ((data[i] as number) > 128) count++;
      return count;
    });
    expect(lit).toBeGreaterThan(200); // a stroke 35 px long and 11 wide
    expect(await page.isChecked('#attack-use-drawn')).toBe(true);
  });

  it('every form control has an accessible name', async () => {
    const unnamed = await page.$$eval('input, select, button, textarea', (controls) => controls.filter((control) => {
      const labelled = control.getAttribute('aria-label') || control.getAttribute('aria-labelledby') || (control as HTMLInputElement).labels?.length || (control.tagName === 'BUTTON' && control.textContent?.trim());
      return !labelled;
    }).map((control) => control.outerHTML.slice(0, 120)));
    expect(unnamed).toEqual([]);
  });

  it('has no horizontal scroll at 390 px', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.goto(server.url + '?backend=webasm');
    await phone.waitForSelector('#attack-status[data-done]', { timeout: 60_000 });
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    await phone.screenshot({ path: join(output, 'phone.png'), fullPage: true });
    await phone.close();
    expect(width).toBeLessThanOrEqual(390);
  });
});
