import { defineConfig } from 'vitest/config';

/** Opt-in suite that talks to real services: `npm run test:live`. */
export default defineConfig({
  test: {
    include: ['test/live/**/*.test.ts'],
    testTimeout: 120_000,
  },
});
