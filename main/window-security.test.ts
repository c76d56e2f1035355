import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  APP_PAGE_URL, CONTENT_SECURITY_POLICY, HEADER_ONLY_CSP_DIRECTIVES, META_CSP_DIRECTIVES, appResponseHeaders, inspectorWebPreferences, isAppPageUrl, navigationAllowed,
  permissionAllowed, resolveAppAsset, windowOpenDecision,
} from './window-security';

const ROOT = '/opt/sockeye/dist/renderer';

test('webPreferences isolate the page: context isolation, sandbox, no Node, web security, no webview', () => {
  const prefs = inspectorWebPreferences('/x/preload.js', { devTools: false });
  assert.equal(prefs.contextIsolation, true);
  assert.equal(prefs.sandbox, true);
  assert.equal(prefs.nodeIntegration, false);
  assert.equal(prefs.nodeIntegrationInWorker, false);
  assert.equal(prefs.nodeIntegrationInSubFrames, false);
  assert.equal(prefs.disableBlinkFeatures, 'Auxclick');
  assert.equal(prefs.webSecurity, true);
  assert.equal(prefs.allowRunningInsecureContent, false);
  assert.equal(prefs.webviewTag, false);
  assert.equal(prefs.devTools, false);
  assert.equal(prefs.preload, '/x/preload.js');
  assert.equal(inspectorWebPreferences('/p', { devTools: true }).devTools, true);
});

test('navigation, new windows and every permission are denied', () => {
  for (const url of [APP_PAGE_URL, 'https://example.com/', 'file:///etc/passwd']) assert.equal(navigationAllowed(url), false);
  assert.deepEqual(windowOpenDecision(), { action: 'deny' });
  for (const p of ['media', 'notifications', 'clipboard-read', 'geolocation', 'openExternal']) assert.equal(permissionAllowed(p), false);
});

const directives = (policy: string): string[] => policy.split(';').map((d) => d.trim().replace(/\s+/g, ' ')).filter(Boolean).sort();

test('the CSP header is the meta tag of the renderer page plus header-only directives, and forbids inline and remote code', () => {
  const html = readFileSync(join(__dirname, '..', '..', 'renderer', 'index.html'), 'utf8');
  const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
  assert.ok(meta, 'renderer/index.html has a CSP meta tag');
  assert.deepEqual(directives(meta[1]!), directives(META_CSP_DIRECTIVES.join(';')));
  assert.deepEqual(directives(CONTENT_SECURITY_POLICY), directives([...META_CSP_DIRECTIVES, ...HEADER_ONLY_CSP_DIRECTIVES].join(';')));
  assert.match(CONTENT_SECURITY_POLICY, /frame-ancestors 'none'/);
  assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'/);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval|https?:|\*/);
  assert.equal(appResponseHeaders('text/html')['Content-Security-Policy'], CONTENT_SECURITY_POLICY);
});

test('the app page URL check', () => {
  assert.equal(isAppPageUrl(APP_PAGE_URL), true);
  assert.equal(isAppPageUrl(`${APP_PAGE_URL}?q=1#x`), true);
  for (const url of ['sockeye://app/', 'sockeye://other/index.html', 'http://app/index.html', 'file:///index.html', '', 'not a url']) {
    assert.equal(isAppPageUrl(url), false, url);
  }
});

const ASSETS: [url: string, expected: { file: string; contentType: RegExp } | null][] = [
  ['sockeye://app/index.html', { file: `${ROOT}/index.html`, contentType: /text\/html/ }],
  ['sockeye://app/', { file: `${ROOT}/index.html`, contentType: /text\/html/ }],
  ['sockeye://app/assets/index-abc.js', { file: `${ROOT}/assets/index-abc.js`, contentType: /javascript/ }],
  ['sockeye://app/assets/a%20b.css', { file: `${ROOT}/assets/a b.css`, contentType: /text\/css/ }],
  ['sockeye://app/../../etc/passwd.txt', { file: `${ROOT}/etc/passwd.txt`, contentType: /text\/plain/ }], // URL parsing removes the dot segments
  ['sockeye://app/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd.txt', { file: `${ROOT}/etc/passwd.txt`, contentType: /text\/plain/ }], // so do encoded ones
  ['sockeye://app/..%2f..%2fsecret.js', null],
  ['sockeye://app/a%5c..%5c..%5csecret.js', null],
  ['sockeye://app/x%00.js', null],
  ['sockeye://app/%E0%A4%A.js', null],
  ['sockeye://app/secret.key', null],
  ['sockeye://other/index.html', null],
  ['file:///opt/sockeye/dist/renderer/index.html', null],
  ['garbage', null],
];

for (const [url, expected] of ASSETS) {
  test(`app protocol: ${url}`, () => {
    const asset = resolveAppAsset(ROOT, url);
    if (expected === null) assert.equal(asset, null);
    else {
      assert.equal(asset?.file, expected.file);
      assert.match(asset?.contentType ?? '', expected.contentType);
    }
  });
}
