import { defineConfig } from 'vitest/config';

/** `npm run test:browser`: the playground in headless Chromium (test/browser/), apart from `npm test`. */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
