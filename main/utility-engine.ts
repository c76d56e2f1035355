/**
 * Glue: the engine as an Electron utility process, shaped as the supervisor's
 * EngineProcess. Control messages use the utility process's own channel; the
 * records get a MessageChannelMain whose ends go to the engine and straight
 * to the renderer, so main never touches a batch (DESIGN.md, "Processes").
 * Tested through the Electron e2e spec; the logic it serves is in
 * engine-supervisor.ts (tested under Node).
 */
import { MessageChannelMain, utilityProcess, type UtilityProcess, type WebContents } from 'electron';
import { IPC_EVENT } from '../common/ipc-channels';
import type { EngineProcess, ForkEngine } from './engine-supervisor';
import { ENGINE_PROCESS_EXEC_ARGV } from '../common/engine-process';

/** Shown in process lists and in app 'child-process-gone' details. */
export const ENGINE_SERVICE_NAME = 'Sockeye engine';

/** Hands the renderer a fresh records port to the running engine whenever either side is (re)born. */
export class RecordsLink {
  private engine: UtilityProcess | null = null;
  private page: WebContents | null = null;

  /** A new engine started: connect it to the loaded page, if there is one. */
  engineStarted(engine: UtilityProcess): void {
    this.engine = engine;
    this.connect();
  }

  engineGone(engine: UtilityProcess): void {
    if (this.engine === engine) this.engine = null;
  }

  /** The page finished loading (first load or a reload): its old port died with it, so it gets a new one. */
  pageLoaded(page: WebContents): void {
    this.page = page;
    this.connect();
  }

  pageGone(): void {
    this.page = null;
  }

  private connect(): void {
    if (!this.engine || !this.page || this.page.isDestroyed()) return;
    const { port1, port2 } = new MessageChannelMain();
    this.engine.postMessage({ type: 'records-port' }, [port1]);
    this.page.postMessage(IPC_EVENT.enginePort, null, [port2]);
  }
}

export function utilityEngineForker(entryPath: string, link: RecordsLink): ForkEngine {
  return (): EngineProcess => {
    const child = utilityProcess.fork(entryPath, [], { serviceName: ENGINE_SERVICE_NAME, stdio: 'inherit', execArgv: [...ENGINE_PROCESS_EXEC_ARGV] });
    child.on('exit', () => link.engineGone(child));
    return {
      start(message) {
        // Messages posted before the process has spawned are queued by Electron.
        child.postMessage(message);
        link.engineStarted(child);
      },
      send: (command) => child.postMessage(command),
      kill: () => void child.kill(),
      onMessage: (listener) => void child.on('message', listener),
      // A utility process reports only an exit code; app 'child-process-gone' (logged in index.ts) says why.
      onExit: (listener) => void child.on('exit', (code) => listener({ code, signal: null })),
    };
  };
}
