#!/usr/bin/env node
/**
 * The `robustnorm` command. It first re-runs itself with glibc's malloc
 * settings where that pays (allocator.ts explains why; not for --help), then loads the
 * program (program.ts). The heavy imports wait until then, so the short-lived
 * parent process loads nothing but this.
 */
import { isQuickInvocation, relaunchWithAllocatorSettings, rememberParent } from './allocator.js';

if (!isQuickInvocation(process.argv.slice(2))) await relaunchWithAllocatorSettings();
rememberParent();
await import('./program.js');
