/**
 * scripts/start.js (`npm start`) in a fake project: it must find the Electron
 * binary without loading the electron package (which would download it) and
 * launch it with the app folder when it is there; where it is missing, say so
 * in one line and serve the inspector to the browser instead (the real
 * build/ and dist/renderer, linked into the fake project), opening it with
 * xdg-open when that is on PATH: with a one-time ticket, never the secret.
 * Signals are forwarded once per 500 ms (checked against a stand-in CLI).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..');
const RUN_TIMEOUT_MS = 20_000;
/** Longest wait for the browser-mode child to print its lines or exit. */
const WAIT_MS = 15_000;
const ONE_LINE_RE = /^sockeye: no Electron binary \(([^\n]+)\); opening the inspector in your browser instead\n/;

interface FakeProject {
  root: string;
  /** Written by the fake electron package's index.js if anything loads it. */
  loadedMarker: string;
}

function fakeProject(options: { pathTxt?: string; built?: boolean; withCli?: boolean; fakeCli?: string } = {}): FakeProject {
  const root = mkdtempSync(join(tmpdir(), 'sockeye-start-'));
  mkdirSync(join(root, 'scripts'));
  for (const f of ['start.js', 'electron-binary.js']) copyFileSync(join(REPO, 'scripts', f), join(root, 'scripts', f));
  const pkg = join(root, 'node_modules', 'electron');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'electron', version: '45.5.0', main: 'index.js' }));
  const loadedMarker = join(root, 'electron-package-was-loaded');
  // Loading the real package would start a download; this one leaves a mark instead.
  writeFileSync(join(pkg, 'index.js'), `require('fs').writeFileSync(${JSON.stringify(loadedMarker)}, 'yes'); process.exit(97);`);
  if (options.pathTxt !== undefined) writeFileSync(join(pkg, 'path.txt'), options.pathTxt);
  if (options.built !== false) {
    mkdirSync(join(root, 'dist', 'electron'), { recursive: true });
    writeFileSync(join(root, 'dist', 'electron', 'main.js'), '');
  }
  if (options.withCli) {
    // The real compiled CLI (Node resolves the link, so koffi and dist/renderer come from the repository).
    symlinkSync(join(REPO, 'build'), join(root, 'build'));
  } else if (options.fakeCli !== undefined) {
    mkdirSync(join(root, 'build', 'cli'), { recursive: true });
    writeFileSync(join(root, 'build', 'cli', 'main.js'), options.fakeCli);
  }
  return { root, loadedMarker };
}

function runStart(project: FakeProject, env: Record<string, string> = {}, args: string[] = []) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ELECTRON_')));
  return spawnSync(process.execPath, [join(project.root, 'scripts', 'start.js'), ...args], {
    env: { ...clean, ...env },
    encoding: 'utf8',
    timeout: RUN_TIMEOUT_MS,
  });
}

const running = new Set<ChildProcess>();
after(() => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

interface BrowserModeRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForStdout(re: RegExp): Promise<RegExpMatchArray>;
}

/** start.js as `npm start -- args` would run it, with output collected. */
function spawnStart(project: FakeProject, env: Record<string, string>, args: string[]): BrowserModeRun {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ELECTRON_') && k !== 'SOCKEYE_NO_OPEN'));
  const child = spawn(process.execPath, [join(project.root, 'scripts', 'start.js'), ...args], {
    env: { ...clean, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitForStdout(re) {
      const deadline = Date.now() + WAIT_MS;
      for (;;) {
        const m = out.match(re);
        if (m) return m;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`no ${re} in stdout: ${JSON.stringify(out)}; stderr: ${JSON.stringify(err)}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

/** Send one request to 127.0.0.1:port and return the answer's first line. */
function firstLine(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    socket.setTimeout(WAIT_MS, () => socket.destroy(new Error('no answer')));
    socket.on('connect', () => socket.write(request));
    socket.on('data', (d) => { data += d.toString('latin1'); });
    socket.on('error', reject);
    socket.on('close', () => resolve(data.split('\r\n')[0] ?? ''));
  });
}

/** True when nothing listens on 127.0.0.1:port any more. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('connect', () => { socket.destroy(); resolve(false); });
    socket.on('error', () => resolve(true));
  });
}

/**
 * npm start where the Electron binary is missing: one line saying so (with
 * `reason`), then serve --ui's two lines, a capture port that answers and an
 * inspector that hands out its cookie; SIGTERM by PID stops it with status 0
 * and closes both ports. Returns the run for further checks.
 */
async function assertServesBrowserMode(
  project: FakeProject, env: Record<string, string>, reason: RegExp,
  whileRunning: (uiPort: number, secret: string) => Promise<void> = async () => {},
): Promise<BrowserModeRun & { url: string }> {
  const run = spawnStart(project, env, ['--port', '0', '--ui-port', '0']);
  try {
    const listening = await run.waitForStdout(/^listening on http:\/\/127\.0\.0\.1:(\d+)\n/m);
    const inspector = await run.waitForStdout(/^inspector on (http:\/\/127\.0\.0\.1:(\d+)\/\?secret=[0-9a-f]{64})\n/m);
    const stderrLine = ONE_LINE_RE.exec(run.stderr());
    assert.ok(stderrLine, `one line saying there is no Electron binary: ${JSON.stringify(run.stderr())}`);
    assert.match(stderrLine[1]!, reason);
    assert.equal(run.stderr(), stderrLine[0], 'nothing else on stderr');
    assert.equal(existsSync(project.loadedMarker), false, 'the electron package was not loaded (it would download)');
    assert.deepEqual(readdirSync(join(project.root, 'node_modules', 'electron')).filter((f) => f === 'dist'), [], 'nothing was downloaded');

    const capturePort = Number(listening[1]);
    const uiPort = Number(inspector[2]);
    const url = new URL(inspector[1]!);
    assert.equal(await firstLine(capturePort, 'GET /from-npm-start HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'), 'HTTP/1.1 200 OK');
    assert.equal(await firstLine(uiPort, `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: 127.0.0.1:${uiPort}\r\nConnection: close\r\n\r\n`), 'HTTP/1.1 303 See Other');
    await run.waitForStdout(/\/from-npm-start\n/);
    await whileRunning(uiPort, url.searchParams.get('secret')!);

    run.child.kill('SIGTERM');
    const exit = await Promise.race([run.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('did not exit after SIGTERM')), WAIT_MS))]);
    assert.deepEqual(exit, { code: 0, signal: null }, run.stderr());
    assert.equal(await refused(capturePort), true, 'the capture port is closed');
    assert.equal(await refused(uiPort), true, 'the inspector port is closed');
    return Object.assign(run, { url: inspector[1]! });
  } finally {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
  }
}

/** Run `body` on a new fake project (fakeProject's options), and remove the project however `body` ends. */
async function withProject(options: Parameters<typeof fakeProject>[0], body: (project: FakeProject) => void | Promise<void>): Promise<void> {
  const project = fakeProject(options);
  try {
    await body(project);
  } finally {
    rmSync(project.root, { recursive: true, force: true });
  }
}

/** Run `body` on a started run, and SIGKILL the child if it is still running after `body`, however that ends. */
async function withRun(run: BrowserModeRun, body: (run: BrowserModeRun) => Promise<void>): Promise<void> {
  try {
    await body(run);
  } finally {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
  }
}

/** SIGTERM by PID: the run exits with status 0. */
async function assertStopsOnSigterm(run: BrowserModeRun): Promise<void> {
  run.child.kill('SIGTERM');
  assert.deepEqual(await run.exited, { code: 0, signal: null });
}

/**
 * A stand-in xdg-open in its own folder that records the URL it was given
 * (`record`) and whether it inherited an open ticket (`envRecord`: the
 * variable's value or `unset`).
 */
function fakeOpener(project: FakeProject): { dir: string; record: string; envRecord: string } {
  const dir = join(project.root, 'fake-bin');
  mkdirSync(dir, { recursive: true });
  const record = join(dir, 'opened.txt');
  const envRecord = join(dir, 'opened-env.txt');
  writeFileSync(join(dir, 'xdg-open'), `#!/bin/sh\nprintf '%s' "\${SOCKEYE_UI_OPEN_TICKET-unset}" > ${JSON.stringify(envRecord)}\n` +
    `printf '%s\\n' "$@" >> ${JSON.stringify(record)}\n`);
  chmodSync(join(dir, 'xdg-open'), 0o755);
  return { dir, record, envRecord };
}

async function waitForFile(path: string): Promise<string> {
  const deadline = Date.now() + WAIT_MS;
  while (!existsSync(path) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  // The stand-in writes its two files one after the other: give the second a moment.
  await new Promise((r) => setTimeout(r, 50));
  return readFileSync(path, 'utf8');
}

const TICKET_URL_RE = /^http:\/\/127\.0\.0\.1:(\d+)\/\?ticket=([0-9a-f]{64})\n$/;

test('npm start without a downloaded binary says so in one line and serves the inspector to the browser', { timeout: 60_000 }, async () => {
  await withProject({ withCli: true }, async (project) => {
    const opener = fakeOpener(project);
    await assertServesBrowserMode(project, { SOCKEYE_NO_OPEN: '1', PATH: opener.dir }, /path\.txt is missing/);
    assert.equal(existsSync(opener.record), false, 'SOCKEYE_NO_OPEN: xdg-open was not run');
  });
});

test('npm start without Electron opens the inspector with xdg-open from PATH, with a one-time ticket instead of the secret', { timeout: 60_000 }, async () => {
  await withProject({ withCli: true, pathTxt: 'electron' }, async (project) => {
    const opener = fakeOpener(project);
    let opened = '';
    const run = await assertServesBrowserMode(project, { PATH: opener.dir }, /node_modules\/electron\/dist\/electron is missing/, async (uiPort, secret) => {
      opened = await waitForFile(opener.record);
      const m = TICKET_URL_RE.exec(opened);
      assert.ok(m, `xdg-open got the ticket URL: ${JSON.stringify(opened)}`);
      assert.equal(Number(m[1]), uiPort);
      assert.ok(!opened.includes(secret), 'the secret is not on xdg-open\'s command line');
      assert.equal(readFileSync(opener.envRecord, 'utf8'), 'unset', 'xdg-open does not inherit the ticket');
      const get = (target: string): Promise<string> =>
        firstLine(uiPort, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${uiPort}\r\nConnection: close\r\n\r\n`);
      assert.equal(await get(`/?ticket=${m[2]}`), 'HTTP/1.1 303 See Other', 'the ticket is good once');
      assert.equal(await get(`/?ticket=${m[2]}`), 'HTTP/1.1 401 Unauthorized', 'and only once');
    });
    assert.ok(!run.stdout().includes(TICKET_URL_RE.exec(opened)![2]!), 'the ticket is not printed');
  });
});

/**
 * A stand-in for build/cli/main.js: prints serve --ui's two lines and the
 * open ticket it was given (or `none`), `got SIGINT` for every SIGINT, and
 * exits 0 on SIGTERM, or when start.js is gone (it is detached: a failed test
 * must not leave it running, holding the test's stderr pipe open).
 */
const FAKE_CLI = `
process.stdout.write('listening on http://127.0.0.1:1\\ninspector on http://127.0.0.1:2/?secret=' + 'a'.repeat(64) + '\\n');
process.stdout.write('ticket ' + (process.env.SOCKEYE_UI_OPEN_TICKET || 'none') + '\\n');
process.on('SIGINT', () => process.stdout.write('got SIGINT\\n'));
process.on('SIGTERM', () => process.exit(0));
const parent = process.ppid;
setInterval(() => { if (process.ppid !== parent) process.exit(0); }, 100);
`;

const count = (text: string, what: string): number => text.split(what).length - 1;

test('npm start in browser mode forwards a signal once per 500 ms: a doubled Ctrl-C is one, a later one is forwarded', { timeout: 60_000 }, async () => {
  await withProject({ fakeCli: FAKE_CLI }, async (project) => {
    await withRun(spawnStart(project, { SOCKEYE_NO_OPEN: '1' }, []), async (run) => {
      await run.waitForStdout(/^ticket none\n/m);
      // One Ctrl-C as npm start sees it: from the terminal and, a moment later, from npm.
      run.child.kill('SIGINT');
      await new Promise((r) => setTimeout(r, 100));
      run.child.kill('SIGINT');
      await run.waitForStdout(/got SIGINT\n/);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(count(run.stdout(), 'got SIGINT'), 1, 'forwarded once');
      // Past the window: the user pressing Ctrl-C again.
      await new Promise((r) => setTimeout(r, 300));
      run.child.kill('SIGINT');
      await run.waitForStdout(/got SIGINT\n[^]*got SIGINT\n/);
      assert.equal(count(run.stdout(), 'got SIGINT'), 2);
      await assertStopsOnSigterm(run);
    });
  });
});

test('npm start gives serve an open ticket in its environment only when it opens a browser, and opens exactly that ticket', { timeout: 60_000 }, async () => {
  await withProject({ fakeCli: FAKE_CLI }, async (project) => {
    const opener = fakeOpener(project);
    await withRun(spawnStart(project, { PATH: opener.dir, SOCKEYE_UI_OPEN_TICKET: 'from-the-users-shell' }, []), async (run) => {
      const [, ticket] = await run.waitForStdout(/^ticket (\S+)\n/m);
      assert.match(ticket!, /^[0-9a-f]{64}$/);
      assert.equal(await waitForFile(opener.record), `http://127.0.0.1:2/?ticket=${ticket}\n`);
      await assertStopsOnSigterm(run);
    });

    // No browser to open (SOCKEYE_NO_OPEN): no ticket, not even one inherited from the caller.
    await withRun(spawnStart(project, { PATH: opener.dir, SOCKEYE_NO_OPEN: '1', SOCKEYE_UI_OPEN_TICKET: 'e'.repeat(64) }, []), async (quiet) => {
      await quiet.waitForStdout(/^ticket none\n/m);
      await assertStopsOnSigterm(quiet);
    });
  });
});

test('npm start with a wrong ELECTRON_OVERRIDE_DIST_PATH names the path it tried, and serves the browser inspector', { timeout: 60_000 }, async () => {
  await withProject({ withCli: true }, async (project) => {
    // No xdg-open on PATH at all: the URL is printed and nothing else happens.
    await assertServesBrowserMode(project, { ELECTRON_OVERRIDE_DIST_PATH: join(project.root, 'nowhere'), PATH: join(project.root, 'empty') },
      /ELECTRON_OVERRIDE_DIST_PATH is set, but .*nowhere\/electron is not an executable/);
  });
});

test('npm start without Electron and without a built CLI says to build', async () => {
  await withProject({}, (project) => {
    const result = runStart(project);
    assert.equal(result.status, 4, result.stderr);
    assert.match(result.stderr, ONE_LINE_RE);
    assert.match(result.stderr, /build\/cli\/main\.js is missing; run `npm run build` first/);
    assert.equal(result.stdout, '');
    assert.equal(existsSync(project.loadedMarker), false);
  });
});

/** An executable standing in for Electron: records its arguments and environment, exits with a chosen code. */
function stubElectron(dir: string, exitCode: number): string {
  mkdirSync(dir, { recursive: true });
  const bin = join(dir, 'electron');
  writeFileSync(bin, `#!/bin/sh\nprintf '%s\\n' "$@" > "$0.args"\nprintf '%s' "\${ELECTRON_RUN_AS_NODE-unset}" > "$0.env"\nexit ${exitCode}\n`);
  chmodSync(bin, 0o755);
  return bin;
}

test('npm start launches the binary from ELECTRON_OVERRIDE_DIST_PATH with the app folder and passes its exit status on', async () => {
  await withProject({}, (project) => {
    const bin = stubElectron(join(project.root, 'electron-dist'), 0);
    const result = runStart(project, { ELECTRON_OVERRIDE_DIST_PATH: join(project.root, 'electron-dist'), ELECTRON_RUN_AS_NODE: '1' }, ['--flag']);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(readFileSync(`${bin}.args`, 'utf8').trim().split('\n'), [project.root, '--flag']);
    assert.equal(readFileSync(`${bin}.env`, 'utf8'), 'unset', 'ELECTRON_RUN_AS_NODE is not passed on');
    assert.equal(existsSync(project.loadedMarker), false);

    stubElectron(join(project.root, 'electron-dist'), 5);
    assert.equal(runStart(project, { ELECTRON_OVERRIDE_DIST_PATH: join(project.root, 'electron-dist') }).status, 5);
  });
});

test('npm start finds the binary where the electron package puts it (dist/ + path.txt)', async () => {
  await withProject({ pathTxt: 'electron' }, (project) => {
    const bin = stubElectron(join(project.root, 'node_modules', 'electron', 'dist'), 0);
    const result = runStart(project);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(readFileSync(`${bin}.args`, 'utf8').trim(), project.root);
  });
});

test('npm start with the binary but no built app says to build', async () => {
  await withProject({ built: false }, (project) => {
    stubElectron(join(project.root, 'electron-dist'), 0);
    const result = runStart(project, { ELECTRON_OVERRIDE_DIST_PATH: join(project.root, 'electron-dist') });
    assert.equal(result.status, 4);
    assert.match(result.stderr, /run `npm run build` first/);
  });
});
