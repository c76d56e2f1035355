#!/usr/bin/env node
// Builds every bundle with vite.config.ts: the renderer into dist/renderer,
// then the Electron entries (main, preload, engine utility process) into
// dist/electron/ with its `electron-*` modes, then checks that the sandboxed
// preload is one file whose only require is 'electron' (a sandboxed preload
// cannot load anything else).
'use strict';
// vite.config.ts is TypeScript with ESM syntax in a CommonJS package. Vite's
// default config loader ('bundle') handles that; Vite warns only because a
// future major may default to the 'native' loader. The file name is the one
// the project documents, so the warning is acknowledged here, not acted on.
process.env.VITE_CONFIG_NATIVE_IGNORE_WARNING = 'true';
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
  const configFile = join(ROOT, 'vite.config.ts');
  // The renderer config's root ('renderer') is relative to the working directory.
  process.chdir(ROOT);
  await build({ configFile, mode: 'production', logLevel: 'warn' });
  rmSync(OUT_DIR, { recursive: true, force: true });
  for (const mode of MODES) {
    await build({ root: ROOT, configFile, mode, logLevel: 'warn' });
  }
  const extra = requiresOf(join(OUT_DIR, 'preload.js')).filter((name) => !PRELOAD_ALLOWED_REQUIRES.has(name));
  if (extra.length > 0) {
    throw new Error(`dist/electron/preload.js requires ${extra.join(', ')}; a sandboxed preload may require only 'electron'`);
  }
}

main().catch((err) => {
  console.error(`build-bundles: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
