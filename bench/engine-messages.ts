/**
 * Messages between the bench runner (parent) and bench/engine-server (the
 * forked child that runs the engine). Record batches travel as they are
 * (RecordBatch objects, told apart with isRecordBatch); everything else is one
 * of these small control messages.
 */

/** Parent -> child. */
export type RunnerToEngine = { type: 'stop' } | { type: 'stats' };

/** Child -> parent. */
export type EngineToRunner =
  /** `readiness` is the engine's readiness source (koffi poll or worker thread), for the report. */
  | { type: 'listening'; port: number; readiness?: string }
  | { type: 'stats'; stats: Record<string, number> }
  /** Sent after engine.stop() resolved: every batch was sent before it. */
  | { type: 'stopped' }
  | { type: 'error'; message: string };

function isObjectWithType(value: unknown): value is { type: unknown } {
  return typeof value === 'object' && value !== null && 'type' in value;
}

export function isRunnerToEngine(value: unknown): value is RunnerToEngine {
  return isObjectWithType(value) && (value.type === 'stop' || value.type === 'stats');
}

export function isEngineToRunner(value: unknown): value is EngineToRunner {
  if (!isObjectWithType(value)) return false;
  const v = value as Record<string, unknown>;
  switch (v.type) {
    case 'listening':
      return typeof v.port === 'number';
    case 'stats':
      return typeof v.stats === 'object' && v.stats !== null;
    case 'stopped':
      return true;
    case 'error':
      return typeof v.message === 'string';
    default:
      return false;
  }
}

/** Keep the numeric fields of whatever engine.stats() returns (nested objects flattened with dots). */
export function numericFields(value: unknown, prefix = '', out: Record<string, number> = {}, depth = 0): Record<string, number> {
  if (typeof value !== 'object' || value === null || depth > 4) return out;
  for (const [key, field] of Object.entries(value)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (typeof field === 'number') out[name] = field;
    else if (typeof field === 'object' && field !== null) numericFields(field, name, out, depth + 1);
  }
  return out;
}
