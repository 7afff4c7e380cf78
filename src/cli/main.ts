#!/usr/bin/env node
/**
 * The `robustnorm` command. It first re-runs itself with glibc's malloc
 * settings where that pays (allocator.ts explains why; not for --help), then loads the
 * program (program.ts). The heavy imports wait until then, so the short-lived
 * parent process loads nothing but this.
 */
import { isQuickInvocation, relaunchWithAllocatorSettings, rememberParent } from './allocator.js';

if (!isQuickInvocation(process.argv.slice(2))) await relaunchWithAllocatorSettings();

// `npm run robustnorm -- …` (and `npm start`) run this in the package's
// folder; npm records where the command was typed as INIT_CWD. Work from
// there, so that `--checkpoint ../model.safetensors` or `--out runs/x` mean
// what they say to the person who typed them. (After the relaunch: Node
// resolves the child's loader flags, such as `--import tsx`, from the folder
// it starts in.)
const typedIn = process.env.INIT_CWD;
if (typedIn !== undefined && typedIn !== '' && typedIn !== process.cwd()) process.chdir(typedIn);
rememberParent();
await import('./program.js');
