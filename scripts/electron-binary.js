// Where the Electron binary is, found WITHOUT loading the electron package:
// requiring it downloads the binary from GitHub when it is missing. Mirrors
// how node_modules/electron/index.js locates it (path.txt, dist/,
// ELECTRON_OVERRIDE_DIST_PATH). Used by scripts/start.js and the Electron e2e spec.
'use strict';
const { accessSync, constants, existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

/** Name of the executable inside an Electron dist folder on Linux, when path.txt does not say. */
const DEFAULT_EXECUTABLE = 'electron';

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * @param {{ root: string, env: NodeJS.ProcessEnv }} where
 * @returns {{ ok: true, path: string } | { ok: false, reason: string }}
 */
function findElectronBinary({ root, env }) {
  const pkgDir = join(root, 'node_modules', 'electron');
  if (!existsSync(join(pkgDir, 'package.json'))) return { ok: false, reason: 'the electron package is not installed (run `npm install`)' };
  const pathFile = join(pkgDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : '';
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const path = join(override, relative || DEFAULT_EXECUTABLE);
    if (isExecutable(path)) return { ok: true, path };
    return { ok: false, reason: `ELECTRON_OVERRIDE_DIST_PATH is set, but ${path} is not an executable file` };
  }
  if (!relative) return { ok: false, reason: 'node_modules/electron/path.txt is missing: the binary was never downloaded' };
  const path = join(pkgDir, 'dist', relative);
  if (isExecutable(path)) return { ok: true, path };
  return { ok: false, reason: `${path} is missing: the binary was never downloaded` };
}

module.exports = { findElectronBinary };
