/**
 * Entry of the engine process (built to dist/electron/engine.js).
 *
 * In the app it runs in an Electron utility process: `process.parentPort`
 * carries control messages and the start message brings the renderer's
 * records port. Without a parentPort (plain Node: the packaging test, main's
 * supervisor tests) it serves over a child_process IPC channel instead, which
 * then carries records too; fork it with `serialization: 'advanced'` so the
 * batches' typed arrays survive. Never imports electron.
 */
import { processIpcSender } from './process-ipc';
import { runUtilityHost, type ParentMessageEvent, type ParentPortLike } from './utility-host';

/** Exit status when started with neither a parent port nor an IPC channel. */
const EXIT_NO_CHANNEL = 2;

const electronParent = (process as unknown as { parentPort?: ParentPortLike }).parentPort;

if (electronParent) {
  runUtilityHost(electronParent, {
    // Let the 'stopped' event leave before the process ends.
    onStopped: () => setImmediate(() => process.exit(0)),
  });
} else if (process.send) {
  runOverNodeIpc();
} else {
  process.stderr.write('sockeye engine: start me with utilityProcess.fork (Electron) or child_process.fork (Node)\n');
  process.exit(EXIT_NO_CHANNEL);
}

/** The plain-Node fallback: process IPC stands in for both the parent port and the records port. */
function runOverNodeIpc(): void {
  const { send, exitAfterLastSend } = processIpcSender();
  const recordsOverIpc = { postMessage: send };
  const parent: ParentPortLike = {
    postMessage: send,
    on(_event: 'message', listener: (event: ParentMessageEvent) => void): unknown {
      // The start message gets the IPC channel as its records port: there is no MessagePort here.
      return process.on('message', (data: unknown) => {
        const isStart = typeof data === 'object' && data !== null && (data as { type?: unknown }).type === 'start';
        listener({ data, ports: isStart ? [recordsOverIpc] : [] });
      });
    },
  };
  const host = runUtilityHost(parent, { onStopped: exitAfterLastSend });
  const stopNow = (): void => {
    if (host.engine) void host.engine.stop().then(exitAfterLastSend);
    else process.exit(0);
  };
  process.on('disconnect', stopNow);
  process.on('SIGTERM', stopNow);
}
