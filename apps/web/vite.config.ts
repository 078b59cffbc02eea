import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin, type Rolldown } from 'vite';
import { SHELL_PAGES, STATIC_SHELL_ID } from './src/app/static-shells.ts';
import { graphqlDocumentsApart } from './vite-graphql-documents.ts';

// `pnpm dev` starts the API here beside the Vite dev server. Forwarding the API's routes lets the app
// fetch same-origin paths in development, so it needs neither CORS nor a configurable API address.
const API_ORIGIN = 'http://127.0.0.1:4000';

/** Files whose text compresses: everything the app's build emits but images other than SVG. */
const COMPRESSIBLE = /\.(?:html|js|mjs|css|svg|json|txt|webmanifest)$/;
const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

/**
 * A brotli and a gzip copy beside each compressible file of the build (index-1a2b3c.js.br, .gz), which the API
 * sends as they are to a browser that accepts them (@fastify/static's preCompressed): compressed once here at
 * the highest levels, which would cost too much time on every request. The app's scripts come to a quarter of their
 * size as brotli. A copy no smaller than its file is not written, and the file itself is sent instead.
 */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'pastoral:precompress',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    // After the bundle and the public folder's files are written: the favicon is compressed too.
    async closeBundle() {
      const files = (await readdir(outDir, { recursive: true, withFileTypes: true }))
        .filter((entry) => entry.isFile() && COMPRESSIBLE.test(entry.name))
        .map((entry) => join(entry.parentPath, entry.name));
      await Promise.all(
        files.map(async (file) => {
          const content = await readFile(file);
          const [br, gz] = await Promise.all([
            brotli(content, {
              params: {
                [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
                [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
                [constants.BROTLI_PARAM_SIZE_HINT]: content.length,
              },
            }),
            gzipped(content, { level: constants.Z_BEST_COMPRESSION }),
          ]);
          if (br.length < content.length) await writeFile(`${file}.br`, br);
          if (gz.length < content.length) await writeFile(`${file}.gz`, gz);
        }),
      );
    },
  };
}

/** Where index.html wants the static shell. */
const SHELL_MARKER = '<!--pastoral:static-shell-->';

/**
 * The built index.html once per static shell (src/app/static-shells.ts): index.html with the sign-in page,
 * dashboard.html and signed-in.html with a signed-in page's header, each with the same scripts and styles. Only
 * at build time: in development the app paints everything itself.
 */
function staticShells(): Plugin {
  return {
    name: 'pastoral:static-shells',
    apply: 'build',
    // After Vite's own HTML plugin has written the scripts and styles into index.html.
    enforce: 'post',
    generateBundle(_options, bundle) {
      const template = bundle['index.html'];
      if (template?.type !== 'asset' || !String(template.source).includes(SHELL_MARKER)) {
        this.error(`index.html has no ${SHELL_MARKER} to put the static shell in`);
      }
      // The shell paints without the scripts: fetched at low priority they are no longer taken (by the browser,
      // or by Lighthouse's simulation of a slow network) for something the first paint waits on.
      const html = String(template.source)
        .replaceAll('<script type="module" ', '<script type="module" fetchpriority="low" ')
        .replaceAll('<link rel="modulepreload" ', '<link rel="modulepreload" fetchpriority="low" ');
      for (const [fileName, shell] of Object.entries(SHELL_PAGES)) {
        const source = html.replace(SHELL_MARKER, `<div id="${STATIC_SHELL_ID}">${shell}</div>`);
        if (fileName === 'index.html') template.source = source;
        else this.emitFile({ type: 'asset', fileName, source });
      }
    },
  };
}

/**
 * Every chunk of the app's first load requested at once, when boot.ts starts to load the app: its imports, a library
 * at a time so that each is evaluated in a task of its own, would otherwise each request their chunks only when
 * the one before had run, a round trip each on a slow network. The preload list Vite writes for each of boot.ts's
 * imports is all the chunks any of them needs; the browser requests each once.
 */
function firstLoadTogether(): Plugin {
  let bundle: Rolldown.OutputBundle | undefined;
  return {
    name: 'pastoral:first-load-together',
    apply: 'build',
    config: () => ({
      build: {
        modulePreload: {
          resolveDependencies(_fileName, deps, { hostId, hostType }) {
            const host = hostType === 'js' ? bundle?.[hostId] : undefined;
            // The entry chunk (index.html's script) is boot.ts's.
            if (host?.type !== 'chunk' || !host.isEntry) return deps;
            const chunks = new Set<string>();
            const add = (fileName: string) => {
              const chunk = bundle?.[fileName];
              if (chunk?.type !== 'chunk' || fileName === hostId || chunks.has(fileName)) return;
              chunks.add(fileName);
              chunk.imports.forEach(add);
            };
            host.dynamicImports.forEach(add);
            return [...chunks];
          },
        },
      },
    }),
    // Before Vite's own generateBundle writes the preload lists, which is when it asks resolveDependencies above.
    generateBundle: {
      order: 'pre',
      handler(_options, output) {
        bundle = output;
      },
    },
  };
}

export default defineConfig({
  plugins: [react(), graphqlDocumentsApart(), firstLoadTogether(), staticShells(), precompress()],
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
