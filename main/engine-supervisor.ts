/**
 * Keeps one engine process running for the app and turns what it does into
 * the EngineStatus the UI shows. The process itself is abstract (ForkEngine):
 * in the app it is an Electron utility process, in tests a child_process.fork
 * of the same engine entry, so this state machine is tested against a real
 * engine that is really killed.
 *
 * - start → 'starting' → 'listening' (or 'error', e.g. EADDRINUSE: then the
 *   engine stays down until the address changes; nothing retries).
 * - an exit nobody asked for → 'crashed', then a restart after a back-off:
 *   fast the first time (the engine must be back within 2 s of a kill),
 *   doubling up to a cap; the count resets once an engine has listened for a
 *   stable period.
 * - a new address → stop the engine, start one on the new address.
 */
import type { CannedResponse } from '../common/canned-response';
import type { ListenSettings } from '../common/app-settings';
import type { CommandResult, EngineStatus } from '../common/inspector-api';
import type { UtilityStartMessage } from '../common/ipc-channels';
import { isEngineEvent, type EngineCommand, type EngineEvent } from '../common/wire-messages';

/** Delay before the first restart after a crash. */
export const FIRST_RESTART_DELAY_MS = 200;
/** Longest delay between restarts while the engine keeps crashing. */
export const MAX_RESTART_DELAY_MS = 30_000;
/** An engine that listened this long before dying counts as stable: the back-off starts over. */
export const STABLE_RUN_MS = 10_000;
/** How long an engine may take from fork to listening or error before it is killed as hung. */
export const START_TIMEOUT_MS = 10_000;
/** How long a stop may take before the process is killed. */
export const STOP_TIMEOUT_MS = 2_000;
/** How long to wait for the engine to confirm a new canned response. */
export const COMMAND_TIMEOUT_MS = 5_000;

export interface EngineExit {
  code: number | null;
  signal: string | null;
}

/** One engine process, as the supervisor drives it. */
export interface EngineProcess {
  /** The first message; the adapter attaches the records port (app) or uses its own channel (Node). */
  start(message: UtilityStartMessage): void;
  send(command: EngineCommand): void;
  /** Ends the process now (SIGTERM-like); 'exit' follows. */
  kill(): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (exit: EngineExit) => void): void;
}

export type ForkEngine = () => EngineProcess;

export interface SupervisorOptions {
  fork: ForkEngine;
  listen: ListenSettings;
  response: CannedResponse;
  onStatus: (status: EngineStatus) => void;
  /** Diagnostics for the terminal (what crashed, refused commands). */
  log?: (line: string) => void;
}

/** `http://127.0.0.1:8080/`, `http://[::1]:8080/`. */
export function listenUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
}

/** Delay before restart number `attempt` (from 1). */
export function restartDelayMs(attempt: number): number {
  return Math.min(FIRST_RESTART_DELAY_MS * 2 ** Math.max(0, attempt - 1), MAX_RESTART_DELAY_MS);
}

function describeExit(exit: EngineExit): string {
  if (exit.signal) return `the engine process was killed by ${exit.signal}`;
  if (exit.code === 0) return 'the engine process exited unexpectedly';
  return `the engine process exited with code ${exit.code ?? 'unknown'}`;
}

/** A live child and what the supervisor knows of it. */
interface Child {
  process: EngineProcess;
  /** Set when the supervisor asked it to go: its exit is then no crash. */
  stopping: boolean;
  listeningSince: number | null;
  exited: Promise<void>;
  /** Answers to set-response, in the order the commands were sent (null: that caller gave up). */
  pendingResponses: (((r: CommandResult) => void) | null)[];
  startTimer: NodeJS.Timeout | null;
}

export class EngineSupervisor {
  private listen: ListenSettings;
  private response: CannedResponse;
  private child: Child | null = null;
  private current: EngineStatus;
  private crashes = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private disposed = false;
  /** Address changes run one after another, so two quick changes never leave two engines. */
  private relisten: Promise<void> = Promise.resolve();

  constructor(private readonly options: SupervisorOptions) {
    this.listen = options.listen;
    this.response = options.response;
    this.current = { state: 'starting', listen: this.listen };
  }

  get status(): EngineStatus {
    return this.current;
  }

  /** Fork the engine on the current address (once; later restarts are the supervisor's). */
  start(): void {
    if (!this.child && !this.disposed) this.spawn();
  }

  /**
   * Use `response` from now on: sent to a running engine (which validates it
   * again and answers), kept for the next start otherwise.
   */
  async setResponse(response: CannedResponse): Promise<CommandResult> {
    this.response = response;
    const child = this.child;
    if (!child || child.stopping || child.listeningSince === null) return { ok: true };
    return new Promise<CommandResult>((resolve) => {
      const slot = child.pendingResponses.length;
      const timer = setTimeout(() => {
        child.pendingResponses[slot] = null; // the answer may still come; it is then ignored
        resolve({ ok: false, errors: [{ field: '', message: 'the engine did not confirm the response in time; it is saved and applies after a restart' }] });
      }, COMMAND_TIMEOUT_MS);
      child.pendingResponses.push((result) => {
        clearTimeout(timer);
        resolve(result);
      });
      child.process.send({ type: 'set-response', response });
    });
  }

  /** Restart the engine on `listen` (also after an error, which is how the user gets out of one). */
  setListen(listen: ListenSettings): Promise<void> {
    this.relisten = this.relisten.then(async () => {
      this.listen = listen;
      this.crashes = 0;
      this.clearRestart();
      await this.stopChild();
      if (!this.disposed && !this.child) this.spawn();
    });
    return this.relisten;
  }

  /** Stop for good (app quit): the engine is asked to stop, then killed if it does not. */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.clearRestart();
    await this.stopChild();
  }

  private setStatus(status: EngineStatus): void {
    this.current = status;
    this.options.onStatus(status);
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  private clearRestart(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }

  private spawn(): void {
    this.setStatus({ state: 'starting', listen: this.listen });
    let proc: EngineProcess;
    try {
      proc = this.options.fork();
    } catch (err) {
      this.crashed(`the engine process could not be started (${err instanceof Error ? err.message : String(err)})`);
      return;
    }
    let exitedResolve!: () => void;
    const child: Child = {
      process: proc,
      stopping: false,
      listeningSince: null,
      exited: new Promise((r) => (exitedResolve = r)),
      pendingResponses: [],
      startTimer: null,
    };
    this.child = child;
    proc.onMessage((message) => this.onMessage(child, message));
    proc.onExit((exit) => {
      exitedResolve();
      this.onExit(child, exit);
    });
    child.startTimer = setTimeout(() => {
      child.startTimer = null;
      this.log(`engine did not report listening within ${START_TIMEOUT_MS} ms; killing it`);
      proc.kill();
    }, START_TIMEOUT_MS);
    proc.start({ type: 'start', listen: this.listen, response: this.response });
  }

  private onMessage(child: Child, message: unknown): void {
    if (child !== this.child) return; // a stopped engine's last words
    if (!isEngineEvent(message)) {
      this.log(`engine sent an unknown message; ignored`);
      return;
    }
    const event = message as EngineEvent;
    switch (event.type) {
      case 'listening': {
        this.clearStartTimer(child);
        child.listeningSince = Date.now();
        const bound = event.listeners[0];
        this.setStatus({ state: 'listening', listen: this.listen, url: listenUrl(bound?.address ?? this.listen.host, bound?.port ?? this.listen.port) });
        return;
      }
      case 'error':
        if (child.listeningSince === null && !child.stopping) {
          // Could not listen: stays down until the user changes the address (EngineStatus contract).
          this.clearStartTimer(child);
          this.setStatus({ state: 'error', listen: this.listen, message: event.message, code: event.code });
          void this.stopChild();
        } else {
          this.log(`engine: ${event.message}`);
        }
        return;
      case 'response-set': {
        const answer = child.pendingResponses.shift();
        answer?.(event.ok ? { ok: true } : { ok: false, errors: event.errors });
        return;
      }
      default:
        return; // records never come this way in the app; stats and stopped need no action
    }
  }

  private onExit(child: Child, exit: EngineExit): void {
    this.clearStartTimer(child);
    // The response is kept and applies to the next engine, so a caller still waiting gets its answer.
    for (const answer of child.pendingResponses) answer?.({ ok: true });
    child.pendingResponses = [];
    if (child !== this.child) return;
    this.child = null;
    if (child.stopping || this.disposed) return;
    const stable = child.listeningSince !== null && Date.now() - child.listeningSince >= STABLE_RUN_MS;
    if (stable) this.crashes = 0;
    this.crashed(describeExit(exit));
  }

  private crashed(message: string): void {
    this.crashes++;
    const delay = restartDelayMs(this.crashes);
    this.log(`${message}; restarting in ${delay} ms (attempt ${this.crashes})`);
    this.setStatus({ state: 'crashed', listen: this.listen, message, restartInMs: delay, attempt: this.crashes });
    this.clearRestart();
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.disposed && !this.child) this.spawn();
    }, delay);
  }

  private clearStartTimer(child: Child): void {
    if (child.startTimer) clearTimeout(child.startTimer);
    child.startTimer = null;
  }

  /** Ask the current engine to stop; kill it when it does not exit in time. Resolves once it has exited. */
  private async stopChild(): Promise<void> {
    const child = this.child;
    if (!child) return;
    if (!child.stopping) {
      child.stopping = true;
      child.process.send({ type: 'stop' });
    }
    let timer: NodeJS.Timeout | null = null;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.log(`engine did not stop within ${STOP_TIMEOUT_MS} ms; killing it`);
        child.process.kill();
        resolve();
      }, STOP_TIMEOUT_MS);
    });
    await Promise.race([child.exited, killed]);
    if (timer) clearTimeout(timer);
    await child.exited;
  }
}
