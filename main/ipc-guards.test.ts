import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guardedInvoke, senderProblem, type IpcSenderEvent } from './ipc-guards';
import { APP_PAGE_URL } from './window-security';

const OURS = { webContentsId: 7 };
const mainFrame = (url: string) => ({ url, parent: null });

const SENDERS: [name: string, event: IpcSenderEvent, trusted: { webContentsId: number | null }, problem: RegExp | null][] = [
  ['our page in our window', { sender: { id: 7 }, senderFrame: mainFrame(APP_PAGE_URL) }, OURS, null],
  ['our page with a fragment', { sender: { id: 7 }, senderFrame: mainFrame(`${APP_PAGE_URL}#/x`) }, OURS, null],
  ['another window', { sender: { id: 8 }, senderFrame: mainFrame(APP_PAGE_URL) }, OURS, /not the inspector/],
  ['before the window exists', { sender: { id: 7 }, senderFrame: mainFrame(APP_PAGE_URL) }, { webContentsId: null }, /not the inspector/],
  ['a destroyed frame', { sender: { id: 7 }, senderFrame: null }, OURS, /no longer exists/],
  ['a subframe', { sender: { id: 7 }, senderFrame: { url: APP_PAGE_URL, parent: {} } }, OURS, /subframe/],
  ['a web page', { sender: { id: 7 }, senderFrame: mainFrame('https://evil.example/index.html') }, OURS, /page that is not the inspector/],
  ['a file URL', { sender: { id: 7 }, senderFrame: mainFrame('file:///index.html') }, OURS, /page that is not the inspector/],
  ['another path on our origin', { sender: { id: 7 }, senderFrame: mainFrame('sockeye://app/other.html') }, OURS, /page that is not the inspector/],
  ['another host on our scheme', { sender: { id: 7 }, senderFrame: mainFrame('sockeye://evil/index.html') }, OURS, /page that is not the inspector/],
  ['userinfo in the URL', { sender: { id: 7 }, senderFrame: mainFrame('sockeye://u:p@app/index.html') }, OURS, /page that is not the inspector/],
  ['garbage URL', { sender: { id: 7 }, senderFrame: mainFrame('::::') }, OURS, /page that is not the inspector/],
];

for (const [name, event, trusted, problem] of SENDERS) {
  test(`sender check: ${name}`, () => {
    const found = senderProblem(event, trusted);
    if (problem === null) assert.equal(found, null);
    else assert.match(found ?? '', problem);
  });
}

test('a refused sender is logged and answered with a refusal; the handler never runs', async () => {
  const logs: string[] = [];
  let ran = false;
  const reply = await guardedInvoke('sockeye:copy-text', { sender: { id: 1 }, senderFrame: null }, 'x', OURS, async () => {
    ran = true;
    return { ok: true, value: undefined };
  }, (l) => logs.push(l));
  assert.equal(ran, false);
  assert.equal(reply.ok, false);
  assert.equal(reply.ok ? '' : reply.errors[0]!.field, 'sender');
  assert.match(logs[0] ?? '', /sockeye:copy-text refused/);
});

test('a handler refusal is logged and passed on; a throwing handler becomes an internal error without its stack', async () => {
  const logs: string[] = [];
  const ok = { sender: { id: 7 }, senderFrame: mainFrame(APP_PAGE_URL) };
  const refused = await guardedInvoke('c', ok, 1, OURS, async () => ({ ok: false, errors: [{ field: 'text', message: 'bad' }] }), (l) => logs.push(l));
  assert.deepEqual(refused, { ok: false, errors: [{ field: 'text', message: 'bad' }] });
  assert.match(logs[0] ?? '', /c refused: text: bad/);
  const failed = await guardedInvoke('c', ok, 1, OURS, async () => {
    throw new Error('secret internals');
  }, (l) => logs.push(l));
  assert.equal(failed.ok, false);
  assert.doesNotMatch(JSON.stringify(failed), /secret/);
  assert.match(logs[1] ?? '', /secret internals/);
});

test('a sender frame that throws when read is refused and logged, and the handler does not run', async () => {
  const logs: string[] = [];
  let ran = false;
  const disposed = { sender: { id: 7 }, get senderFrame(): never { throw new Error('Render frame was disposed'); } } as unknown as IpcSenderEvent;
  const reply = await guardedInvoke('sockeye:set-listen', disposed, { host: '127.0.0.1', port: 9 }, OURS, async () => {
    ran = true;
    return { ok: true, value: undefined };
  }, (l) => logs.push(l));
  assert.equal(ran, false);
  assert.equal(reply.ok ? '' : reply.errors[0]!.field, 'sender');
  assert.match(logs[0] ?? '', /sockeye:set-listen refused: sender could not be checked \(Render frame was disposed\)/);
});
