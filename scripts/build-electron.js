#!/usr/bin/env node
// Builds the Electron entries (main, preload, engine utility process) into
// dist/electron/ with vite.config.mts's `electron-*` modes, then checks that
// the sandboxed preload is one file whose only require is 'electron' (a
// sandboxed preload cannot load anything else).
'use strict';
const { readFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const OUT_DIR = join(ROOT, 'dist', 'electron');
const MODES = ['electron-main', 'electron-preload', 'electron-engine'];
const PRELOAD_ALLOWED_REQUIRES = new Set(['electron']);

function requiresOf(file) {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(/\brequire\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((m) => m[1]);
}

async function main() {
  const { build } = await import('vite');
  rmSync(OUT_DIR, { recursive: true, force: true });
  for (const mode of MODES) {
    await build({ root: ROOT, configFile: join(ROOT, 'vite.config.mts'), mode, logLevel: 'warn' });
  }
  const extra = requiresOf(join(OUT_DIR, 'preload.js')).filter((name) => !PRELOAD_ALLOWED_REQUIRES.has(name));
  if (extra.length > 0) {
    throw new Error(`dist/electron/preload.js requires ${extra.join(', ')}; a sandboxed preload may require only 'electron'`);
  }
}

main().catch((err) => {
  console.error(`build-electron: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
