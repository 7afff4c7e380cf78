/**
 * `npm run playground`'s server (issue 29, case 20): a wildcard host prints
 * the addresses a browser can use, with a warning, never http://0.0.0.0/; a
 * port in use or a bad host is one clear line, not esbuild's stack trace.
 * Nothing here connects to a non-loopback address.
 */
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reachableUrls, servePlayground } from '../../web/server.js';

let blocker: Server;
let busyPort: number;
const folder = mkdtempSync(join(tmpdir(), 'robustnorm-serve-'));

beforeAll(async () => {
  blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  busyPort = (blocker.address() as { port: number }).port;
});
afterAll(() => {
  blocker.close();
  rmSync(folder, { recursive: true, force: true });
});

const interfaces = {
  lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
  eth0: [
    { address: '192.168.1.20', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '192.168.1.20/24' },
    { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:00:00:00:00:01', internal: false, cidr: 'fe80::1/64', scopeid: 2 },
  ],
} as const;

describe('the playground server', () => {
  it('for --host 0.0.0.0, lists loopback and this machine\'s addresses, not 0.0.0.0', () => {
    const urls = reachableUrls('0.0.0.0', 5173, interfaces as never);
    expect(urls).toEqual(['http://127.0.0.1:5173/', 'http://192.168.1.20:5173/']);
    expect(urls.join(' ')).not.toMatch(/0\.0\.0\.0/);
    expect(reachableUrls('127.0.0.1', 80, interfaces as never)).toEqual(['http://127.0.0.1:80/']);
  });

  it('serves on 127.0.0.1 by default with no warning', async () => {
    const server = await servePlayground(folder);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(server.warning).toBeUndefined();
    await server.stop();
  });

  it('sends the cross-origin isolation headers with every answer (esbuild\'s server behind a proxy)', async () => {
    writeFileSync(join(folder, 'index.html'), '<!doctype html><title>isolated</title>');
    const server = await servePlayground(folder);
    try {
      const page = await fetch(server.url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>isolated</title>');
      const missing = await fetch(`${server.url}no-such-file.js`);
      expect(missing.status).toBe(404);
      for (const answer of [page, missing]) {
        expect(answer.headers.get('cross-origin-opener-policy')).toBe('same-origin');
        expect(answer.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      }
    } finally {
      await server.stop();
    }
  });

  it('says in one line that a port is in use or a host is not an address', async () => {
    await expect(servePlayground(folder, busyPort)).rejects.toThrow(/^cannot serve the playground on 127\.0\.0\.1:\d+: the port is in use[^\n]*$/);
    // 192.0.2.1 (TEST-NET-1) is no address of this machine: binding fails, nothing is sent
    await expect(servePlayground(folder, 0, '192.0.2.1')).rejects.toThrow(/^cannot serve the playground on 192\.0\.2\.1:0: this machine has no address 192\.0\.2\.1[^\n]*$/);
    await expect(servePlayground(folder, 0, 'my laptop')).rejects.toThrow(/--host must be an IP address/);
  });

  it('npm run playground with a port in use prints one line and exits 1, before building', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'web/serve.ts', '--port', String(busyPort)], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^playground: cannot serve the playground on 127\.0\.0\.1:\d+: the port is in use/)]);
    expect(run.stdout).not.toMatch(/built/);
  });
});
