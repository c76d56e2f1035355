/**
 * The browser inspector (issue 5) end to end, with nothing faked: `sockeye
 * serve --ui --port 0 --ui-port 0` runs as a child process and Debian's
 * Chromium opens the inspector URL it printed. The CLI's UI listener serves
 * the page, GET /api/init, the event stream and the POSTs; requests go to its
 * capture port over 127.0.0.1. The desktop app's core flows must hold here
 * too, plus the access rules of the UI listener (the per-run secret, a strict
 * HttpOnly cookie, no cross-site use).
 */
import * as assert from 'node:assert/strict';
import { UI_PATHS, uiCookieName } from '../common/browser-protocol';
import type { CannedResponse } from '../common/canned-response';
import { browserModeTest, collectPageErrors, type ServeUi } from './harness/serve-ui';
import { exchange, simpleGet, type HttpResponse } from './harness/http-client';
import { sendBurst } from './harness/load';
import {
  addResponseHeader, byTestId, checkMalformedListed, checkMarkupInert, checkRawView, checkRequestDetails, checkStatusOutOfRange,
  requestBytes, requestCount, rowByTarget, rows, waitForCount, waitForText,
} from './harness/app';
import { waitFor } from './harness/wait';

/** Wait until the CLI printed one line for each of `requests` captured requests (after its two address lines). */
async function waitForRequestLines(s: ServeUi, requests: number, timeoutMs = 10_000): Promise<void> {
  await s.serve.waitForLines(2 + requests, timeoutMs);
}

// ---------------------------------------------------------------- (a), (f): one request, its details, the mode badge

const BODY = 'hello from the browser-mode spec';

browserModeTest('browser mode: a request appears with method, target, headers in wire order and case (duplicate kept) and body; the mode badge says browser', async (s) => {
  const badge = byTestId(s.page, 'app-mode');
  await badge.waitFor();
  assert.match((await badge.textContent()) ?? '', /browser/i, 'the app-mode badge names the browser mode');

  await checkRequestDetails(s.page, s.capturePort, BODY);

  // The CLI printed it too, after its two address lines.
  await waitForRequestLines(s, 1);
  assert.match(s.lines[2] ?? '', /POST\s+200\s.*\/submit\/form\?x=1&y=two/);
});

browserModeTest('browser mode: the raw view shows the exact bytes, text and a binary run (the records crossed the binary event stream intact)', async (s) => {
  await checkRawView(s.page, s.capturePort);
});

// ---------------------------------------------------------------- (b): the response editor over POST /api/response

/** Send GETs until one is answered with `status` (an applied edit reaches the engine a moment after the page says so). */
async function waitForAnswer(port: number, status: number, target: string): Promise<HttpResponse> {
  let last: HttpResponse | undefined;
  return waitFor(`the capture port to answer ${status}`, async () => {
    last = await exchange(port, simpleGet(target));
    return last.status === status ? last : undefined;
  }, { describe: () => (last ? `${last.status} ${JSON.stringify(last.body.toString('utf8'))}` : 'no answer') });
}

browserModeTest('browser mode: editing the response changes what the next request gets; an invalid edit shows inline and is not applied', async (s) => {
  const { page } = s;
  const before = await exchange(s.capturePort, simpleGet('/before-edit'));
  assert.equal(before.status, 200);

  await byTestId(page, 'response-editor').waitFor();
  await byTestId(page, 'response-status').fill('201');
  await addResponseHeader(page, 'X-Edited', 'by the browser-mode spec');
  await byTestId(page, 'response-body').fill('created in browser mode');
  await waitForText(page, 'response-state', 'to say Applied', (t) => t.startsWith('Applied'));

  const after = await waitForAnswer(s.capturePort, 201, '/after-edit');
  assert.match(after.bytes.toString('latin1'), /^HTTP\/1\.1 201 /);
  assert.deepEqual(after.headers.filter(([n]) => n === 'X-Edited'), [['X-Edited', 'by the browser-mode spec']]);
  assert.equal(after.body.toString('utf8'), 'created in browser mode');

  // A status out of range: shown under its field, Not applied, and the engine keeps the last valid response.
  await checkStatusOutOfRange(page, '201');
  // A header value with a control character, while the status is valid again.
  await byTestId(byTestId(page, 'response-header-row').last(), 'response-header-value').fill('bell\u0007here');
  const headerError = page.locator('[data-testid="response-field-error"][data-field^="headers"]');
  await headerError.first().waitFor();
  await waitForText(page, 'response-state', 'to say Not applied', (t) => t.startsWith('Not applied'));
  // Past the editor's debounce (200 ms), so an invalid edit that was sent anyway would have landed.
  await page.waitForTimeout(600);

  const next = await exchange(s.capturePort, simpleGet('/after-invalid'));
  assert.equal(next.status, 201, 'the engine still answers with the last valid response');
  assert.deepEqual(next.headers.filter(([n]) => n === 'X-Edited'), [['X-Edited', 'by the browser-mode spec']]);
  assert.equal(next.body.toString('utf8'), 'created in browser mode');
});

// ---------------------------------------------------------------- (c): malformed requests

browserModeTest('browser mode: a malformed request is listed with its error code, and the client got 400', async (s) => {
  const sent = await checkMalformedListed(s.page, s.capturePort);
  await waitForRequestLines(s, sent);
  assert.ok(s.lines.slice(2).some((l) => l.includes('te-and-cl')), 'the CLI printed the malformed request with its code');
});

// ---------------------------------------------------------------- (d): a 20,000-request burst

const BURST_REQUESTS = 20_000;
const MAX_RENDERED_ROWS = 200;
const BURST_SETTLE_MS = 60_000;

browserModeTest('browser mode: 20,000 requests in a burst all appear (request-count, stdout lines, responses all equal) with a window of rows in the DOM', async (s) => {
  const result = await sendBurst(s.capturePort, { total: BURST_REQUESTS, connections: 8, depth: 100 });
  assert.equal(result.responses, BURST_REQUESTS, 'every request was answered');
  assert.deepEqual([...result.statusCounts], [[200, BURST_REQUESTS]]);
  await waitForCount(s.page, BURST_REQUESTS, BURST_SETTLE_MS);
  await waitForRequestLines(s, BURST_REQUESTS, BURST_SETTLE_MS);
  // Nothing arrives later to push either count past the total.
  await s.page.waitForTimeout(500);
  assert.equal(s.serve.lineCount() - 2, BURST_REQUESTS, 'one stdout line per request');
  assert.equal(await requestCount(s.page), BURST_REQUESTS);

  const rendered = await rows(s.page).count();
  assert.ok(rendered > 0 && rendered < MAX_RENDERED_ROWS, `rendered rows: ${rendered}`);
  for (const i of [0, BURST_REQUESTS - 1]) {
    await byTestId(s.page, 'filter-input').fill(`/load/${i}`);
    await waitFor(`only /load/${i} listed`, async () => ((await rows(s.page).count()) === 1 ? true : undefined), { timeoutMs: 20_000 });
    await rowByTarget(s.page, `/load/${i}`).waitFor();
  }
}, { timeoutMs: 180_000 });

// ------------------------------------------- (d2): a flood is paced, the page says what is to come

/**
 * A flood is more than 8,000 requests a second (FLOOD_RECORDS_PER_SECOND), and the first 8,000 go out
 * before it is one: 30,000 leave about 22,000 (some 4 MB) to pace, seconds' worth at this rate.
 */
const PACED_REQUESTS = 30_000;
/** KiB a second the page is fed during the flood (a paced burst always finishes the frame it starts). */
const PACED_FEED_RATE_KIB = 256;

browserModeTest('browser mode: in a flood the page is fed at --ui-feed-rate, shows how many requests are still to come, and then catches up with every one', async (s) => {
  // Sample the backlog counter in the page while the burst runs (it may come and go between two looks from here).
  await s.page.evaluate(() => {
    const w = window as unknown as { maxBacklog: number; countWhileBehind: number };
    w.maxBacklog = 0;
    w.countWhileBehind = -1;
    setInterval(() => {
      const el = document.querySelector('[data-testid="request-backlog"]');
      const n = el ? Number((el.textContent ?? '').replace(/[^0-9]/g, '')) : 0;
      if (n > w.maxBacklog) {
        w.maxBacklog = n;
        w.countWhileBehind = Number(document.querySelector('[data-testid="request-count"]')?.textContent ?? -1);
      }
    }, 20);
  });
  const result = await sendBurst(s.capturePort, { total: PACED_REQUESTS, connections: 8, depth: 100 });
  assert.equal(result.responses, PACED_REQUESTS, 'every request was answered');
  await waitForCount(s.page, PACED_REQUESTS, BURST_SETTLE_MS);
  await waitForRequestLines(s, PACED_REQUESTS, BURST_SETTLE_MS);
  const seen = await s.page.evaluate(() => {
    const w = window as unknown as { maxBacklog: number; countWhileBehind: number };
    return { maxBacklog: w.maxBacklog, countWhileBehind: w.countWhileBehind };
  });
  assert.ok(seen.maxBacklog > 0, 'the page said requests were still to come');
  assert.ok(seen.countWhileBehind < PACED_REQUESTS, `the list was behind meanwhile (${seen.countWhileBehind} shown)`);
  assert.ok(seen.maxBacklog + seen.countWhileBehind <= PACED_REQUESTS, `shown + to come never passes what was sent (${JSON.stringify(seen)})`);
  // Caught up: every request listed, and the counter is gone.
  await waitFor('the backlog counter gone', async () => ((await byTestId(s.page, 'request-backlog').count()) === 0 ? true : undefined), { timeoutMs: 10_000 });
  assert.equal(await requestCount(s.page), PACED_REQUESTS);
  assert.equal(s.serve.lineCount() - 2, PACED_REQUESTS, 'one stdout line per request');
}, { timeoutMs: 180_000, extraArgs: ['--ui-feed-rate', String(PACED_FEED_RATE_KIB)] });

// ---------------------------------------------------------------- (e): captured markup stays text

browserModeTest('browser mode: captured markup in the body, a header and the target stays inert text', async (s) => {
  await checkMarkupInert(s.page, s.capturePort);
});

// ---------------------------------------------------------------- (g): a reload replays the history

const BEFORE_RELOAD = 25;

browserModeTest('browser mode: reloading the page keeps the list (history replayed) with the count unchanged', async (s) => {
  for (let i = 0; i < BEFORE_RELOAD; i++) assert.equal((await exchange(s.capturePort, simpleGet(`/before-reload/${i}`))).status, 200);
  await waitForCount(s.page, BEFORE_RELOAD);

  await s.page.reload();
  assert.ok(!s.page.url().includes('secret='), `after the reload the URL has no secret: ${s.page.url()}`);
  await waitForText(s.page, 'server-status', 'to be listening', (t) => t.trim().startsWith('listening'));
  await waitForCount(s.page, BEFORE_RELOAD);
  // The list follows the newest rows, so the oldest may be out of view: the filter finds each alone.
  for (const i of [0, BEFORE_RELOAD - 1]) {
    await byTestId(s.page, 'filter-input').fill(`/before-reload/${i}`);
    await waitFor(`only /before-reload/${i} listed`, async () => ((await rows(s.page).count()) === 1 ? true : undefined));
    await rowByTarget(s.page, `/before-reload/${i}`).waitFor();
  }
  await byTestId(s.page, 'filter-input').fill('');
  // The replay is not doubled by live events: the count stays.
  await s.page.waitForTimeout(1000);
  assert.equal(await requestCount(s.page), BEFORE_RELOAD);

  // And the stream is live again after the reload.
  await exchange(s.capturePort, simpleGet('/after-reload'));
  await waitForCount(s.page, BEFORE_RELOAD + 1);
  await rowByTarget(s.page, '/after-reload').waitFor();
});

// ---------------------------------------------------------------- (h), (i): the secret and cross-site use

const EVIL_ORIGIN = 'http://evil.test';
/** What a cross-site page tries to install as the canned response. */
const EVIL_RESPONSE: CannedResponse = { status: 299, reason: '', headers: [], body: 'csrf', bodyEncoding: 'utf8' };

/** One request's bytes to the UI listener from Node (a client that is not a browser). */
function uiRequest(s: ServeUi, method: string, target: string, headers: Array<[string, string]>, body = ''): string {
  const all: Array<[string, string]> = [['Host', `127.0.0.1:${new URL(s.uiUrl).port}`], ...headers];
  if (body !== '' || method === 'POST') all.push(['Content-Type', 'application/json'], ['Content-Length', String(Buffer.byteLength(body))]);
  return requestBytes(method, target, all, body);
}

browserModeTest('browser mode: the secret leaves the URL, lives only in an HttpOnly strict cookie, and nothing without it or from another site gets in; it never reaches the capture side', async (s) => {
  const uiPort = Number(new URL(s.uiUrl).port);
  const cookieName = uiCookieName(uiPort);

  // (h) After the first navigation: no secret in the URL; the cookie is there but scripts cannot see it.
  assert.ok(!s.page.url().includes('secret='), `the page URL has no secret: ${s.page.url()}`);
  assert.equal(new URL(s.page.url()).pathname, '/');
  const pageView = await s.page.evaluate(() => ({ cookie: document.cookie, href: location.href, history: history.length }));
  assert.ok(!pageView.cookie.includes(cookieName) && !pageView.cookie.includes(s.secret), `document.cookie: ${JSON.stringify(pageView.cookie)}`);
  assert.ok(!pageView.href.includes(s.secret));
  const cookie = (await s.context.cookies(s.uiUrl)).find((c) => c.name === cookieName);
  assert.ok(cookie, `the browser holds the cookie ${cookieName}`);
  assert.equal(cookie.httpOnly, true, 'HttpOnly');
  assert.equal(cookie.sameSite, 'Strict', 'SameSite=Strict');

  // The printed URL itself: 303 to / with the cookie, from a plain client too.
  const first = await exchange(uiPort, uiRequest(s, 'GET', new URL(s.secretUrl).pathname + new URL(s.secretUrl).search, []));
  assert.equal(first.status, 303);
  assert.equal(first.headers.find(([n]) => n.toLowerCase() === 'location')?.[1], '/');
  const setCookie = first.headers.find(([n]) => n.toLowerCase() === 'set-cookie')?.[1] ?? '';
  assert.match(setCookie, new RegExp(`^${cookieName}=`));
  assert.match(setCookie, /;\s*HttpOnly/i);
  assert.match(setCookie, /;\s*SameSite=Strict/i);

  // A second browser context without the cookie: 401 for the page and the API.
  const stranger = await s.browser.browser.newContext();
  try {
    const page = await stranger.newPage();
    const opened = await page.goto(s.uiUrl);
    assert.equal(opened?.status(), 401, 'the inspector page without the cookie');
    const api = await page.goto(new URL(UI_PATHS.init, s.uiUrl).href);
    assert.equal(api?.status(), 401, 'GET /api/init without the cookie');
    const wrong = await page.goto(`${s.uiUrl}?secret=${'0'.repeat(s.secret.length)}`);
    assert.equal(wrong?.status(), 401, 'a wrong secret in the URL');
  } finally {
    await stranger.close();
  }

  // Baseline answer of the capture port before the cross-site attempts.
  const baseline = await exchange(s.capturePort, simpleGet('/before-cross-site'));

  // A page of another origin in a context holding the same cookie (as another tab of the same browser would):
  // it can neither read the API nor change the response. Only this context routes the made-up origin.
  const other = await s.browser.browser.newContext();
  try {
    await other.addCookies(await s.context.cookies(s.uiUrl));
    await other.route(`${EVIL_ORIGIN}/**`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>evil</title><p>evil</p>' }));
    const evil = await other.newPage();
    const evilErrors: string[] = [];
    collectPageErrors(evil, evilErrors); // expected (CORS refusals); kept apart from the inspector page's errors
    await evil.goto(`${EVIL_ORIGIN}/`);
    const attempt = await evil.evaluate(async ({ ui, init, response, body }) => {
      const out: { read: string; post: string } = { read: '', post: '' };
      try {
        const r = await fetch(ui + init.slice(1), { credentials: 'include' });
        out.read = `status ${r.status}: ${await r.text()}`;
      } catch (err) {
        out.read = `refused: ${String(err)}`;
      }
      try {
        await fetch(ui + response.slice(1), { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'Content-Type': 'text/plain' }, body });
        out.post = 'sent';
      } catch (err) {
        out.post = `refused: ${String(err)}`;
      }
      return out;
    }, { ui: s.uiUrl, init: UI_PATHS.init, response: UI_PATHS.response, body: JSON.stringify(EVIL_RESPONSE) });
    // Chromium itself may refuse these (Private Network Access: a public page fetching loopback), so the
    // server's own Origin and Host checks are also tried below from a plain client holding the cookie.
    console.log(`cross-site attempt: ${JSON.stringify(attempt)}`);
    assert.match(attempt.read, /^refused: /, `a cross-origin page cannot read /api/init: ${attempt.read}`);

    // A cross-site form POST (text/plain, shaped to be JSON), the classic CSRF: navigates, must not apply.
    const formName = JSON.stringify(EVIL_RESPONSE).replace(/"csrf"\}$/, '"csrf');
    const formAction = new URL(UI_PATHS.response, s.uiUrl).href;
    const formAnswer = evil.waitForResponse((r) => r.url() === formAction, { timeout: 10_000 }).catch(() => null);
    await evil.evaluate(({ action, name }) => {
      const form = document.createElement('form');
      form.method = 'POST';
      form.action = action;
      form.enctype = 'text/plain';
      const input = document.createElement('input');
      input.name = name;
      input.value = '"}';
      form.appendChild(input);
      document.body.appendChild(form);
      form.submit();
    }, { action: formAction, name: formName });
    // The browser may block it before it leaves (no answer then); if the server saw it, it refused it.
    const answered = await formAnswer;
    console.log(`cross-site form POST answered: ${answered ? answered.status() : 'no answer'}; evil page errors: ${JSON.stringify(evilErrors)}`);
    if (answered) assert.ok(answered.status() >= 400, `the cross-site form POST was refused (status ${answered.status()})`);
  } finally {
    await other.close();
  }

  // The same from a plain client carrying the valid cookie: a foreign Origin, or a foreign Host (DNS rebinding).
  const withCookie: [string, string] = ['Cookie', `${cookieName}=${cookie.value}`];
  const foreignOrigin = await exchange(uiPort, uiRequest(s, 'POST', UI_PATHS.response, [withCookie, ['Origin', EVIL_ORIGIN]], JSON.stringify(EVIL_RESPONSE)));
  assert.equal(foreignOrigin.status, 403, 'POST /api/response with a foreign Origin');
  const rebound = await exchange(uiPort, requestBytes('GET', UI_PATHS.init, [['Host', `evil.test:${uiPort}`], withCookie], ''));
  assert.equal(rebound.status, 403, 'GET /api/init with a foreign Host');
  const noCookie = await exchange(uiPort, uiRequest(s, 'GET', UI_PATHS.init, []));
  assert.equal(noCookie.status, 401, 'GET /api/init without the cookie');
  const ownInit = await exchange(uiPort, uiRequest(s, 'GET', UI_PATHS.init, [withCookie]));
  assert.equal(ownInit.status, 200, 'the same request with the cookie is served (the refusals above are the checks, not a broken API)');

  // The response is unchanged after every cross-site attempt.
  const after = await exchange(s.capturePort, simpleGet('/after-cross-site'));
  assert.equal(after.status, baseline.status, 'the canned response status is unchanged');
  assert.notEqual(after.status, EVIL_RESPONSE.status);
  assert.equal(after.body.toString('utf8'), baseline.body.toString('utf8'), 'the canned response body is unchanged');

  // (i) The captured traffic and the CLI's request lines never hold the secret.
  await waitForCount(s.page, 2);
  await waitForRequestLines(s, 2);
  assert.equal(s.serve.secretLeaks(), 0);
  assert.ok(s.lines.slice(2).every((l) => !l.includes(s.secret)), 'no stdout line after the address lines holds the secret');
  await byTestId(s.page, 'filter-input').fill(s.secret);
  await waitFor('no row matches the secret', async () => ((await rows(s.page).count()) === 0 ? true : undefined));
  await byTestId(s.page, 'filter-input').fill('');
  await waitFor('both rows back', async () => ((await rows(s.page).count()) === 2 ? true : undefined));
  // Only the two capture requests were captured: nothing sent to the UI listener (page, API, refusals) was.
  assert.equal(await requestCount(s.page), 2);
  assert.equal(s.serve.lineCount() - 2, 2);
});
