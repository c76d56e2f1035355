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
import { processIpcSender } from '../server/process-ipc';

if (!process.send) {
  process.stderr.write('engine-server: must be started with child_process.fork (no IPC channel)\n');
  process.exit(2);
}

const { send, exitAfterLastSend } = processIpcSender();

const port: DuplexPort = {
  postMessage: send, // the runner going away is handled by 'disconnect' below
  on(_event: 'message', listener: (message: unknown) => void): unknown {
    return process.on('message', listener);
  },
};

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
