/**
 * One node:test test with a fresh inspector: skipped with its reason when
 * Chromium or the built renderer is missing, closed whatever happens, and
 * failed if the page logged an error (an exception, a CSP violation).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { cannotRunReason } from './browser';
import { startInspector, type Inspector, type InspectorOptions } from './inspector';

/** Per test: starting Chromium and the engine, the traffic, and stopping both. */
export const SPEC_TIMEOUT_MS = 120_000;

const skipReason = cannotRunReason();
let skipPrinted = false;

/** Page console messages that do not mean the app misbehaved: the browser's own favicon request. */
const IGNORED_PAGE_ERRORS = [/favicon\.ico/];

export function inspectorTest(name: string, fn: (h: Inspector) => Promise<void>, options: InspectorOptions & { timeoutMs?: number } = {}): void {
  if (skipReason && !skipPrinted) {
    skipPrinted = true;
    console.log(`# Chromium specs skipped: ${skipReason}`);
  }
  test(name, { skip: skipReason ?? false, timeout: options.timeoutMs ?? SPEC_TIMEOUT_MS }, async () => {
    const h = await startInspector(options);
    try {
      await fn(h);
      const errors = h.pageErrors.filter((e) => !IGNORED_PAGE_ERRORS.some((re) => re.test(e)));
      assert.deepEqual(errors, [], 'the page logged errors');
    } finally {
      await h.close();
    }
  });
}
