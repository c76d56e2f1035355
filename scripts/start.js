#!/usr/bin/env node
// `npm start` (after `npm run build`): launches the desktop app with the
// Electron binary from node_modules/electron. When the binary is missing it
// says so, how to get it and how to run the headless CLI meanwhile, and exits
// non-zero; it never triggers a download.
'use strict';
const { spawn } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { findElectronBinary, missingBinaryMessage } = require('./electron-binary');

const ROOT = join(__dirname, '..');
const MAIN_BUNDLE = join(ROOT, 'dist', 'electron', 'main.js');
/** Exit statuses: the binary is missing; the app is not built. */
const EXIT_NO_ELECTRON = 3;
const EXIT_NOT_BUILT = 4;
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

const found = findElectronBinary({ root: ROOT, env: process.env });
if (!found.ok) {
  process.stderr.write(missingBinaryMessage(found.reason));
  process.exit(EXIT_NO_ELECTRON);
}
if (!existsSync(MAIN_BUNDLE)) {
  process.stderr.write(`sockeye: ${MAIN_BUNDLE} is missing; run \`npm run build\` first (npm start does).\n`);
  process.exit(EXIT_NOT_BUILT);
}
if (typeof process.getuid === 'function' && process.getuid() === 0 && !process.argv.includes('--no-sandbox')) {
  process.stderr.write('sockeye: running as root; Chromium refuses to start as root with its sandbox on. Run as a normal user.\n');
}

// ELECTRON_RUN_AS_NODE would turn the binary into plain Node and ignore the app.
const env = { ...process.env };
delete env.ELECTRON_RUN_AS_NODE;
// The app folder: Electron reads package.json "main" (dist/electron/main.js) and names the profile after it.
const child = spawn(found.path, [ROOT, ...process.argv.slice(2)], { stdio: 'inherit', env });
for (const signal of FORWARDED_SIGNALS) process.on(signal, () => child.kill(signal));
child.on('error', (err) => {
  process.stderr.write(`sockeye: could not start ${found.path}: ${err.message}\n`);
  process.exit(1);
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
