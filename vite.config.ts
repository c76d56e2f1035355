// Builds the renderer (the React app) into dist/renderer. The Electron entries
// (main, preload, engine utility process) are built by the same config with
// `--mode electron-*`; see the ELECTRON_ENTRIES table below.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig(() => ({
  root: 'renderer',
  // Loaded from file:// in Electron and from any path in a browser: relative asset URLs.
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    sourcemap: true,
    // No inline scripts or eval: the CSP is script-src 'self'.
    modulePreload: { polyfill: false },
  },
}));
