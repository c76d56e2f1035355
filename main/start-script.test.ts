/**
 * scripts/start.js (`npm start`) in a fake project: it must find the Electron
 * binary without loading the electron package (which would download it),
 * explain what to do when the binary is missing, and launch it with the app
 * folder when it is there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..');
const RUN_TIMEOUT_MS = 20_000;

interface FakeProject {
  root: string;
  /** Written by the fake electron package's index.js if anything loads it. */
  loadedMarker: string;
}

function fakeProject(options: { pathTxt?: string; built?: boolean } = {}): FakeProject {
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

function assertExplainsMissingBinary(result: ReturnType<typeof runStart>, project: FakeProject, reason: RegExp): void {
  assert.equal(result.status, 3, result.stderr);
  assert.match(result.stderr, /the Electron binary is not installed/);
  assert.match(result.stderr, reason);
  assert.match(result.stderr, /node node_modules\/electron\/install\.js/);
  assert.match(result.stderr, /npm install-scripts approve electron/);
  assert.match(result.stderr, /ELECTRON_OVERRIDE_DIST_PATH=/);
  assert.match(result.stderr, /npx sockeye serve/);
  assert.equal(existsSync(project.loadedMarker), false, 'the electron package was not loaded (it would download)');
  assert.deepEqual(readdirSync(join(project.root, 'node_modules', 'electron')).filter((f) => f === 'dist'), [], 'nothing was downloaded');
}

test('npm start without a downloaded binary explains why, how to get it and how to run headless, and fails', () => {
  const project = fakeProject();
  try {
    assertExplainsMissingBinary(runStart(project), project, /path\.txt is missing/);
  } finally {
    rmSync(project.root, { recursive: true, force: true });
  }
});

test('npm start with path.txt but no binary in dist/ fails the same way', () => {
  const project = fakeProject({ pathTxt: 'electron' });
  try {
    assertExplainsMissingBinary(runStart(project), project, /node_modules\/electron\/dist\/electron is missing/);
  } finally {
    rmSync(project.root, { recursive: true, force: true });
  }
});

test('npm start with a wrong ELECTRON_OVERRIDE_DIST_PATH names the path it tried', () => {
  const project = fakeProject();
  try {
    const result = runStart(project, { ELECTRON_OVERRIDE_DIST_PATH: join(project.root, 'nowhere') });
    assertExplainsMissingBinary(result, project, /ELECTRON_OVERRIDE_DIST_PATH is set, but .*nowhere\/electron is not an executable/);
  } finally {
    rmSync(project.root, { recursive: true, force: true });
  }
});

/** An executable standing in for Electron: records its arguments and environment, exits with a chosen code. */
function stubElectron(dir: string, exitCode: number): string {
  mkdirSync(dir, { recursive: true });
  const bin = join(dir, 'electron');
  writeFileSync(bin, `#!/bin/sh\nprintf '%s\\n' "$@" > "$0.args"\nprintf '%s' "\${ELECTRON_RUN_AS_NODE-unset}" > "$0.env"\nexit ${exitCode}\n`);
  chmodSync(bin, 0o755);
  return bin;
}

test('npm start launches the binary from ELECTRON_OVERRIDE_DIST_PATH with the app folder and passes its exit status on', () => {
  const project = fakeProject();
  try {
    const bin = stubElectron(join(project.root, 'electron-dist'), 0);
    const result = runStart(project, { ELECTRON_OVERRIDE_DIST_PATH: join(project.root, 'electron-dist'), ELECTRON_RUN_AS_NODE: '1' }, ['--flag']);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(readFileSync(`${bin}.args`, 'utf8').trim().split('\n'), [project.root, '--flag']);
    assert.equal(readFileSync(`${bin}.env`, 'utf8'), 'unset', 'ELECTRON_RUN_AS_NODE is not passed on');
    assert.equal(existsSync(project.loadedMarker), false);

    stubElectron(join(project.root, 'electron-dist'), 5);
    assert.equal(runStart(project, { ELECTRON_OVERRIDE_DIST_PATH: join(project.root, 'electron-dist') }).status, 5);
  } finally {
    rmSync(project.root, { recursive: true, force: true });
  }
});

test('npm start finds the binary where the electron package puts it (dist/ + path.txt)', () => {
  const project = fakeProject({ pathTxt: 'electron' });
  try {
    const bin = stubElectron(join(project.root, 'node_modules', 'electron', 'dist'), 0);
    const result = runStart(project);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(readFileSync(`${bin}.args`, 'utf8').trim(), project.root);
  } finally {
    rmSync(project.root, { recursive: true, force: true });
  }
});

test('npm start with the binary but no built app says to build', () => {
  const project = fakeProject({ built: false });
  try {
    stubElectron(join(project.root, 'electron-dist'), 0);
    const result = runStart(project, { ELECTRON_OVERRIDE_DIST_PATH: join(project.root, 'electron-dist') });
    assert.equal(result.status, 4);
    assert.match(result.stderr, /run `npm run build` first/);
  } finally {
    rmSync(project.root, { recursive: true, force: true });
  }
});
