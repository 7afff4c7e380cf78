/**
 * `npm run playground`: builds the page (web/build.ts) and serves the folder
 * on localhost, printing the URL, with the cross-origin isolation headers
 * (web/server.ts). Ctrl-C stops it.
 *
 *   npm run playground -- [--port N] [--host H] [--build-only]
 */
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildPlayground, defaultOutDir } from './build.js';
import { servePlayground, type PlaygroundServer } from './server.js';

const usage = 'usage: npm run playground -- [--port N] [--host H] [--build-only]';

async function main(): Promise<void> {
  let values: { port?: string; host?: string; 'build-only'?: boolean };
  try {
    ({ values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' }, 'build-only': { type: 'boolean' } } }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
  const port = values.port === undefined ? 5173 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a whole number from 0 to 65535, got "${values.port}"\n${usage}`);
    process.exit(2);
  }
  const started = performance.now();
  const outDir = defaultOutDir();
  mkdirSync(outDir, { recursive: true });
  // listen first (an empty folder until the build lands), so that a port in use or a bad host fails at once, in one line
  let server: PlaygroundServer | undefined;
  if (!values['build-only']) {
    try {
      server = await servePlayground(outDir, port, values.host ?? '127.0.0.1');
    } catch (error) {
      console.error(`playground: ${(error as Error).message}`);
      process.exit(1);
    }
  }
  const built = await buildPlayground(outDir);
  console.log(`built ${built.outDir} in ${((performance.now() - started) / 1000).toFixed(1)} s: main.js ${(built.bundleBytes / 1024).toFixed(0)} KiB (${(built.bundleGzipBytes / 1024).toFixed(0)} KiB gzipped)`);
  if (server === undefined) return;
  console.log(`playground: ${server.urls.join('  ')}   (Ctrl-C stops it)`);
  if (server.warning !== undefined) console.warn(server.warning);
}

await main();
