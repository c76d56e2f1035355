/**
 * Captured bytes are text, never markup: every view of a hostile request,
 * rendered with react-dom/server, holds the markup escaped and no element
 * made from it; and no source file uses an API that would parse HTML.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createElement, type ReactElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { decodeRecordBatch } from '../../../common/record-batch';
import { fixtureBatch } from '../model/test/batch-fixture';
import { Details, type DetailTab } from './details';
import { FormViewer, JsonViewer, MultipartViewer, TextViewer } from './body-viewers';
import { HexView } from './hex-view';

const IMG = '<img src=x onerror=alert(1)>';
const SCRIPT = '<script>alert(2)</script>';
const BODY = `--b\r\nContent-Disposition: form-data; name="${IMG}"; filename="${SCRIPT}"\r\n\r\n${IMG}${SCRIPT}\r\n--b--\r\n`;
const TARGET = '/<img/src=x/onerror=alert(3)>';
const RAW = `POST ${TARGET} HTTP/1.1\r\nHost: x\r\nX-Inject: ${IMG}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`;

/** True when the HTML holds an element made from the capture (escaped text shows as &lt;img, not <img). */
function hasInjectedMarkup(html: string): boolean {
  return /<(img|script)\b/i.test(html);
}

test('hostile bytes stay escaped text in every view', () => {
  const [record] = decodeRecordBatch(fixtureBatch([{ raw: RAW }]));
  assert.ok(record);
  const body = record.body;
  const type = 'multipart/form-data; boundary=b';
  const views: [string, ReactElement][] = [
    ...(['overview', 'headers', 'body', 'raw'] as DetailTab[]).map((tab): [string, ReactElement] =>
      [`details ${tab}`, createElement(Details, { record, onCopyCurl: () => undefined, initialTab: tab })]),
    ['text', createElement(TextViewer, { body, contentType: 'text/html', truncated: false })],
    ['json (invalid)', createElement(JsonViewer, { body, contentType: null, truncated: false })],
    ['form', createElement(FormViewer, { body, contentType: null, truncated: false })],
    ['multipart', createElement(MultipartViewer, { body, contentType: type, truncated: false })],
    ['hex', createElement(HexView, { bytes: record.raw, textTestId: 'raw-text' })],
  ];
  for (const [name, element] of views) {
    const html = renderToStaticMarkup(element);
    assert.equal(hasInjectedMarkup(html), false, `${name}: ${html.slice(0, 400)}`);
    assert.ok(html.includes('&lt;img') || html.includes('&lt;script'), `${name} shows the markup as text`);
  }
});

test('the check above does find markup when it is there', () => {
  assert.equal(hasInjectedMarkup('<div><img src="x"></div>'), true);
  assert.equal(hasInjectedMarkup('<pre>&lt;img src=x onerror=alert(1)&gt;</pre>'), false);
});

/** APIs that turn strings into markup or documents; the renderer needs none of them. */
const FORBIDDEN = [/dangerouslySetInnerHTML/, /\.innerHTML\b/, /\.outerHTML\s*=/, /insertAdjacentHTML/, /document\.write/, /<iframe/i, /srcdoc/i, /createContextualFragment/, /DOMParser/];

test('no renderer source uses an HTML-parsing API', () => {
  const root = resolve(__dirname, '../../../../renderer/src');
  const files: string[] = [];
  (function walk(dir: string): void {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.tsx?$/.test(name) && !name.endsWith('.test.ts')) files.push(path);
    }
  })(root);
  assert.ok(files.length > 10, `found the sources in ${root}`);
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const re of FORBIDDEN) assert.equal(re.test(text), false, `${file} uses ${re}`);
  }
});
