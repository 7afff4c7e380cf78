/**
 * Serving a built playground folder, by default on localhost only: esbuild's
 * static server on a loopback port of its own, behind a small node:http proxy
 * (as esbuild's documentation shows) that answers on the chosen host and port
 * and adds the cross-origin isolation headers esbuild's server cannot send
 * (Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy:
 * require-corp), so that the page is `crossOriginIsolated` and may use
 * SharedArrayBuffer.
 */
import { context } from 'esbuild';
import { createServer, request, type Server } from 'node:http';
import { isIP } from 'node:net';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

/** What every answer carries: the page and its workers become cross-origin isolated; everything they load is same-origin. */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

/** A running playground server: its URL, the addresses it answers on, and how to stop it. */
export interface PlaygroundServer {
  url: string;
  /** Every URL that reaches it (for a wildcard host: loopback and each of this machine's addresses). */
  urls: string[];
  /** Set when the page is reachable from other machines. */
  warning?: string;
  stop(): Promise<void>;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

function urlOf(address: string, port: number): string {
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}/`;
}

/**
 * The URLs a browser can use for a server bound to `host`: a wildcard
 * address (0.0.0.0, ::) is no address to connect to, so it stands for
 * loopback and each of this machine's interfaces.
 */
export function reachableUrls(host: string, port: number, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): string[] {
  if (!WILDCARDS.has(host)) return [urlOf(host.replace(/^\[|\]$/g, ''), port)];
  const ipv6 = host !== '0.0.0.0';
  const urls = [urlOf(ipv6 ? '::1' : '127.0.0.1', port)];
  for (const list of Object.values(interfaces)) {
    for (const info of list ?? []) {
      if (info.internal || (info.family === 'IPv6') !== ipv6 || info.address.startsWith('fe80')) continue;
      urls.push(urlOf(info.address, port));
    }
  }
  return urls;
}

/** Why the server could not listen, in one line (Node's error code, or esbuild's message, a Go error with a stack trace around it). */
function listenError(host: string, port: number, error: unknown): Error {
  const text = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string } | null)?.code ?? '';
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE' || /address already in use/i.test(text)) return new Error(`cannot serve the playground on ${where}: the port is in use (another playground still running? --port 0 picks a free port)`);
  if (code === 'EADDRNOTAVAIL' || /cannot assign requested address|can't assign/i.test(text)) return new Error(`cannot serve the playground on ${where}: this machine has no address ${host} (use 127.0.0.1, the default, or one of its own addresses)`);
  if (code === 'EACCES' || /permission denied/i.test(text)) return new Error(`cannot serve the playground on ${where}: permission denied (ports below 1024 need privileges; try --port 5173)`);
  if (code === 'ENOTFOUND' || /no such host/i.test(text)) return new Error(`cannot serve the playground on ${where}: no such host`);
  return new Error(`cannot serve the playground on ${where}: ${text.split('\n')[0]}`);
}

/** Listens on host:port; resolves with the port bound, rejects with Node's error. */
function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

/** Serves a built playground folder (port 0: any free port). `host` must be an IP address or localhost. */
export async function servePlayground(outDir: string, port = 0, host = '127.0.0.1'): Promise<PlaygroundServer> {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare !== 'localhost' && isIP(bare) === 0) throw new Error(`--host must be an IP address (127.0.0.1, 0.0.0.0, ::1, …) or localhost, got "${host}"`);
  // esbuild's server, on loopback only; the proxy below forwards to it
  let inner: { port: number } | undefined;
  const proxy = createServer((incoming, answer) => {
    if (inner === undefined) {
      answer.writeHead(503, ISOLATION_HEADERS).end('the playground is starting');
      return;
    }
    const forwarded = request({ hostname: '127.0.0.1', port: inner.port, path: incoming.url, method: incoming.method, headers: { ...incoming.headers, host: `127.0.0.1:${inner.port}` } }, (response) => {
      answer.writeHead(response.statusCode ?? 502, { ...response.headers, ...ISOLATION_HEADERS });
      response.pipe(answer);
    });
    forwarded.on('error', (error) => {
      if (!answer.headersSent) answer.writeHead(502, { 'Content-Type': 'text/plain', ...ISOLATION_HEADERS });
      answer.end(`the playground's file server did not answer: ${error.message}`);
    });
    incoming.pipe(forwarded);
  });
  let bound: number;
  try {
    bound = await listen(proxy, port, bare);
  } catch (error) {
    throw listenError(host, port, error);
  }
  const files = await context({ logLevel: 'silent' });
  try {
    inner = await files.serve({ servedir: outDir, port: 0, host: '127.0.0.1' });
  } catch (error) {
    proxy.close();
    await files.dispose();
    throw new Error(`cannot start the playground's file server: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`);
  }
  const urls = reachableUrls(bare, bound);
  const warning = LOOPBACK.has(bare) ? undefined : `warning: the playground is now reachable from the network at ${urls.slice(WILDCARDS.has(bare) ? 1 : 0).join(' ') || `${bare}:${bound}`}; anyone who can reach this machine can open it (leave --host out to serve on 127.0.0.1 only)`;
  const stop = async (): Promise<void> => {
    proxy.closeAllConnections();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
    await files.dispose();
  };
  return { url: urls[0] as string, urls, ...(warning === undefined ? {} : { warning }), stop };
}
