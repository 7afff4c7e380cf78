/**
 * The webasm helper thread's script for the page's workers (bundled as
 * helper-worker.js): the attack worker starts it to use a second core
 * (src/kernels/helper-thread.ts, helper-worker-browser.ts).
 */
import '../src/kernels/helper-worker-browser.js';
