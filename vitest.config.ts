import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the browser suite runs on its own: npm run test:browser (vitest.browser.config.ts)
    exclude: ['test/browser/**', 'node_modules/**'],
    // Compiling a gpu.js kernel on software GL takes up to a few seconds.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
