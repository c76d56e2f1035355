/**
 * Watches what the page shows, from inside the page: every change of the
 * server-status text (with the time it was seen) and every time the
 * request-count went down. A MutationObserver sees each rendered state, so a
 * `crashed` shown for a few hundred milliseconds is not missed between polls.
 * Times are Date.now() in the page: the same clock as the test process.
 */
import type { Page } from 'playwright-core';

const RECORDER_KEY = '__sockeyeUiRecorder';

export interface StatusSeen {
  /** Date.now() when the text was first seen. */
  at: number;
  text: string;
}

export interface UiRecord {
  statuses: StatusSeen[];
  /** Every drop of request-count: from, to, when. Empty when it only ever grew. */
  countDrops: Array<{ at: number; from: number; to: number }>;
  /** The highest request-count seen. */
  maxCount: number;
}

/** Runs in the page; must not reference anything outside its body. */
function install(key: string): void {
  const text = (id: string): string | null => document.querySelector(`[data-testid="${id}"]`)?.textContent ?? null;
  const record = { statuses: [] as Array<{ at: number; text: string }>, countDrops: [] as Array<{ at: number; from: number; to: number }>, maxCount: 0 };
  let lastCount = -1;
  const look = (): void => {
    const status = text('server-status');
    if (status !== null && record.statuses[record.statuses.length - 1]?.text !== status) record.statuses.push({ at: Date.now(), text: status });
    const countText = text('request-count')?.trim() ?? '';
    if (!/^\d+$/.test(countText)) return;
    const count = Number(countText);
    if (lastCount >= 0 && count < lastCount) record.countDrops.push({ at: Date.now(), from: lastCount, to: count });
    lastCount = count;
    record.maxCount = Math.max(record.maxCount, count);
  };
  look();
  new MutationObserver(look).observe(document.body, { subtree: true, childList: true, characterData: true });
  (window as unknown as Record<string, unknown>)[key] = record;
}

/** Start recording (the app must be rendered). */
export async function recordUi(page: Page): Promise<void> {
  await page.evaluate(install, RECORDER_KEY);
}

export function readUiRecord(page: Page): Promise<UiRecord> {
  return page.evaluate((key) => (window as unknown as Record<string, UiRecord>)[key]!, RECORDER_KEY);
}

/** The first status seen at or after `since` whose text starts with `prefix`, or undefined. */
export function statusSince(record: UiRecord, since: number, prefix: string): StatusSeen | undefined {
  return record.statuses.find((s) => s.at >= since && s.text.startsWith(prefix));
}
