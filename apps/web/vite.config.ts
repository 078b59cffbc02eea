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
  build: {
    outDir: 'dist',
    rolldownOptions: {
      output: {
        // Libraries in chunks of their own, apart from our code: React, the router, and the rest (Apollo Client,
        // graphql, rxjs). One 580 kB file becomes four under the 500 kB the bundler warns at, and a release that
        // changes only our code leaves the browser's copies of the libraries valid.
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/, priority: 3 },
            { name: 'router', test: /node_modules[\\/](react-router|cookie|set-cookie-parser)[\\/]/, priority: 2 },
            { name: 'libraries', test: /node_modules[\\/]/, priority: 1 },
          ],
        },
      },
    },
  },
});
