/**
 * Reading a bench's settings from environment variables: a bad value stops
 * the bench with a message that names the variable and its range.
 */

/** An integer setting in [min, max]; `fallback` when unset or blank. */
export function intEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
  return value;
}
