/**
 * The engine's settings that people see (CLI flags, app settings), with their
 * defaults. Kept apart from engine.ts so that code which only needs the
 * numbers (argument parsing, settings validation) does not load koffi.
 */

/** Body bytes kept per record (raw and decoded); the full length is always counted. */
export const DEFAULT_CAPTURE_BODY_BYTES = 1024 * 1024;
/** Largest request body accepted before 413 (bodies are streamed, not held, so this can be large). */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024 * 1024;
export const DEFAULT_MAX_CONNECTIONS = 10_000;
/** A head must complete this long after its first byte, or 408. */
export const DEFAULT_HEAD_TIMEOUT_MS = 30_000;
/** A body that receives nothing for this long gets 408 and is closed. */
export const DEFAULT_BODY_TIMEOUT_MS = 60_000;
/** A keep-alive connection with no request in progress is closed after this long. */
export const DEFAULT_IDLE_TIMEOUT_MS = 120_000;
