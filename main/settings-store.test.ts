import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_APP_SETTINGS, parseSettingsFile } from '../common/app-settings';
import { SETTINGS_FILE_NAME, SettingsStore } from './settings-store';

const FIXED_NOW = new Date('2030-01-02T03:04:05.006Z');

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'sockeye-settings-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a missing file gives the defaults without a notice and writes nothing', () => {
  withDir((dir) => {
    const result = new SettingsStore(dir).load();
    assert.deepEqual(result, { settings: DEFAULT_APP_SETTINGS, notice: null });
    assert.deepEqual(readdirSync(dir), []);
  });
});

test('saved settings are restored by the next store, and no temporary file is left', () => {
  withDir((dir) => {
    const store = new SettingsStore(dir);
    store.load();
    const response = { status: 418, reason: '', headers: [['X-Tea', 'yes']] as [string, string][], body: 'tea', bodyEncoding: 'utf8' as const };
    assert.deepEqual(store.update({ listen: { host: '::1', port: 9090 } }), { ok: true });
    assert.deepEqual(store.update({ response }), { ok: true });
    const again = new SettingsStore(dir).load();
    assert.equal(again.notice, null);
    assert.deepEqual(again.settings.listen, { host: '::1', port: 9090 });
    assert.deepEqual(again.settings.response, response);
    assert.deepEqual(readdirSync(dir), [SETTINGS_FILE_NAME]);
  });
});

/** Each unusable file: the notice names the problem, the file is kept aside, the defaults replace it. */
const UNUSABLE: [name: string, content: string, reason: RegExp][] = [
  ['not JSON', '{"version": 1, "listen": ', /not valid JSON/],
  ['wrong version', JSON.stringify({ version: 99, listen: { host: '127.0.0.1', port: 80 } }), /unsupported settings version 99/],
  ['invalid fields', JSON.stringify({ version: 1, listen: { host: 'example.com', port: 0 }, response: { status: 42 } }), /listen\.host.*listen\.port.*response\.status/],
  ['not an object', '[1, 2, 3]', /must be a JSON object/],
  ['empty', '', /not valid JSON/],
];

for (const [name, content, reason] of UNUSABLE) {
  test(`a settings file that is ${name} is reported, moved aside and replaced by the defaults`, () => {
    withDir((dir) => {
      writeFileSync(join(dir, SETTINGS_FILE_NAME), content);
      const result = new SettingsStore(dir, () => FIXED_NOW).load();
      assert.deepEqual(result.settings, DEFAULT_APP_SETTINGS);
      assert.match(result.notice ?? '', reason);
      const aside = `${SETTINGS_FILE_NAME}.corrupt-2030-01-02T03-04-05-006Z`;
      assert.match(result.notice ?? '', new RegExp(aside.replace(/\./g, '\\.')));
      assert.deepEqual(readdirSync(dir).sort(), [SETTINGS_FILE_NAME, aside].sort());
      assert.equal(readFileSync(join(dir, aside), 'utf8'), content, 'the unusable file is kept byte for byte');
      const rewritten = parseSettingsFile(readFileSync(join(dir, SETTINGS_FILE_NAME), 'utf8'));
      assert.deepEqual(rewritten, { ok: true, settings: DEFAULT_APP_SETTINGS });
    });
  });
}

test('an unreadable settings path (a folder in its place) is reported and left alone', () => {
  withDir((dir) => {
    mkdirSync(join(dir, SETTINGS_FILE_NAME));
    const result = new SettingsStore(dir).load();
    assert.deepEqual(result.settings, DEFAULT_APP_SETTINGS);
    assert.match(result.notice ?? '', /Could not read the settings file .*EISDIR/);
    assert.deepEqual(readdirSync(dir), [SETTINGS_FILE_NAME]);
  });
});

test('an unwritable folder makes saving fail with a message, never a throw; the new values still apply in memory', () => {
  withDir((dir) => {
    // A file where a folder should be fails even for root (permissions would not).
    writeFileSync(join(dir, 'blocker'), 'x');
    const store = new SettingsStore(join(dir, 'blocker', 'sockeye'));
    assert.match(store.load().notice ?? '', /Could not read the settings file .*ENOTDIR/);
    const result = store.update({ listen: { host: '127.0.0.1', port: 8081 } });
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.message, /could not save settings .*ENOTDIR/);
    assert.deepEqual(store.settings.listen, { host: '127.0.0.1', port: 8081 });
  });
});
