/**
 * The renderer's data-testid contract as small helpers, so specs read as what
 * a user does and a renamed testid is fixed in one place.
 */
import type { Locator, Page } from 'playwright-core';
import { waitFor, WAIT_TIMEOUT_MS } from './wait';

export type DetailTab = 'overview' | 'headers' | 'body' | 'raw';
export type BodyViewer = 'text' | 'json' | 'form' | 'multipart' | 'hex' | 'image';

// getByTestId matches the data-testid value exactly when given a string.
export const byTestId = (scope: Page | Locator, id: string): Locator => scope.getByTestId(id);

/** Every rendered row of the traffic list. */
export const rows = (page: Page): Locator => byTestId(page, 'traffic-row');

/** The rendered row whose target cell is exactly `target`. */
export function rowByTarget(page: Page, target: string): Locator {
  return rows(page).filter({ has: byTestId(page, 'row-target').getByText(target, { exact: true }) });
}

/** The request-count text as a number (NaN when it is not digits only). */
export async function requestCount(page: Page): Promise<number> {
  const text = (await byTestId(page, 'request-count').textContent())?.trim() ?? '';
  return /^\d+$/.test(text) ? Number(text) : NaN;
}

/** Wait until request-count shows exactly `n`. */
export async function waitForCount(page: Page, n: number, timeoutMs = WAIT_TIMEOUT_MS): Promise<void> {
  await waitFor(`request-count = ${n}`, async () => ((await requestCount(page)) === n ? true : undefined), {
    timeoutMs,
    describe: async () => String(await byTestId(page, 'request-count').textContent()),
  });
}

/** Click the row for `target` (waiting for it) and wait for the details to show it. */
export async function openRequest(page: Page, target: string): Promise<void> {
  const row = rowByTarget(page, target);
  await row.first().waitFor({ timeout: WAIT_TIMEOUT_MS });
  await row.first().click();
  await waitFor(`details of ${target}`, async () =>
    (await byTestId(page, 'detail-target').textContent().catch(() => null)) === target ? true : undefined, {
    describe: async () => String(await byTestId(page, 'detail-target').textContent().catch(() => '(no detail-target)')),
  });
}

export async function openTab(page: Page, tab: DetailTab): Promise<void> {
  await byTestId(page, `tab-${tab}`).click();
}

export async function chooseBodyViewer(page: Page, viewer: BodyViewer): Promise<void> {
  await openTab(page, 'body');
  await byTestId(page, 'body-viewer-select').selectOption(viewer);
}

/** The headers tab's rows as [name, value] pairs, in display order. */
export async function shownHeaders(page: Page): Promise<Array<[string, string]>> {
  await openTab(page, 'headers');
  await byTestId(page, 'header-row').first().waitFor({ timeout: WAIT_TIMEOUT_MS });
  return byTestId(page, 'header-row').evaluateAll((elements) => elements.map((row): [string, string] => [
    row.querySelector('[data-testid="header-name"]')?.textContent ?? '',
    row.querySelector('[data-testid="header-value"]')?.textContent ?? '',
  ]));
}

/** Text of a testid element, or null when it is absent. */
export async function textOf(page: Page, id: string): Promise<string | null> {
  const el = byTestId(page, id);
  return (await el.count()) === 0 ? null : el.first().textContent();
}

/** Wait until the testid's text satisfies `ok`; returns the text. */
export async function waitForText(page: Page, id: string, what: string, ok: (text: string) => boolean, timeoutMs = WAIT_TIMEOUT_MS): Promise<string> {
  return waitFor(`${id} ${what}`, async () => {
    const text = await textOf(page, id);
    return text !== null && ok(text) ? text : undefined;
  }, { timeoutMs, describe: async () => JSON.stringify(await textOf(page, id)) });
}

/** Indexes of the rendered rows with aria-selected="true". */
export function selectedRowIndexes(page: Page): Promise<number[]> {
  return rows(page).evaluateAll((elements) =>
    elements.flatMap((row, i) => (row.getAttribute('aria-selected') === 'true' ? [i] : [])));
}
