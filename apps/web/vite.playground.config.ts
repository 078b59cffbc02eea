import react from '@vitejs/plugin-react';
import { defineConfig, type Rolldown } from 'vite';

/**
 * Drops one warning, and only for published code: "use no memo" is React Compiler's opt-out. GraphiQL's packages
 * (and react-compiler-runtime, which they import) were compiled by React Compiler before they were published and
 * keep the directive atop the modules it skipped. We run no compiler on them, so the directive tells nothing to
 * anyone, and the bundler dropping it as it joins modules changes nothing. Every other module-level directive,
 * and this one in our own source, is still reported.
 */
const quietLibraryDirectives: NonNullable<Rolldown.InputOptions['onLog']> = (level, log, report) => {
  const inert =
    log.code === 'MODULE_LEVEL_DIRECTIVE' &&
    log.message.includes('"use no memo"') &&
    /[\\/]node_modules[\\/]/.test(log.id ?? '');
  if (!inert) report(level, log);
};

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
    // The entry (src/playground/main.tsx, 222 kB) paints the page and imports the editor lazily. The editor is
    // Monaco (one 2.8 MB chunk) under GraphiQL (0.9 MB), every byte needed before anyone can type: cutting them
    // into the bundler's 500 kB pieces makes some thirty files that load together, and saves nothing. The limit
    // is raised here, for the playground only, to what the editor weighs; the app keeps the default.
    chunkSizeWarningLimit: 3_000,
    rolldownOptions: {
      input: 'playground.html',
      onLog: quietLibraryDirectives,
    },
  },
});
