/**
 * The browser playground (web/) in a real browser: Debian's Chromium, headless,
 * driven by playwright-core. The page is built and served here; a checkpoint
 * is written by the CLI. Screenshots of each panel and the measured numbers
 * go to test-results/playground/. Run with `npm run test:browser`
 * (CHROMIUM_PATH overrides /usr/bin/chromium).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint, noGrad, setBackend, Tensor } from '../../src/index.js';
import { attackDigit } from '../../web/attack-panel.js';
import { buildPlayground, type PlaygroundBuild } from '../../web/build.js';
import { decodeDigits } from '../../web/digits.js';
import { servePlayground, type PlaygroundServer } from '../../web/server.js';
import { adopt, state } from '../../web/state.js';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const output = join('test-results', 'playground');
const scratch = mkdtempSync(join(tmpdir(), 'robustnorm-playground-'));
const checkpointPath = join(scratch, 'cli', 'checkpoint.safetensors');
const numbers: Record<string, unknown> = {};

let built: PlaygroundBuild;
let server: PlaygroundServer;
let browser: Browser;
let page: Page;
const problems: string[] = [];

/** Opens the page (with `query`) and waits until it has loaded its digits; returns the milliseconds to that point. */
async function open(target: Page, query = ''): Promise<number> {
  await target.goto(server.url + query);
  await target.waitForSelector('#backend[data-ready]', { timeout: 60_000 });
  return Number(await target.getAttribute('#backend', 'data-ready'));
}

/** Trains with the page's buttons until `steps` steps are done; returns the rate the page reported. */
async function trainInPage(target: Page, norm: 'bn' | 'rn', steps: number): Promise<number> {
  await target.selectOption('#train-norm', norm);
  await target.click('#train-start');
  await target.waitForFunction((n) => Number(document.getElementById('train-status')?.dataset.steps ?? 0) >= n, steps, { timeout: 240_000 });
  await target.click('#train-pause');
  return Number(await target.getAttribute('#train-status', 'data-steps-per-second'));
}

beforeAll(async () => {
  if (!existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
  mkdirSync(output, { recursive: true });
  built = await buildPlayground(join(scratch, 'site'));
  server = await servePlayground(built.outDir);
  // a checkpoint as a user makes one: the CLI, on the embedded digits
  const cli = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'train', '--limit', '2048', '--test-limit', '64', '--epochs', '1', '--batch-size', '64', '--out', join(scratch, 'cli')], { encoding: 'utf8' });
  if (cli.status !== 0) throw new Error(`the CLI could not train: ${cli.stderr}`);
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'] });
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  numbers.msToReady = await open(page);
});

afterAll(async () => {
  numbers.bundleBytes = built?.bundleBytes;
  numbers.bundleGzipBytes = built?.bundleGzipBytes;
  writeFileSync(join(output, 'numbers.json'), `${JSON.stringify(numbers, null, 2)}\n`);
  console.log('playground numbers:', numbers);
  await browser?.close();
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('the playground in Chromium', () => {
  it('loads without console errors and names its backend and renderer', async () => {
    const text = (await page.textContent('#backend')) ?? '';
    expect(text).toMatch(/backend (webasm|webgl)/);
    expect(text).toMatch(/8000 training and 2000 test digits/);
    // the renderer string is read when the details line is opened
    await page.click('#backend summary');
    await page.waitForSelector('#backend .renderer[data-read]');
    expect(await page.textContent('#backend .renderer')).toMatch(/^; this browser's WebGL2 renderer: (?!shown when opened)\S/);
    expect(problems).toEqual([]);
  });

  it('trains 30 steps and the loss goes down', async () => {
    numbers.webasmStepsPerSecond = await trainInPage(page, 'rn', 30);
    const losses = await page.evaluate(() => window.playground.trainingLog.filter((step) => step.slot === 'rn').map((step) => step.loss));
    expect(losses.length).toBeGreaterThanOrEqual(30);
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    expect(mean(losses.slice(-5))).toBeLessThan(mean(losses.slice(0, 5)) - 0.3);
    await page.locator('#train').screenshot({ path: join(output, 'train.png') });
  });

  it('loads a checkpoint written by the CLI and gives the logits Node gives', async () => {
    await page.setInputFiles('#checkpoint-file', checkpointPath);
    await page.waitForSelector('#train-status[data-loaded]');
    const indices = [0, 1, 2, 3, 4, 5, 6, 7];
    const inPage = await page.evaluate((which) => window.playground.logits('bn', which), indices);
    setBackend('webasm');
    const digits = decodeDigits(readFileSync(join(built.outDir, 'digits.bin')).buffer as ArrayBuffer);
    const { model } = decodeCheckpoint(readFileSync(checkpointPath), checkpointPath);
    model.eval();
    model.setNormStatistics('population');
    const images = new Tensor(digits.test.images.slice(0, 8 * 784), [8, 1, 28, 28]);
    const inNode = Array.from(noGrad(() => model.forward(images)).data);
    expect(inPage).toHaveLength(80);
    const scale = Math.max(...inNode.map(Math.abs));
    expect(Math.max(...inPage.map((value, i) => Math.abs(value - (inNode[i] as number))))).toBeLessThan(1e-5 * scale);
    // and the page's download is a checkpoint Node reads back, with the same weights
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#train-download')]);
    const saved = join(scratch, download.suggestedFilename());
    await download.saveAs(saved);
    const reloaded = decodeCheckpoint(readFileSync(saved), saved).model;
    reloaded.eval();
    reloaded.setNormStatistics('population');
    expect(Array.from(noGrad(() => reloaded.forward(images)).data)).toEqual(inNode);
    expect(problems).toEqual([]);
  });

  it('an attack changes the prediction of BatchNorm with population statistics where Node says it does', async () => {
    // Node finds a test digit that the CLI model classifies right and PGD (ε = 0.2, the paper's) turns, confidently
    const digits = decodeDigits(readFileSync(join(built.outDir, 'digits.bin')).buffer as ArrayBuffer);
    state.digits = digits;
    const { model, metadata } = decodeCheckpoint(readFileSync(checkpointPath), checkpointPath);
    state.models.set('bn', adopt(model, metadata.model, 'cli'));
    let chosen = -1;
    for (let index = 0; index < 40 && chosen < 0; index++) {
      const [population] = attackDigit(index, 'pgd', 0.2);
      const label = digits.test.labels[index] as number;
      const after = population!.adversarial.indexOf(Math.max(...population!.adversarial));
      if (population!.clean.indexOf(Math.max(...population!.clean)) === label && after !== label && (population!.adversarial[after] as number) > 0.6) chosen = index;
    }
    expect(chosen, 'no test digit among the first 40 that PGD turns confidently in Node').toBeGreaterThanOrEqual(0);
    await page.fill('#attack-index', String(chosen));
    await page.dispatchEvent('#attack-index', 'change');
    await page.selectOption('#attack-name', 'pgd');
    await page.fill('#attack-eps', '0.2');
    await page.click('#attack-run');
    await page.waitForSelector('#attack-status[data-done]', { timeout: 240_000 });
    const population = page.locator('#attack-results figure[data-setting="0"]');
    expect(await population.getAttribute('data-clean')).toBe(String(digits.test.labels[chosen]));
    expect(await population.getAttribute('data-adversarial')).not.toBe(String(digits.test.labels[chosen]));
    await page.locator('#attack').screenshot({ path: join(output, 'attack.png') });
    expect(problems).toEqual([]);
  });

  it('draws Table 1 for the loaded models on 256 test digits, beside the paper\'s rows', async () => {
    // clicked from inside the page: the work it starts keeps the page busy for a while, which a Playwright click would wait on
    await page.$eval('#table1-run', (button) => setTimeout(() => (button as HTMLButtonElement).click(), 0));
    await page.waitForSelector('#table1 table', { timeout: 280_000 });
    const rows = await page.$$eval('#table1 tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')));
    const measured = rows.filter((cells) => cells.length === 7 && !cells[0]!.startsWith('the paper'));
    expect(measured.map((cells) => cells[0])).toEqual(['BatchNorm, population statistics (P)', 'BatchNorm, batch statistics (B)', 'RobustNorm']);
    for (const cells of measured) for (const cell of cells.slice(1)) expect(cell).toMatch(/^\d+\.\d \[\d+, \d+\]$/);
    expect(rows.filter((cells) => cells[0]?.startsWith('the paper'))).toHaveLength(2);
    numbers.table1 = measured.map((cells) => cells.join(' | '));
    expect(problems).toEqual([]);
  });

  it('computes matmul and a conv forward on WebGL2 (SwiftShader) as the TypeScript reference does', async () => {
    const errors = await page.evaluate(() => window.playground.kernelCheck('webgl'));
    expect(errors.matmul).toBeLessThan(1e-5);
    expect(errors.conv2dForward).toBeLessThan(1e-5);
    // the benchmark itself runs in a worker (bench-worker.ts), both backends
    await page.click('#bench-run');
    await page.waitForSelector('#bench-table[data-done]', { timeout: 240_000 });
    numbers.kernelTable = await page.textContent('#bench-table');
    await page.locator('#bench').screenshot({ path: join(output, 'bench.png') });
  });

  it('draws the statistics shift and the backward pass, whose three paths add up to the library\'s gradient', async () => {
    await page.click('#shift-run');
    await page.waitForSelector('#shift-status[data-done]', { timeout: 240_000 });
    expect(await page.textContent('#shift-status')).toMatch(/under PGD/);
    await page.locator('#shift').screenshot({ path: join(output, 'shift.png') });
    const rows = await page.$$eval('#backward-table tr', (trs) => trs.slice(1).map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent)));
    expect(rows).toHaveLength(8);
    for (const row of rows) expect(row[7]).toBe(row[8]);
    expect(rows.filter((row) => row[6] !== '0')).toHaveLength(2); // only the maximum and the minimum take the range path
    await page.locator('#backward').screenshot({ path: join(output, 'backward.png') });
    await page.screenshot({ path: join(output, 'page.png'), fullPage: true });
    await page.screenshot({ path: join(output, 'readme.png'), fullPage: true, clip: { x: 0, y: 0, width: 1200, height: 1450 } }); // the README's picture
    expect(problems).toEqual([]);
  });

  it('trains on WebGL2 when asked (?backend=webgl), for its step rate', async () => {
    const glPage = await browser.newPage();
    await open(glPage, '?backend=webgl');
    expect(await glPage.getAttribute('#backend', 'data-backend')).toBe('webgl');
    // steps timed in the page (one first, which compiles the kernels); each blocks the page for seconds on SwiftShader
    const { rate, loss } = await glPage.evaluate(() => {
      window.playground.stepModel('bn');
      const start = performance.now();
      let last = 0;
      for (let step = 0; step < 3; step++) last = window.playground.stepModel('bn').loss;
      return { rate: 3 / ((performance.now() - start) / 1000), loss: last };
    });
    expect(Number.isFinite(loss)).toBe(true);
    numbers.webglStepsPerSecond = rate;
    numbers.webglRenderer = await glPage.textContent('#backend');
    await glPage.close();
  });
});
