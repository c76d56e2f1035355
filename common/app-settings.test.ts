import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type AppSettings, DEFAULT_APP_SETTINGS, MAX_SETTINGS_FILE_BYTES, parseSettingsFile, serializeSettings, SETTINGS_VERSION, validateListen,
} from './app-settings';
import { formatFieldErrors } from './canned-response';

const listenCases: { name: string; input: unknown; ok: boolean; field?: string; message?: RegExp }[] = [
  { name: 'IPv4 loopback', input: { host: '127.0.0.1', port: 8080 }, ok: true },
  { name: 'all IPv4 interfaces', input: { host: '0.0.0.0', port: 1 }, ok: true },
  { name: 'IPv6 loopback', input: { host: '::1', port: 65535 }, ok: true },
  { name: 'IPv6 any', input: { host: '::', port: 80 }, ok: true },
  { name: 'full IPv6', input: { host: 'fe80:0:0:0:1:2:3:4', port: 80 }, ok: true },
  { name: 'IPv4-mapped IPv6', input: { host: '::ffff:127.0.0.1', port: 80 }, ok: true },
  { name: 'not an object', input: 8080, ok: false, field: 'listen', message: /object/ },
  { name: 'empty host', input: { host: '', port: 80 }, ok: false, field: 'listen.host', message: /IP address/ },
  { name: 'host name (not resolved)', input: { host: 'localhost', port: 80 }, ok: false, field: 'listen.host', message: /not resolved/ },
  { name: 'IPv4 octet out of range', input: { host: '127.0.0.256', port: 80 }, ok: false, field: 'listen.host', message: /not an IPv4 or IPv6/ },
  { name: 'IPv4 with leading zero', input: { host: '127.0.0.01', port: 80 }, ok: false, field: 'listen.host', message: /not an IPv4 or IPv6/ },
  { name: 'two "::"', input: { host: '1::2::3', port: 80 }, ok: false, field: 'listen.host', message: /more than once/ },
  { name: 'too many IPv6 groups', input: { host: '1:2:3:4:5:6:7:8:9', port: 80 }, ok: false, field: 'listen.host', message: /number of groups/ },
  { name: 'IPv6 group too long', input: { host: '12345::1', port: 80 }, ok: false, field: 'listen.host', message: /invalid group/ },
  { name: 'port 0', input: { host: '127.0.0.1', port: 0 }, ok: false, field: 'listen.port', message: /1 to 65535/ },
  { name: 'port too high', input: { host: '127.0.0.1', port: 65536 }, ok: false, field: 'listen.port', message: /1 to 65535/ },
  { name: 'port as text', input: { host: '127.0.0.1', port: '8080' }, ok: false, field: 'listen.port', message: /whole number/ },
  { name: 'fractional port', input: { host: '127.0.0.1', port: 80.5 }, ok: false, field: 'listen.port', message: /whole number/ },
  { name: 'unknown field', input: { host: '127.0.0.1', port: 80, tls: true }, ok: false, field: 'listen.tls', message: /unknown field/ },
];

for (const c of listenCases) {
  test(`validateListen ${c.ok ? 'accepts' : 'refuses'}: ${c.name}`, () => {
    const result = validateListen(c.input);
    assert.equal(result.ok, c.ok, result.ok ? 'accepted' : formatFieldErrors(result.errors));
    if (result.ok) {
      assert.deepEqual(result.value, c.input);
      return;
    }
    const error = result.errors.find((e) => e.field === c.field);
    assert.ok(error, `no error for ${c.field}: ${formatFieldErrors(result.errors)}`);
    assert.match(error.message, c.message!);
  });
}

test('parseSettingsFile reads back what serializeSettings wrote', () => {
  const settings: AppSettings = {
    version: SETTINGS_VERSION,
    listen: { host: '::1', port: 9000 },
    response: { status: 418, reason: 'Short and stout', headers: [['X-A', '1'], ['x-a', '2']] as [string, string][], body: 'tea', bodyEncoding: 'utf8' as const },
  };
  const result = parseSettingsFile(serializeSettings(settings));
  assert.equal(result.ok, true);
  if (result.ok) assert.deepEqual(result.settings, settings);
});

test('parseSettingsFile fills missing sections with defaults', () => {
  const result = parseSettingsFile(JSON.stringify({ version: SETTINGS_VERSION }));
  assert.equal(result.ok, true);
  if (result.ok) assert.deepEqual(result.settings, { ...DEFAULT_APP_SETTINGS, listen: { ...DEFAULT_APP_SETTINGS.listen } });
});

const corrupt: { name: string; text: string; reason: RegExp }[] = [
  { name: 'empty file', text: '', reason: /not valid JSON/ },
  { name: 'truncated JSON', text: '{"version":1,"listen":{"host":"127.', reason: /not valid JSON/ },
  { name: 'JSON array', text: '[]', reason: /JSON object/ },
  { name: 'JSON null', text: 'null', reason: /JSON object/ },
  { name: 'missing version', text: '{"listen":{"host":"127.0.0.1","port":80}}', reason: /unsupported settings version undefined/ },
  { name: 'future version', text: '{"version":99}', reason: /unsupported settings version 99/ },
  { name: 'bad port', text: '{"version":1,"listen":{"host":"127.0.0.1","port":0}}', reason: /listen\.port: port must be/ },
  { name: 'bad response header', text: '{"version":1,"response":{"status":200,"headers":[["X","a\\r\\nb"]]}}', reason: /response\.headers\[0\]\.value: .*CR or LF/ },
  { name: 'bad response status', text: '{"version":1,"response":{"status":99}}', reason: /response\.status: / },
  { name: 'unknown top-level field', text: '{"version":1,"theme":"dark"}', reason: /theme: unknown field/ },
  { name: 'oversized file', text: ' '.repeat(MAX_SETTINGS_FILE_BYTES + 1), reason: /larger than/ },
];

for (const c of corrupt) {
  test(`parseSettingsFile reports a corrupt file: ${c.name}`, () => {
    const result = parseSettingsFile(c.text);
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.reason, c.reason);
  });
}

test('DEFAULT_APP_SETTINGS binds to loopback and is itself valid', () => {
  assert.equal(DEFAULT_APP_SETTINGS.listen.host, '127.0.0.1');
  const result = parseSettingsFile(serializeSettings(DEFAULT_APP_SETTINGS));
  assert.equal(result.ok, true);
});
