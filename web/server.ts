/** Serving a built playground folder (esbuild's static server), by default on localhost only. */
import { context } from 'esbuild';
import { isIP } from 'node:net';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

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
 * address (0.0.0.0, ::) is no address to connect to (esbuild answers 403
 * there), so it stands for loopback and each of this machine's interfaces.
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

/** Why esbuild could not listen, in one line (its own message is a Go error with a stack trace around it). */
function listenError(host: string, port: number, error: unknown): Error {
  const text = error instanceof Error ? error.message : String(error);
  const where = `${host}:${port}`;
  if (/address already in use/i.test(text)) return new Error(`cannot serve the playground on ${where}: the port is in use (another playground still running? --port 0 picks a free port)`);
  if (/cannot assign requested address|can't assign/i.test(text)) return new Error(`cannot serve the playground on ${where}: this machine has no address ${host} (use 127.0.0.1, the default, or one of its own addresses)`);
  if (/permission denied/i.test(text)) return new Error(`cannot serve the playground on ${where}: permission denied (ports below 1024 need privileges; try --port 5173)`);
  if (/no such host/i.test(text)) return new Error(`cannot serve the playground on ${where}: no such host`);
  return new Error(`cannot serve the playground on ${where}: ${text.split('\n')[0]}`);
}

/** Serves a built playground folder (port 0: any free port). `host` must be an IP address or localhost. */
export async function servePlayground(outDir: string, port = 0, host = '127.0.0.1'): Promise<PlaygroundServer> {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare !== 'localhost' && isIP(bare) === 0) throw new Error(`--host must be an IP address (127.0.0.1, 0.0.0.0, ::1, …) or localhost, got "${host}"`);
  const server = await context({ logLevel: 'silent' });
  let bound: number;
  try {
    ({ port: bound } = await server.serve({ servedir: outDir, port, host: bare }));
  } catch (error) {
    await server.dispose();
    throw listenError(host, port, error);
  }
  const urls = reachableUrls(bare, bound);
  const warning = LOOPBACK.has(bare) ? undefined : `warning: the playground is now reachable from the network at ${urls.slice(WILDCARDS.has(bare) ? 1 : 0).join(' ') || `${bare}:${bound}`}; anyone who can reach this machine can open it (leave --host out to serve on 127.0.0.1 only)`;
  return { url: urls[0] as string, urls, ...(warning === undefined ? {} : { warning }), stop: () => server.dispose() };
}
