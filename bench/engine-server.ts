/**
 * The engine as the app runs it, for `npm run bench`: this file is the entry
 * of a child process forked by bench/run-bench with
 * `{ serialization: 'advanced' }`. Every batch the engine delivers is sent to
 * the parent unchanged, so the whole capture crosses a process boundary and is
 * decoded there (the parent plays the UI's part).
 *
 * Protocol (bench/engine-messages): sends {type:'listening', port} once bound;
 * answers {type:'stats'} with {type:'stats', stats}; on {type:'stop'},
 * SIGTERM or a lost IPC channel stops the engine (flushing the last batch)
 * and exits.
 */
import type { RecordBatch } from '../common/record-batch';
import { Engine } from '../server/engine';
import { isRunnerToEngine, numericFields, type EngineToRunner } from './engine-messages';

/** How long engine.stop() may take before the child exits anyway. */
const STOP_TIMEOUT_MS = 5_000;

function send(message: EngineToRunner | RecordBatch): void {
  // After the parent went away there is nobody to tell; the 'disconnect' handler exits.
  if (process.connected) process.send?.(message);
}

function main(): void {
  if (!process.send) {
    process.stderr.write('engine-server: must be started with child_process.fork (no IPC channel)\n');
    process.exit(2);
  }

  const engine = Engine.start({
    listen: [{ host: '127.0.0.1', port: 0 }],
    response: {
      status: 200,
      reason: '',
      headers: [['Content-Type', 'text/plain']],
      body: 'hello world\n',
      bodyEncoding: 'utf8',
    },
    sink: {
      deliver(batch: RecordBatch): void {
        send(batch);
      },
    },
  });

  let stopping = false;
  const stop = (code: number): void => {
    if (stopping) return;
    stopping = true;
    const timer = setTimeout(() => {
      process.stderr.write('engine-server: engine.stop() timed out\n');
      process.exit(1);
    }, STOP_TIMEOUT_MS);
    engine.stop().then(
      () => {
        clearTimeout(timer);
        if (!process.connected) process.exit(code);
        // The callback runs once 'stopped' (and every batch queued before it) was written.
        process.send?.({ type: 'stopped' } satisfies EngineToRunner, undefined, undefined, () => process.exit(code));
      },
      (err: unknown) => {
        clearTimeout(timer);
        process.stderr.write(`engine-server: engine.stop() failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };

  process.on('message', (message: unknown) => {
    if (!isRunnerToEngine(message)) return;
    if (message.type === 'stats') send({ type: 'stats', stats: numericFields(engine.stats()) });
    else stop(0);
  });
  process.on('disconnect', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));

  const port = engine.listeners[0]?.port;
  if (port === undefined) {
    send({ type: 'error', message: 'engine has no listener' });
    stop(1);
    return;
  }
  send({ type: 'listening', port, readiness: engine.readinessKind });
}

try {
  main();
} catch (err) {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`engine-server: ${message}\n`);
  if (process.connected) {
    process.send?.({ type: 'error', message } satisfies EngineToRunner, undefined, undefined, () => process.exit(1));
  } else {
    process.exit(1);
  }
}
