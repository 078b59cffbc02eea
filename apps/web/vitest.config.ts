import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

/** The web app's component tests: React in jsdom, Apollo answering from mocks (the root config runs it). */
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  test: {
    name: 'web',
    environment: 'jsdom',
    include: ['src/**/*.test.tsx'],
    setupFiles: ['src/testing/setup.ts'],
  },
});
