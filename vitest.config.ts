import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // End-to-end tests start a fake cloud in a network namespace and run the built binary.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
