/** Test fixture: an engine in a worker thread, driven over the worker's port (like the app's utility process). */
import { parentPort, workerData } from 'node:worker_threads';
import { hostEngineOnPort } from '../port-host';

const port = parentPort!;
hostEngineOnPort(port, { listen: [{ host: '127.0.0.1', port: (workerData as { port: number }).port }], batchIntervalMs: 5 }, {
  transfer: true,
  onStopped: () => port.close(),
});
