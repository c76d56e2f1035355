/**
 * The child side of a child_process IPC channel used in place of a message
 * port (plain-Node runs of the engine: tests, the packaging check, benches).
 */

export interface IpcSender {
  /** process.send, dropped once the parent has gone (its 'disconnect' ends the child). */
  send(message: unknown): void;
  /** Exit once every message handed to send() is written (they are written in order). */
  exitAfterLastSend(): void;
}

export function processIpcSender(): IpcSender {
  let lastSent: Promise<void> = Promise.resolve();
  return {
    send(message: unknown): void {
      if (!process.connected) return;
      lastSent = new Promise((resolve) => process.send!(message, undefined, undefined, () => resolve()));
    },
    exitAfterLastSend(): void {
      void lastSent.then(() => process.exit(0));
    },
  };
}
