/**
 * Running the optional PyTorch scripts of bench/ (compare-pytorch.py,
 * paired-training.py). Only these benchmarks need Python; the library never does.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Debian's python3-torch lives in the system Python (a pyenv or venv python3 may come first on PATH). */
export function systemPython(): string {
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

/** Exits with a clear message unless the system Python can import torch. */
export function requireTorch(command: string): void {
  const python = systemPython();
  try {
    execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    console.error(`${command} needs PyTorch: \`${python} -c "import torch"\` failed. On Debian: sudo apt-get install python3-torch`);
    process.exit(1);
  }
}

/**
 * Runs bench/`script` with `args` and parses the JSON it prints.
 */
export function runPythonJson(script: string, args: string[]): unknown {
  const file = fileURLToPath(new URL(`./${script}`, import.meta.url));
  return JSON.parse(execFileSync(systemPython(), [file, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
}
