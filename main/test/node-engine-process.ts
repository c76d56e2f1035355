/**
 * Test adapter: the real engine entry (build/server/utility-entry.js) in a
 * child_process.fork'ed Node process, driven as an EngineProcess. The entry's
 * plain-Node fallback serves over the IPC channel ('advanced' serialization
 * keeps the batches' typed arrays), so the supervisor is tested against a real
 * engine that can really be killed.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { EngineProcess, ForkEngine } from '../engine-supervisor';
import { ENGINE_PROCESS_EXEC_ARGV } from '../../common/engine-process';

/** build/main/test → build/server/utility-entry.js */
export const ENGINE_ENTRY = join(__dirname, '..', '..', 'server', 'utility-entry.js');

export interface NodeEngineForker {
  fork: ForkEngine;
  /** Every child forked so far, in order (tests kill them by pid). */
  children: ChildProcess[];
  /** Kill whatever is still running (test cleanup). */
  killAll(): void;
}

export function nodeEngineForker(entry = ENGINE_ENTRY): NodeEngineForker {
  const children: ChildProcess[] = [];
  const forkOne = (): EngineProcess => {
    const child = fork(entry, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [...ENGINE_PROCESS_EXEC_ARGV] });
    children.push(child);
    const send = (message: unknown): void => {
      if (child.connected) child.send(message as object);
    };
    return {
      start: send,
      send,
      kill: () => void child.kill('SIGTERM'),
      onMessage: (listener) => void child.on('message', listener),
      onExit: (listener) => void child.on('exit', (code, signal) => listener({ code, signal })),
    };
  };
  return {
    fork: forkOne,
    children,
    killAll: () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    },
  };
}
