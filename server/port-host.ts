/**
 * Runs an engine driven over a message port: the shape the app's utility
 * process uses (and any worker). Records leave as `{type:'records', batch}`
 * events; commands arrive as EngineCommand messages and are validated here,
 * because a port is a trust boundary.
 */
import { isEngineCommand, type EngineCommand, type EngineEvent } from '../common/wire-messages';
import { Engine, type EngineOptions } from './engine';
import { portSink, type PostTarget } from './capture-sink';
import { SyscallError } from '../native-bridge';

/** A port both ways: Node's worker MessagePort and Electron's MessagePortMain both fit. */
export interface DuplexPort extends PostTarget {
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

/** Electron's MessagePortMain wraps messages in an event ({ data }); worker ports do not. */
function unwrap(message: unknown): unknown {
  if (typeof message === 'object' && message !== null && 'data' in message && !('type' in message)) {
    return (message as { data: unknown }).data;
  }
  return message;
}

export interface HostOptions {
  /** Move batch buffers instead of copying them (not on Electron's MessagePortMain). */
  transfer?: boolean;
  /**
   * Where records go when not to `port`: the app sends records over a direct
   * renderer port while control events stay on the utility process's own channel.
   */
  recordsPort?: PostTarget;
  onStopped?: () => void;
}

/**
 * Start an engine whose records go to `port` (or `hostOptions.recordsPort`)
 * and which obeys commands from `port`. Posts `listening` on success or
 * `error` (with the errno code when there is one) on failure, in which case
 * it returns null.
 */
export function hostEngineOnPort(
  port: DuplexPort,
  options: Omit<EngineOptions, 'sink'>,
  hostOptions: HostOptions = {},
): Engine | null {
  const post = (event: EngineEvent): void => port.postMessage(event);
  let engine: Engine;
  try {
    const sink = portSink(hostOptions.recordsPort ?? port, { transfer: hostOptions.transfer ?? false });
    engine = Engine.start({ ...options, sink });
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err), code: err instanceof SyscallError ? err.code : null });
    return null;
  }
  post({ type: 'listening', listeners: engine.listeners, readiness: engine.readinessKind });
  port.on('message', (raw: unknown) => {
    const message = unwrap(raw);
    if (!isEngineCommand(message)) {
      post({ type: 'error', message: 'unknown command refused', code: 'EINVAL' });
      return;
    }
    void handle(engine, message, post, hostOptions.onStopped);
  });
  return engine;
}

async function handle(engine: Engine, command: EngineCommand, post: (e: EngineEvent) => void, onStopped?: () => void): Promise<void> {
  switch (command.type) {
    case 'set-response': {
      const result = engine.setResponse(command.response);
      // A refused response is answered with every problem; the sender shows them.
      post(result.ok ? { type: 'response-set', ok: true } : { type: 'response-set', ok: false, errors: result.errors });
      return;
    }
    case 'get-stats':
      post({ type: 'stats', stats: engine.stats() });
      return;
    case 'stop':
      await engine.stop();
      post({ type: 'stopped' });
      onStopped?.();
      return;
  }
}
