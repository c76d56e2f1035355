/**
 * Checks main runs on every IPC message before acting on it (Electron
 * security checklist, "Validate the sender of all IPC messages"): it must come
 * from our window's main frame showing our own page, and its payload must pass
 * the validator for its channel. A refused message is logged and answered with
 * a refusal value; nothing here throws on what a renderer sends.
 */
import { formatFieldErrors, type FieldError } from '../common/canned-response';
import type { IpcReply } from '../common/ipc-channels';
import { isAppPageUrl } from './window-security';

/** What an IpcMainInvokeEvent says about its sender, in the shape Electron gives it (no electron import). */
export interface IpcSenderEvent {
  sender: { id: number };
  senderFrame: { url: string; parent: unknown } | null;
}

export interface TrustedSender {
  /** webContents id of our window; null before it exists (then nothing is trusted). */
  webContentsId: number | null;
}

/** Why a sender is refused, or null when it is our page in our window. */
export function senderProblem(event: IpcSenderEvent, trusted: TrustedSender): string | null {
  if (trusted.webContentsId === null || event.sender.id !== trusted.webContentsId) return 'message from a window that is not the inspector';
  const frame = event.senderFrame;
  // senderFrame is null once the frame navigated away or was destroyed: the message is stale.
  if (!frame) return 'message from a frame that no longer exists';
  if (frame.parent !== null) return 'message from a subframe';
  if (!isAppPageUrl(frame.url)) return `message from a page that is not the inspector (${frame.url.slice(0, 200)})`;
  return null;
}

export function refusal(errors: FieldError[]): IpcReply<never> {
  return { ok: false, errors };
}

export type InvokeHandler = (payload: unknown) => Promise<IpcReply<unknown>>;

/**
 * Run `handler` for an invoke message once its sender passes; otherwise log
 * and refuse. A handler that throws (a bug) is logged and answered as an
 * internal error instead of leaking its stack to the renderer.
 */
export async function guardedInvoke(
  channel: string,
  event: IpcSenderEvent,
  payload: unknown,
  trusted: TrustedSender,
  handler: InvokeHandler,
  log: (line: string) => void,
): Promise<IpcReply<unknown>> {
  let problem: string | null;
  try {
    problem = senderProblem(event, trusted);
  } catch (err) {
    // Reading a frame that is being disposed may throw rather than give null: refuse, and say so.
    problem = `sender could not be checked (${err instanceof Error ? err.message : String(err)})`;
  }
  if (problem) {
    log(`IPC ${channel} refused: ${problem}`);
    return refusal([{ field: 'sender', message: `refused: ${problem}` }]);
  }
  try {
    const reply = await handler(payload);
    if (!reply.ok) log(`IPC ${channel} refused: ${formatFieldErrors(reply.errors)}`);
    return reply;
  } catch (err) {
    log(`IPC ${channel} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return refusal([{ field: '', message: 'internal error in the app; see its log' }]);
  }
}
