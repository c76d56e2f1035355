import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CannedResponse } from '../common/canned-response';
import type { ListenSettings } from '../common/app-settings';
import type { CommandResult, EngineStatus, InspectorInit } from '../common/inspector-api';
import { IPC_INVOKE } from '../common/ipc-channels';
import { inspectorHandlers } from './inspector-service';
import { SettingsStore } from './settings-store';

const TEA: CannedResponse = { status: 418, reason: '', headers: [], body: 'tea', bodyEncoding: 'utf8' };

/** Records what the handlers ask of the engine; answers as told. */
function recordingEngine(answer: CommandResult = { ok: true }) {
  const calls: { setResponse: CannedResponse[]; setListen: ListenSettings[] } = { setResponse: [], setListen: [] };
  const status: EngineStatus = { state: 'listening', listen: { host: '127.0.0.1', port: 8080 }, url: 'http://127.0.0.1:8080/' };
  return {
    calls,
    engine: {
      status,
      setResponse: async (r: CannedResponse) => (calls.setResponse.push(r), answer),
      setListen: async (l: ListenSettings) => void calls.setListen.push(l),
    },
  };
}

function withStore(fn: (store: SettingsStore, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sockeye-service-'));
  const store = new SettingsStore(dir);
  store.load();
  return fn(store, dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('init reports the saved settings, the engine status, desktop mode and a start-up notice', () =>
  withStore(async (store) => {
    const { engine } = recordingEngine();
    const h = inspectorHandlers({ settings: store, engine, clipboard: { writeText: () => {} }, notice: 'settings were reset' });
    const reply = await h[IPC_INVOKE.init](undefined);
    assert.equal(reply.ok, true);
    const init = (reply.ok ? reply.value : null) as InspectorInit;
    assert.equal(init.mode, 'desktop');
    assert.deepEqual(init.listen, store.settings.listen);
    assert.equal(init.status.state, 'listening');
    assert.equal(init.notice, 'settings were reset');
    const quiet = await inspectorHandlers({ settings: store, engine, clipboard: { writeText: () => {} }, notice: null })[IPC_INVOKE.init](undefined);
    assert.equal('notice' in (quiet.ok ? (quiet.value as object) : {}), false);
  }));

test('setResponse validates, applies, then persists; a bad payload reaches neither the engine nor the disk', () =>
  withStore(async (store, dir) => {
    const { engine, calls } = recordingEngine();
    const h = inspectorHandlers({ settings: store, engine, clipboard: { writeText: () => {} }, notice: null });
    const bad = await h[IPC_INVOKE.setResponse]({ status: 200, headers: [['Bad Name', 'x']], evil: true });
    assert.equal(bad.ok, false);
    assert.deepEqual((bad.ok ? [] : bad.errors).map((e) => e.field).sort(), ['evil', 'headers[0].name']);
    assert.equal(calls.setResponse.length, 0);
    assert.deepEqual(await h[IPC_INVOKE.setResponse](TEA), { ok: true, value: undefined });
    assert.deepEqual(calls.setResponse, [TEA]);
    assert.deepEqual(new SettingsStore(dir).load().settings.response, TEA);
  }));

test('an engine refusal is passed on and nothing is saved', () =>
  withStore(async (store) => {
    const { engine } = recordingEngine({ ok: false, errors: [{ field: 'body', message: 'no' }] });
    const h = inspectorHandlers({ settings: store, engine, clipboard: { writeText: () => {} }, notice: null });
    const before = store.settings.response;
    assert.deepEqual(await h[IPC_INVOKE.setResponse](TEA), { ok: false, errors: [{ field: 'body', message: 'no' }] });
    assert.deepEqual(store.settings.response, before);
  }));

test('setListen validates, persists and restarts the engine; a save failure is reported after applying', () =>
  withStore(async (store, dir) => {
    const { engine, calls } = recordingEngine();
    const h = inspectorHandlers({ settings: store, engine, clipboard: { writeText: () => {} }, notice: null });
    const bad = await h[IPC_INVOKE.setListen]({ host: 'localhost', port: 80 });
    assert.equal(bad.ok, false);
    assert.equal(calls.setListen.length, 0);
    assert.deepEqual(await h[IPC_INVOKE.setListen]({ host: '0.0.0.0', port: 9000 }), { ok: true, value: undefined });
    assert.deepEqual(calls.setListen, [{ host: '0.0.0.0', port: 9000 }]);
    assert.deepEqual(new SettingsStore(dir).load().settings.listen, { host: '0.0.0.0', port: 9000 });

    writeFileSync(join(dir, 'blocker'), '');
    const unwritable = new SettingsStore(join(dir, 'blocker'));
    const h2 = inspectorHandlers({ settings: unwritable, engine, clipboard: { writeText: () => {} }, notice: null });
    const reply = await h2[IPC_INVOKE.setListen]({ host: '127.0.0.1', port: 9001 });
    assert.equal(reply.ok, false);
    assert.match(reply.ok ? '' : reply.errors[0]!.message, /^applied, but could not save/);
    assert.deepEqual(calls.setListen.at(-1), { host: '127.0.0.1', port: 9001 });
  }));

test('copyText puts only strings on the clipboard', () =>
  withStore(async (store) => {
    const copied: string[] = [];
    const h = inspectorHandlers({ settings: store, engine: recordingEngine().engine, clipboard: { writeText: (t) => void copied.push(t) }, notice: null });
    assert.equal((await h[IPC_INVOKE.copyText]({ toString: () => 'x' })).ok, false);
    assert.equal((await h[IPC_INVOKE.copyText](42)).ok, false);
    assert.deepEqual(await h[IPC_INVOKE.copyText]('curl http://127.0.0.1:8080/'), { ok: true, value: undefined });
    assert.deepEqual(copied, ['curl http://127.0.0.1:8080/']);
  }));
