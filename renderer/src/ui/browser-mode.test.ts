/**
 * What differs in browser mode: the desktop menu's shortcuts become page
 * keys, and the server bar carries a "browser" badge (absent on desktop).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import type { InspectorApi, InspectorMode } from '../../../common/inspector-api';
import { TrafficFeed } from '../model/traffic-feed';
import { BROWSER_SHORTCUTS, browserShortcut, type ShortcutKey } from './browser-shortcuts';
import { BacklogCounter, ServerBar } from './server-bar';

const key = (k: string, mods: Partial<Omit<ShortcutKey, 'key'>> = {}): ShortcutKey =>
  ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });

test('the desktop menu\'s shortcuts (main/menu-template.ts) map to the same actions in the page', () => {
  // Shift makes key 'C'; a Mac's Command counts as Ctrl, as app.tsx's own shortcuts do.
  assert.equal(browserShortcut(key('C', { ctrlKey: true, shiftKey: true })), 'copy-url');
  assert.equal(browserShortcut(key('c', { ctrlKey: true, altKey: true })), 'copy-curl');
  assert.equal(browserShortcut(key('e', { ctrlKey: true })), 'edit-response');
  assert.equal(browserShortcut(key('E', { metaKey: true })), 'edit-response');
  assert.deepEqual(BROWSER_SHORTCUTS.map((s) => [s.label, s.action]), [
    ['Ctrl+Shift+C', 'copy-url'], ['Ctrl+Alt+C', 'copy-curl'], ['Ctrl+E', 'edit-response'],
  ]);
});

test('other keys are not browser shortcuts (plain copy, Ctrl+K and Ctrl+F stay with app.tsx)', () => {
  for (const k of [
    key('c', { ctrlKey: true }), key('c'), key('C', { shiftKey: true }), key('c', { altKey: true }),
    key('C', { ctrlKey: true, shiftKey: true, altKey: true }), key('e'), key('E', { ctrlKey: true, shiftKey: true }),
    key('k', { ctrlKey: true }), key('f', { ctrlKey: true }), key('Control', { ctrlKey: true }),
  ]) {
    assert.equal(browserShortcut(k), null, JSON.stringify(k));
  }
});

function renderBar(mode: InspectorMode): string {
  const api = {} as InspectorApi; // not called while rendering
  const feed = new TrafficFeed({ schedule: () => undefined, now: () => 0 });
  const listen = { host: '127.0.0.1', port: 8080 };
  return renderToStaticMarkup(createElement(ServerBar, {
    api, mode, feed, statusAt: 0, url: 'http://127.0.0.1:8080/', onCopyUrl: () => undefined,
    status: { state: 'listening', listen, url: 'http://127.0.0.1:8080/' },
  }));
}

test('the backlog counter shows what the server holds back, and nothing once the page has caught up', () => {
  const rows: Array<[string, number, RegExp | null]> = [
    ['caught up', 0, null],
    ['one', 1, /data-testid="request-backlog"[^>]*>\+1 to come<\/span>/],
    ['thousands, grouped', 123456, /data-testid="request-backlog"[^>]*>\+123,456 to come<\/span>/],
  ];
  for (const [name, records, want] of rows) {
    const html = renderToStaticMarkup(createElement(BacklogCounter, { records }));
    if (want) assert.match(html, want, name);
    else assert.equal(html, '', name);
  }
});

test('the server bar shows the "browser" badge in browser mode only', () => {
  const browser = renderBar('browser');
  assert.match(browser, /<span class="mode-badge" data-testid="app-mode"[^>]*>browser<\/span>/);
  const desktop = renderBar('desktop');
  assert.doesNotMatch(desktop, /app-mode|mode-badge/);
  assert.match(desktop, /data-testid="server-url"/);
});
