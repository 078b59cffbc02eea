import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `pnpm dev` starts the API here beside the Vite dev server. Forwarding the API's routes lets the app
// fetch same-origin paths in development, so it needs neither CORS nor a configurable API address.
const API_ORIGIN = 'http://127.0.0.1:4000';

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      '/graphql': API_ORIGIN,
      '/healthz': API_ORIGIN,
      '/readyz': API_ORIGIN,
    },
  },
  // The GraphQL playground is built apart, into dist/playground/ (vite.playground.config.ts).
  build: { outDir: 'dist' },
});
