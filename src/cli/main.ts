#!/usr/bin/env node
/**
 * The `robustnorm` command: works from the folder it was typed in, watches
 * the process that started it (parent-watch.ts), then loads the program
 * (program.ts).
 */
import { watchParents } from './parent-watch.js';

// `npm run robustnorm -- …` (and `npm start`) run this in the package's
// folder; npm records where the command was typed as INIT_CWD. Work from
// there, so that `--checkpoint ../model.safetensors` or `--out runs/x` mean
// what they say to the person who typed them.
const typedIn = process.env.INIT_CWD;
if (typedIn !== undefined && typedIn !== '' && typedIn !== process.cwd()) process.chdir(typedIn);
watchParents();
await import('./program.js');
