import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { MessageChannel } from 'node:worker_threads';
import type { EngineStatus, InspectorAction } from '../common/inspector-api';
import { IPC_EVENT, IPC_INVOKE } from '../common/ipc-channels';
import { decodeRecordBatch, RecordBatchBuilder, type RecordBatch } from '../common/record-batch';
import { createInspectorApi, MAX_PENDING_BATCHES, type IpcRendererLike, type RecordsPort } from './inspector-bridge';

/** An ipcRenderer stand-in: main's side emits events and answers invokes as the test says. */
function fakeIpc(answer: (channel: string, args: unknown[]) => unknown = () => ({ ok: true, value: undefined })) {
  const emitter = new EventEmitter();
  const invoked: [string, unknown[]][] = [];
  const ipc: IpcRendererLike = {
    invoke: async (channel, ...args) => (invoked.push([channel, args]), answer(channel, args)),
    on: (channel, listener) => emitter.on(channel, listener),
  };
  return {
    ipc,
    invoked,
    sendPort: (port: RecordsPort) => emitter.emit(IPC_EVENT.enginePort, { ports: [port] }),
    send: (channel: string, payload: unknown) => emitter.emit(channel, {}, payload),
  };
}

function batchOf(target: string): RecordBatch {
  const raw = new Uint8Array(Buffer.from(`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`, 'latin1'));
  const host = `GET ${target} HTTP/1.1\r\n`.length; // where "Host" starts
  const b = new RecordBatchBuilder(64, 1);
  b.add({
    id: 1, connectionId: 1, requestOnConnection: 1,
    listener: { family: 'IPv4', address: '127.0.0.1', port: 8080 }, peer: { family: 'IPv4', address: '127.0.0.1', port: 40000 },
    raw, rawFrom: 0, rawTo: raw.length, rawLength: raw.length, headLength: raw.length,
    bodyInRaw: true, body: null, bodyFrom: 0, bodyKept: 0, bodyLength: 0, status: 200, error: null, errorDetail: null,
    accepted: 1, firstByte: 1, headComplete: 1, bodyComplete: 1, responseWritten: 2,
    methodStart: 0, methodEnd: 3, targetStart: 4, targetEnd: 4 + target.length, version: 11,
    headerCount: 1, headerOffsets: [host, host + 4, host + 6, host + 7], trailers: null,
  });
  return b.take();
}

async function until<T>(probe: () => T | undefined): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const v = probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('timed out');
}

test('batches from the engine port reach every records listener intact; a new port replaces the old one', async () => {
  const { ipc, sendPort } = fakeIpc();
  const api = createInspectorApi(ipc, () => {});
  const got: RecordBatch[] = [];
  api.onRecords((b) => got.push(b));
  const first = new MessageChannel();
  sendPort(first.port1 as unknown as RecordsPort);
  first.port2.postMessage({ type: 'records', batch: batchOf('/one') });
  await until(() => got[0]);
  const [record] = decodeRecordBatch(got[0]!);
  assert.equal(record!.target, '/one');
  assert.deepEqual(record!.headers, [['Host', 'x']]);
  assert.ok(got[0]!.bytes instanceof Uint8Array && got[0]!.ints instanceof Int32Array && got[0]!.floats instanceof Float64Array);

  // Engine restarted: a new port; listeners stay. The old port stays open, so the old engine's
  // last batch, still in flight when the new port arrives, is not lost.
  const second = new MessageChannel();
  sendPort(second.port1 as unknown as RecordsPort);
  first.port2.postMessage({ type: 'records', batch: batchOf('/one-last') });
  second.port2.postMessage({ type: 'records', batch: batchOf('/two') });
  await until(() => got[2]);
  assert.deepEqual(got.map((b) => decodeRecordBatch(b)[0]!.target).sort(), ['/one', '/one-last', '/two']);
  first.port1.close();
  second.port1.close();
});

test('batches that arrive before the page subscribes are kept for the first listener, the oldest dropped past the cap', async () => {
  const { ipc, sendPort } = fakeIpc();
  const reports: string[] = [];
  const api = createInspectorApi(ipc, (line) => reports.push(line));
  const ch = new MessageChannel();
  sendPort(ch.port1 as unknown as RecordsPort);
  const sent = MAX_PENDING_BATCHES + 2;
  for (let i = 0; i < sent; i++) ch.port2.postMessage({ type: 'records', batch: batchOf(`/early/${i}`) });
  ch.port2.postMessage({ type: 'marker' }); // ignored by the preload; lets the test wait for the queue to drain
  await new Promise<void>((resolve) => {
    ch.port1.on('message', (m: { type?: string }) => { if (m.type === 'marker') resolve(); });
  });
  const got: string[] = [];
  api.onRecords((b) => got.push(decodeRecordBatch(b)[0]!.target));
  assert.equal(got.length, MAX_PENDING_BATCHES);
  assert.equal(got[0], '/early/2', 'the two oldest went');
  assert.equal(got[got.length - 1], `/early/${sent - 1}`);
  assert.ok(reports.some((r) => /^2 record batch\(es\) arrived before the page subscribed/.test(r)), reports.join('\n'));
  // Later batches go straight to the listener.
  ch.port2.postMessage({ type: 'records', batch: batchOf('/late') });
  await until(() => (got.length > MAX_PENDING_BATCHES ? true : undefined));
  assert.equal(got[MAX_PENDING_BATCHES], '/late');
  ch.port1.close();
});

test('junk on the engine port is dropped and reported; a throwing listener does not starve the others', async () => {
  const { ipc, sendPort } = fakeIpc();
  const reports: string[] = [];
  const api = createInspectorApi(ipc, (l) => reports.push(l));
  const got: RecordBatch[] = [];
  api.onRecords(() => {
    throw new Error('boom');
  });
  const unsubscribe = api.onRecords((b) => got.push(b));
  const ch = new MessageChannel();
  sendPort(ch.port1 as unknown as RecordsPort);
  ch.port2.postMessage({ type: 'records', batch: { kind: 'nope' } });
  ch.port2.postMessage({ type: 'listening' });
  ch.port2.postMessage({ type: 'records', batch: batchOf('/ok') });
  await until(() => got[0]);
  assert.equal(got.length, 1);
  assert.ok(reports.some((r) => /without a valid batch/.test(r)));
  assert.ok(reports.some((r) => /listener failed: boom/.test(r)));
  unsubscribe();
  ch.port2.postMessage({ type: 'records', batch: batchOf('/after') });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(got.length, 1, 'an unsubscribed listener gets nothing');
  ch.port1.close();
});

test('status and action events are checked before they reach listeners', () => {
  const { ipc, send } = fakeIpc();
  const api = createInspectorApi(ipc, () => {});
  const statuses: EngineStatus[] = [];
  const actions: InspectorAction[] = [];
  api.onStatus((s) => statuses.push(s));
  api.onAction((a) => actions.push(a));
  const good: EngineStatus = { state: 'listening', listen: { host: '127.0.0.1', port: 8080 }, url: 'http://127.0.0.1:8080/' };
  send(IPC_EVENT.status, good);
  send(IPC_EVENT.status, { state: 'exploded', listen: { host: '127.0.0.1', port: 8080 } });
  send(IPC_EVENT.status, null);
  send(IPC_EVENT.action, 'copy-curl');
  send(IPC_EVENT.action, 'rm -rf');
  assert.deepEqual(statuses, [good]);
  assert.deepEqual(actions, ['copy-curl']);
});

test('commands go to their channel with their payload; replies become CommandResults or errors', async () => {
  const { ipc, invoked } = fakeIpc((channel) => {
    if (channel === IPC_INVOKE.setListen) return { ok: false, errors: [{ field: 'listen.port', message: 'bad port' }] };
    if (channel === IPC_INVOKE.copyText) return { ok: false, errors: [{ field: 'sender', message: 'refused' }] };
    if (channel === IPC_INVOKE.init) return { ok: true, value: { mode: 'desktop' } };
    return { ok: true, value: undefined };
  });
  const api = createInspectorApi(ipc, () => {});
  const response = { status: 201, reason: '', headers: [], body: '', bodyEncoding: 'utf8' as const };
  assert.deepEqual(await api.setResponse(response), { ok: true });
  assert.deepEqual(await api.setListen({ host: '127.0.0.1', port: 0 }), { ok: false, errors: [{ field: 'listen.port', message: 'bad port' }] });
  assert.deepEqual(await api.init(), { mode: 'desktop' });
  await assert.rejects(api.copyText('x'), /copy refused: sender: refused/);
  assert.deepEqual(invoked, [
    [IPC_INVOKE.setResponse, [response]],
    [IPC_INVOKE.setListen, [{ host: '127.0.0.1', port: 0 }]],
    [IPC_INVOKE.init, []],
    [IPC_INVOKE.copyText, ['x']],
  ]);
});

test('the page gets one function per message and nothing that can name a channel', () => {
  const { ipc } = fakeIpc();
  const api = createInspectorApi(ipc, () => {});
  assert.deepEqual(Object.keys(api).sort(), ['copyText', 'init', 'onAction', 'onRecords', 'onStatus', 'setListen', 'setResponse']);
  for (const value of Object.values(api)) assert.equal(typeof value, 'function');
  assert.ok(!Object.values(api).includes(ipc.invoke as never) && !Object.values(api).includes(ipc.on as never));
});
