/**
 * Test fixture: runUtilityHost in a worker thread, the worker's port standing
 * in for Electron's process.parentPort. worker_threads delivers transferred
 * ports inside the message, so the test posts `{ data, port? }` and this
 * reshapes it into Electron's `{ data, ports }` event.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import { runUtilityHost, type ParentMessageEvent } from '../utility-host';

const port = parentPort!;
runUtilityHost(
  {
    postMessage: (message: unknown) => port.postMessage(message),
    on(_event: 'message', listener: (event: ParentMessageEvent) => void): unknown {
      return port.on('message', (m: { data: unknown; port?: MessagePort }) => listener({ data: m.data, ports: m.port ? [m.port] : [] }));
    },
  },
  { onStopped: () => port.close(), batchIntervalMs: 5 },
);
