/**
 * Environment variables, where there are any: Node's `process.env`, and none
 * in a browser, which has no `process`. The library's core reads its
 * settings (ROBUSTNORM_BACKEND, ROBUSTNORM_THREADS, …) through this, so that
 * loading it in a page does not fail on a `process` that is not there.
 */
export function environmentVariable(name: string): string | undefined {
  const environment = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return environment?.[name];
}
