/** Serving a built playground folder on localhost (esbuild's static server). */
import { context } from 'esbuild';

/** A running playground server: its URL and how to stop it. */
export interface PlaygroundServer {
  url: string;
  stop(): Promise<void>;
}

/** Serves a built playground folder (port 0: any free port). */
export async function servePlayground(outDir: string, port = 0, host = '127.0.0.1'): Promise<PlaygroundServer> {
  const server = await context({});
  const { port: bound } = await server.serve({ servedir: outDir, port, host });
  return { url: `http://${host}:${bound}/`, stop: () => server.dispose() };
}
