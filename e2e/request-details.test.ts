/**
 * Chromium specs: what the details pane shows for one request is what the
 * client sent — headers in wire order and case, duplicates kept, exact raw
 * bytes — malformed requests show their error, and captured bytes stay text.
 */
import { inspectorTest } from './harness/spec';
import { checkMalformedListed, checkMarkupInert, checkRawView, checkRequestDetails } from './harness/app';

const BODY = 'hello from the e2e spec';

inspectorTest('a request appears with its method and target; headers keep wire order, case and duplicates; body shown', async (h) => {
  await checkRequestDetails(h.page, h.engineAddress.port, BODY);
});

inspectorTest('the raw view shows the exact bytes: text as sent, hex of a distinctive byte run', async (h) => {
  await checkRawView(h.page, h.engineAddress.port);
});

inspectorTest('a malformed request is listed with its error code, and the client got 400', async (h) => {
  await checkMalformedListed(h.page, h.engineAddress.port);
});

inspectorTest('captured markup stays inert text in the list, body, raw and headers views', async (h) => {
  await checkMarkupInert(h.page, h.engineAddress.port);
});
