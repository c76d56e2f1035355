/**
 * Packaging, offline: electron-builder's `dir` target with a stub Electron
 * made here (the real binary cannot be downloaded on this machine; only its
 * layout matters to electron-builder: an `electron` executable and
 * resources/). Then: the asar holds every bundle, the renderer and
 * package.json; koffi's native module is unpacked for this architecture; and
 * the engine bundle, run from the packaged files under Node, answers a real
 * HTTP request and delivers its record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeRecordBatch, isRecordBatch } from '../common/record-batch';
import type { EngineEvent } from '../common/wire-messages';

const REPO = join(__dirname, '..', '..');
/** electron-builder takes a few seconds here; the bound is for a stuck run. */
const BUILDER_TIMEOUT_MS = 180_000;
const ENGINE_WAIT_MS = 10_000;
const BUILT_FILES = ['dist/electron/main.js', 'dist/electron/preload.js', 'dist/electron/engine.js', 'dist/electron/readiness-worker.js', 'dist/renderer/index.html'];
const KOFFI_PLATFORM_PACKAGE = `@koromix/koffi-${process.platform}-${process.arch}`;

interface Asar {
  listPackage(archive: string, options: { isPack: boolean }): string[];
  extractAll(archive: string, dest: string): void;
}
const asar = createRequire(__filename)('@electron/asar') as Asar;

/** The smallest Electron dist electron-builder accepts for linux `dir`: an executable and resources/. */
function stubElectronDist(dir: string): void {
  mkdirSync(join(dir, 'resources'), { recursive: true });
  writeFileSync(join(dir, 'electron'), '#!/bin/sh\necho "stub Electron for packaging tests" >&2\nexit 1\n');
  chmodSync(join(dir, 'electron'), 0o755);
  writeFileSync(join(dir, 'version'), `${(JSON.parse(readFileSync(join(REPO, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version}\n`);
}

test('electron-builder packages the app: bundles in the asar, koffi unpacked, and the packaged engine serves requests', async (t) => {
  const missing = BUILT_FILES.filter((f) => !existsSync(join(REPO, f)));
  assert.deepEqual(missing, [], 'the app is built first (npm run build)');

  const work = mkdtempSync(join(tmpdir(), 'sockeye-package-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const stub = join(work, 'electron-dist');
  const out = join(work, 'release');
  stubElectronDist(stub);

  const built = spawnSync(
    process.execPath,
    [join(REPO, 'node_modules', 'electron-builder', 'cli.js'), '--linux', 'dir', '--projectDir', REPO, `-c.electronDist=${stub}`, `-c.directories.output=${out}`],
    { cwd: REPO, encoding: 'utf8', timeout: BUILDER_TIMEOUT_MS, env: { ...process.env, ELECTRON_BUILDER_CACHE: join(work, 'cache') } },
  );
  assert.equal(built.status, 0, `electron-builder failed:\n${built.stdout}\n${built.stderr}`);

  const resources = join(out, 'linux-unpacked', 'resources');
  const archive = join(resources, 'app.asar');
  assert.ok(existsSync(join(out, 'linux-unpacked', 'sockeye')), 'the executable is renamed to sockeye');
  const listed = new Set(asar.listPackage(archive, { isPack: false }).map((p) => p.replace(/\\/g, '/')));
  for (const f of ['/package.json', ...BUILT_FILES.map((f) => `/${f}`), '/node_modules/koffi/package.json']) {
    assert.ok(listed.has(f), `${f} is in the asar`);
  }
  assert.ok(![...listed].some((p) => p.startsWith('/node_modules/react')), 'react is bundled, not shipped as a module');
  assert.ok(![...listed].some((p) => p.endsWith('.map')), 'no source maps');
  assert.ok(![...listed].some((p) => /^\/(main|preload|server|common|renderer|build)\//.test(p)), 'no sources or tsc output');

  const unpackedNative = join(resources, 'app.asar.unpacked', 'node_modules', ...KOFFI_PLATFORM_PACKAGE.split('/'));
  assert.ok(existsSync(join(unpackedNative, 'index.js')), `${KOFFI_PLATFORM_PACKAGE} is unpacked`);
  // glibc build; koffi's index.js picks it by libc (linux_<arch>) next to itself.
  assert.ok(existsSync(join(unpackedNative, `${process.platform}_${process.arch}`, 'koffi.node')), `koffi.node for ${process.arch} is unpacked`);

  // Run the packaged engine under Node: the asar's files plus the unpacked ones, as Electron would see them.
  const app = join(work, 'app');
  asar.extractAll(archive, app);
  cpSync(join(resources, 'app.asar.unpacked'), app, { recursive: true, force: true });
  assert.equal((JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { main: string }).main, 'dist/electron/main.js');

  const engine = fork(join(app, 'dist', 'electron', 'engine.js'), [], { cwd: app, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  t.after(() => {
    if (engine.exitCode === null && engine.signalCode === null) engine.kill('SIGKILL');
  });
  const events: EngineEvent[] = [];
  engine.on('message', (m: EngineEvent) => events.push(m));
  const exited = new Promise<number | null>((resolve) => engine.on('exit', (code) => resolve(code)));
  const next = async (type: EngineEvent['type']): Promise<EngineEvent> => {
    const deadline = Date.now() + ENGINE_WAIT_MS;
    for (;;) {
      const found = events.find((e) => e.type === type);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`packaged engine sent no ${type}; got ${JSON.stringify(events.map((e) => e.type))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  engine.send({ type: 'start', listen: { host: '127.0.0.1', port: 0 }, response: { status: 203, reason: '', headers: [['X-Packaged', 'yes']], body: 'from the package', bodyEncoding: 'utf8' } });
  const listening = await next('listening');
  const port = listening.type === 'listening' ? listening.listeners[0]!.port : 0;
  const res = await fetch(`http://127.0.0.1:${port}/packaged?x=1`, { method: 'PUT', body: 'payload' });
  assert.equal(res.status, 203);
  assert.equal(res.headers.get('x-packaged'), 'yes');
  assert.equal(await res.text(), 'from the package');

  const records = await next('records');
  assert.ok(records.type === 'records' && isRecordBatch(records.batch));
  const [record] = decodeRecordBatch(records.batch);
  assert.equal(record?.method, 'PUT');
  assert.equal(record?.target, '/packaged?x=1');
  assert.equal(Buffer.from(record!.body).toString(), 'payload');

  engine.send({ type: 'stop' });
  await next('stopped');
  assert.equal(await exited, 0);
});
