/**
 * The engine as the app runs it, for `npm run bench`: the entry of a child
 * process forked by bench/run-bench with `{ serialization: 'advanced' }`.
 * It is hosted with server/port-host exactly like the app's utility process,
 * the IPC channel standing in for the MessagePort: batches leave as
 * `{type:'records', batch}` EngineEvents and the runner decodes them, so the
 * whole capture crosses a process boundary. Commands (get-stats, stop) are
 * EngineCommands. A lost channel or SIGTERM stops the engine too.
 */
import { hostEngineOnPort, type DuplexPort } from '../server/port-host';

if (!process.send) {
  process.stderr.write('engine-server: must be started with child_process.fork (no IPC channel)\n');
  process.exit(2);
}

/** Resolves once the last message handed to process.send is written; messages are written in order. */
let lastSent: Promise<void> = Promise.resolve();

const port: DuplexPort = {
  postMessage(message: unknown): void {
    if (!process.connected) return; // the runner went away; 'disconnect' below stops the engine
    lastSent = new Promise((resolve) => process.send!(message, undefined, undefined, () => resolve()));
  },
  on(_event: 'message', listener: (message: unknown) => void): unknown {
    return process.on('message', listener);
  },
};

// Exit once 'stopped' (and every batch before it) is written.
const exitAfterLastSend = (): void => void lastSent.then(() => process.exit(0));

const engine = hostEngineOnPort(port, {
  listen: [{ host: '127.0.0.1', port: 0 }],
  response: { status: 200, reason: '', headers: [['Content-Type', 'text/plain']], body: 'hello world\n', bodyEncoding: 'utf8' },
}, { onStopped: exitAfterLastSend });

if (!engine) {
  exitAfterLastSend(); // hostEngineOnPort posted the error
} else {
  const stopNow = (): void => void engine.stop().then(exitAfterLastSend);
  process.on('disconnect', stopNow);
  process.on('SIGTERM', stopNow);
  process.on('SIGINT', stopNow);
}
