// Builds the renderer (the React app) into dist/renderer by default. The
// Electron entries are built by the same config with `--mode electron-*`
// (scripts/build-bundles.js runs them all): CommonJS for Node into
// dist/electron/, see ELECTRON_ENTRIES below.
import { defineConfig, type UserConfig } from 'vite';
import react from '@vitejs/plugin-react';

/** Where the Electron bundles go; main finds preload.js, engine.js and ../renderer next to itself. */
const ELECTRON_OUT_DIR = 'dist/electron';

/**
 * One build per process, each with its own entries and externals:
 * - main: only electron stays external (plus Node builtins).
 * - preload: sandboxed, so ONE file whose only require is 'electron'
 *   (scripts/build-bundles.js checks this after the build).
 * - engine: the utility process; koffi stays external (its native part is
 *   unpacked from the asar), and the readiness worker is a second entry
 *   because the engine starts it by file name next to itself.
 */
const ELECTRON_ENTRIES: Record<string, { input: Record<string, string>; external: string[] }> = {
  'electron-main': { input: { main: 'main/index.ts' }, external: ['electron'] },
  'electron-preload': { input: { preload: 'preload/index.ts' }, external: ['electron'] },
  'electron-engine': {
    input: { engine: 'server/utility-entry.ts', 'readiness-worker': 'native-bridge/readiness-worker.ts' },
    external: ['koffi'],
  },
};

/** Electron 45 runs Node 22. */
const ELECTRON_NODE_TARGET = 'node22';

function electronConfig(entry: { input: Record<string, string>; external: string[] }): UserConfig {
  return {
    // Node code: no public dir, no HTML, no dependency pre-bundling.
    publicDir: false,
    build: {
      ssr: true,
      outDir: ELECTRON_OUT_DIR,
      emptyOutDir: false, // three builds share the folder; scripts/build-bundles.js empties it first
      sourcemap: true,
      minify: false,
      target: ELECTRON_NODE_TARGET,
      rolldownOptions: {
        input: entry.input,
        external: entry.external,
        output: { format: 'cjs', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
      },
    },
    // Bundle everything but the explicit externals and Node builtins: the packaged app then needs only koffi in node_modules.
    ssr: { noExternal: true, external: entry.external },
  };
}

export default defineConfig(({ mode }): UserConfig => {
  const electron = ELECTRON_ENTRIES[mode];
  if (electron) return electronConfig(electron);
  return {
    root: 'renderer',
    // Loaded from sockeye://app/ in Electron and from any path in a browser: relative asset URLs.
    base: './',
    plugins: [react()],
    build: {
      outDir: '../dist/renderer',
      emptyOutDir: true,
      sourcemap: true,
      // No inline scripts or eval: the CSP is script-src 'self'.
      modulePreload: { polyfill: false },
    },
  };
});
