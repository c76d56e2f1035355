/**
 * How an engine process is started, wherever it is forked (the app's utility
 * process, the Node fork used by tests and the e2e harness, the benches).
 */

/**
 * V8 flags for a process that runs only the engine.
 *
 * `--max-semi-space-size=1` caps V8's young generation at 1 MiB per semi-space.
 * Left alone, V8 grows it from 4 to 32 MiB under a burst of connections and
 * keeps it: after 100,000 connections the engine's RSS stayed ~30 MiB above its
 * baseline with live heap unchanged. Capped, RSS after 100,000 connections was
 * within 0.3 MiB of the baseline (bench/lost-capture.ts), and keep-alive and
 * pipelined throughput did not measurably change (bench/run-bench.ts): the
 * engine allocates little per request, so the smaller nursery costs little.
 */
export const ENGINE_PROCESS_EXEC_ARGV: readonly string[] = Object.freeze(['--max-semi-space-size=1']);
