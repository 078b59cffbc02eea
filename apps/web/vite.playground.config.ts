import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The GraphQL playground (GraphiQL), built apart from the app into dist/playground/ and served under
// /playground/: the API leaves every file of it unserved when the playground is off (production's default), so
// off means off on every path. Its editor is large, and the app never loads it.
export default defineConfig({
  plugins: [react()],
  base: '/playground/',
  // The favicon is the app's, served from the root.
  publicDir: false,
  build: {
    outDir: 'dist/playground',
    rollupOptions: { input: 'playground.html' },
  },
});
