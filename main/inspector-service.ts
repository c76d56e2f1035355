/**
 * What main does for each preload request, once ipc-guards has accepted the
 * sender: check the payload (the validators in common/), act, persist, and
 * answer with an IpcReply. Its collaborators are passed in, so it is tested
 * under Node; the glue wires it to ipcMain.handle.
 */
import type { CannedResponse } from '../common/canned-response';
import type { AppSettings, ListenSettings } from '../common/app-settings';
import type { CommandResult, EngineStatus, InspectorInit } from '../common/inspector-api';
import { INVOKE_PAYLOAD_VALIDATORS, IPC_INVOKE, type InvokeChannel, type IpcReply } from '../common/ipc-channels';
import type { SaveResult } from './settings-store';
import type { InvokeHandler } from './ipc-guards';

export interface ServiceDeps {
  settings: { readonly settings: AppSettings; update(change: Partial<Pick<AppSettings, 'listen' | 'response'>>): SaveResult };
  engine: { readonly status: EngineStatus; setResponse(r: CannedResponse): Promise<CommandResult>; setListen(l: ListenSettings): Promise<void> };
  clipboard: { writeText(text: string): void };
  /** Told to the user once at start (e.g. the settings file was unusable). */
  notice: string | null;
}

const done: IpcReply<undefined> = { ok: true, value: undefined };

/** A reply for a setting the engine took but the disk did not. */
function unsaved(message: string): IpcReply<never> {
  return { ok: false, errors: [{ field: 'settings', message: `applied, but ${message}` }] };
}

export function inspectorHandlers(deps: ServiceDeps): Record<InvokeChannel, InvokeHandler> {
  return {
    async [IPC_INVOKE.init]() {
      const { listen, response } = deps.settings.settings;
      const init: InspectorInit = { mode: 'desktop', listen, response, status: deps.engine.status, ...(deps.notice ? { notice: deps.notice } : {}) };
      return { ok: true, value: init };
    },
    async [IPC_INVOKE.setResponse](payload) {
      const checked = INVOKE_PAYLOAD_VALIDATORS[IPC_INVOKE.setResponse](payload);
      if (!checked.ok) return checked;
      const applied = await deps.engine.setResponse(checked.value);
      if (!applied.ok) return applied;
      const saved = deps.settings.update({ response: checked.value });
      return saved.ok ? done : unsaved(saved.message);
    },
    async [IPC_INVOKE.setListen](payload) {
      const checked = INVOKE_PAYLOAD_VALIDATORS[IPC_INVOKE.setListen](payload);
      if (!checked.ok) return checked;
      const saved = deps.settings.update({ listen: checked.value });
      // The restart's outcome (listening or EADDRINUSE) arrives as status events.
      await deps.engine.setListen(checked.value);
      return saved.ok ? done : unsaved(saved.message);
    },
    async [IPC_INVOKE.copyText](payload) {
      const checked = INVOKE_PAYLOAD_VALIDATORS[IPC_INVOKE.copyText](payload);
      if (!checked.ok) return checked;
      deps.clipboard.writeText(checked.value);
      return done;
    },
  };
}
