import { defineConfig } from 'vitest/config';

// The tests start dockerd and use ip and nsenter, which live in sbin; a non-login shell may leave it off PATH.
process.env.PATH = [process.env.PATH, '/usr/local/sbin', '/usr/sbin', '/sbin'].filter(Boolean).join(':');

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
