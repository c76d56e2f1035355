#!/usr/bin/env node
// `npm start` (after `npm run build`): launches the desktop app with the
// Electron binary from node_modules/electron. It never triggers a download.
//
// Where that binary is missing it says so in ONE line on stderr and runs the
// browser inspector instead: `node build/cli/main.js serve --ui` with this
// script's arguments (`npm start -- --port 0 --ui-port 0`), its output passed
// through, signals forwarded (each at most once per SIGNAL_DEDUP_MS), and the
// inspector opened with xdg-open when that is on PATH (not when
// SOCKEYE_NO_OPEN is set). Exits with the child's status.
//
// The URL given to xdg-open is not the printed one: xdg-open's command line
// (and often the browser's) is readable by every local user (`ps`,
// /proc/PID/cmdline), so it must not carry the secret. Instead this script
// makes a random one-time ticket, gives it to serve in its environment
// (SOCKEYE_UI_OPEN_TICKET; a process's environment is readable only by its
// owner) and opens `http://127.0.0.1:PORT/?ticket=T`: serve trades it once,
// within 60 s of its start, for the secret's cookie (cli/ui/access.ts).
// Residual race: a local user polling `ps` while xdg-open runs could read the
// ticket and use it before the browser does; the browser then gets 401, and
// the URL printed on stdout (the user's own terminal) still works.
'use strict';
const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { accessSync, constants, existsSync } = require('node:fs');
const { delimiter, join } = require('node:path');
const { constants: osConstants } = require('node:os');
const { findElectronBinary } = require('./electron-binary');

const ROOT = join(__dirname, '..');
const MAIN_BUNDLE = join(ROOT, 'dist', 'electron', 'main.js');
const CLI = join(ROOT, 'build', 'cli', 'main.js');
/** Exit status when the app (or, without Electron, the CLI) is not built. */
const EXIT_NOT_BUILT = 4;
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/**
 * A signal that arrives again within this many ms of the last one forwarded is
 * not forwarded: one Ctrl-C can reach this script twice (from the terminal and
 * from npm, which forwards it too), and a second SIGINT makes serve exit at
 * once, without its last records. A later one (the user pressing Ctrl-C
 * again) is forwarded.
 */
const SIGNAL_DEDUP_MS = 500;
/** The environment variable serve --ui takes its open ticket from (cli/ui/serve-ui.ts OPEN_TICKET_ENV). */
const OPEN_TICKET_ENV = 'SOCKEYE_UI_OPEN_TICKET';
/** The query parameter serve --ui takes it in (cli/ui/access.ts TICKET_QUERY_PARAM). */
const TICKET_QUERY_PARAM = 'ticket';
/** The line `sockeye serve --ui` prints with the inspector's URL (cli/serve.ts output contract). */
const INSPECTOR_LINE = /^inspector on (http:\/\/\S+)\n/m;
/** The system's "open this URL in the user's browser" command (freedesktop xdg-utils). */
const OPENER = 'xdg-open';

/** `name` as an executable file in one of PATH's folders, or null; no shell involved. */
function findOnPath(name, env) {
  for (const dir of (env.PATH || '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** A child's end as an exit status: its code, or 128 + the signal's number as a shell reports it. */
function exitStatus(code, signal) {
  if (code !== null) return code;
  return 128 + (osConstants.signals[signal] || 0);
}

/** Forward FORWARDED_SIGNALS to `child`, each at most once per SIGNAL_DEDUP_MS. */
function forwardSignals(child) {
  const last = new Map();
  for (const signal of FORWARDED_SIGNALS) {
    process.on(signal, () => {
      const now = Date.now();
      const previous = last.get(signal);
      if (previous !== undefined && now - previous < SIGNAL_DEDUP_MS) return;
      last.set(signal, now);
      child.kill(signal);
    });
  }
}

/** Where serve's inspector is (from the printed URL), with the open ticket instead of the secret. */
function ticketUrl(printed, ticket) {
  const url = new URL(printed);
  url.search = `?${TICKET_QUERY_PARAM}=${ticket}`;
  return url.href;
}

/** Open `url` with `opener` (xdg-open), detached; a failure is one line on stderr and nothing else. */
function openInBrowser(opener, url) {
  const fail = (why) => process.stderr.write(`sockeye: could not open a browser (${OPENER} ${why}); open the URL above yourself\n`);
  const child = spawn(opener, [url], { detached: true, stdio: 'ignore' });
  child.on('error', (err) => fail(err.code || err.message));
  child.on('exit', (code, signal) => {
    if (code !== 0) fail(code === null ? `was killed by ${signal}` : `exited with ${code}`);
  });
  child.unref();
}

/** No Electron: serve the inspector to the browser instead. */
function startBrowserMode(reason) {
  process.stderr.write(`sockeye: no Electron binary (${reason}); opening the inspector in your browser instead\n`);
  if (!existsSync(CLI)) {
    process.stderr.write(`sockeye: ${CLI} is missing; run \`npm run build\` first (npm start does).\n`);
    process.exit(EXIT_NOT_BUILT);
  }
  const opener = process.env.SOCKEYE_NO_OPEN ? null : findOnPath(OPENER, process.env);
  const env = { ...process.env };
  delete env[OPEN_TICKET_ENV];
  // A ticket only when a browser is to be opened with it: 32 random bytes, as the secret.
  const ticket = opener ? randomBytes(32).toString('hex') : null;
  if (ticket) env[OPEN_TICKET_ENV] = ticket;
  // Its own process group: a Ctrl-C in the terminal reaches only this script (and npm, which forwards it
  // here too), which forwards it once (a second SIGINT would make serve exit at once instead of printing
  // its last records).
  const child = spawn(process.execPath, [CLI, 'serve', '--ui', ...process.argv.slice(2)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
    env,
  });
  forwardSignals(child);
  // If this script dies, serve's stdout pipe breaks and serve stops at its next write (EPIPE).
  let pending = '';
  let opened = false;
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    if (opened) return;
    pending += chunk.toString('utf8');
    const m = INSPECTOR_LINE.exec(pending);
    if (m) {
      opened = true;
      pending = '';
      if (opener && ticket) openInBrowser(opener, ticketUrl(m[1], ticket));
    } else if (pending.length > 64 * 1024) {
      pending = pending.slice(-4096);
    }
  });
  child.on('error', (err) => {
    process.stderr.write(`sockeye: could not start ${CLI}: ${err.message}\n`);
    process.exit(1);
  });
  // 'close': after the child's stdout is drained, so nothing it printed is lost.
  child.on('close', (code, signal) => process.exit(exitStatus(code, signal)));
}

function startDesktop(path) {
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
  const child = spawn(path, [ROOT, ...process.argv.slice(2)], { stdio: 'inherit', env });
  for (const signal of FORWARDED_SIGNALS) process.on(signal, () => child.kill(signal));
  child.on('error', (err) => {
    process.stderr.write(`sockeye: could not start ${path}: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

const found = findElectronBinary({ root: ROOT, env: process.env });
if (found.ok) startDesktop(found.path);
else startBrowserMode(found.reason);
