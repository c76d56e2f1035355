/**
 * Chromium spec for the server bar: applying an address whose port is taken
 * shows the error with EADDRINUSE; a free one brings it back to listening.
 */
import * as assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { inspectorTest } from './harness/spec';
import { exchange, simpleGet, LOOPBACK } from './harness/http-client';
import { byTestId, waitForText } from './harness/app';

inspectorTest('binding to a port already in use shows error EADDRINUSE; a free port listens again', async (h) => {
  const { page } = h;
  await waitForText(page, 'server-status', 'to start as listening', (t) => t.startsWith('listening'));

  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, LOOPBACK, resolve));
  const busyPort = (blocker.address() as { port: number }).port;
  try {
    await byTestId(page, 'listen-host').fill(LOOPBACK);
    await byTestId(page, 'listen-port').fill(String(busyPort));
    await byTestId(page, 'listen-apply').click();
    const status = await waitForText(page, 'server-status', 'to report EADDRINUSE', (t) => t.startsWith('error') && t.includes('EADDRINUSE'));
    assert.ok(status.startsWith('error'));
    assert.equal(h.status().state, 'error');
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  }

  // The port is free now: apply it again.
  await byTestId(page, 'listen-apply').click();
  await waitForText(page, 'server-status', 'to be listening again', (t) => t.startsWith('listening'));
  assert.equal(h.engineAddress.port, busyPort);
  assert.equal((await exchange(busyPort, simpleGet('/on-the-new-port'))).status, 200);
  await waitForText(page, 'server-url', 'to show the new port', (t) => t.includes(`:${busyPort}`));
});
