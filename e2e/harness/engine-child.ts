/**
 * The engine as the harness runs it: the entry of a child process forked by
 * engine-process.ts with `{ serialization: 'advanced' }`, hosted with
 * server/port-host like the app's utility process (the IPC channel stands in
 * for the MessagePort). It listens where argv[2] (JSON EngineChildConfig)
 * says, posts `listening` or `error` (then exits), and obeys EngineCommands.
 * A lost channel or SIGTERM stops it too, so it never outlives the harness.
 */
import { hostEngineOnPort, type DuplexPort } from '../../server/port-host';
import type { EngineChildConfig } from './engine-process';

/** Exit status when started wrongly (no IPC channel or no config). */
const EXIT_USAGE = 2;

function readConfig(): EngineChildConfig | null {
  try {
    return JSON.parse(process.argv[2] ?? '') as EngineChildConfig;
  } catch {
    return null;
  }
}

const config = readConfig();
if (!process.send || !config) {
  process.stderr.write('engine-child: fork me with an IPC channel and a JSON config in argv[2]\n');
  process.exit(EXIT_USAGE);
}

/** Resolves once the last message handed to process.send is written (messages go in order). */
let lastSent: Promise<void> = Promise.resolve();

const port: DuplexPort = {
  postMessage(message: unknown): void {
    if (!process.connected) return; // the harness went away; 'disconnect' below stops the engine
    lastSent = new Promise((resolve) => process.send!(message, undefined, undefined, () => resolve()));
  },
  on(_event: 'message', listener: (message: unknown) => void): unknown {
    return process.on('message', listener);
  },
};

const exitAfterLastSend = (): void => void lastSent.then(() => process.exit(0));

const engine = hostEngineOnPort(port, {
  listen: [{ host: config.host, port: config.port }],
  response: config.response,
}, { onStopped: exitAfterLastSend });

if (!engine) {
  exitAfterLastSend(); // hostEngineOnPort posted the error (EADDRINUSE and the like)
} else {
  const stopNow = (): void => void engine.stop().then(exitAfterLastSend);
  process.on('disconnect', stopNow);
  process.on('SIGTERM', stopNow);
  process.on('SIGINT', stopNow);
}
