/**
 * Reading a bench's settings from environment variables (a bad value stops
 * the bench with a message that names the variable and its range), and the
 * entry point that does it.
 */

/** An integer setting in [min, max]; `fallback` when unset or blank. */
export function intEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
  return value;
}

/**
 * A bench's entry point: read its settings (a bad one prints `name: message`
 * and exits 2), run it, and exit with its status (1, with the stack, when it
 * throws).
 */
export function runBenchMain<T>(name: string, readOptions: () => T, run: (options: T) => Promise<number>): void {
  const main = async (): Promise<number> => {
    let options: T;
    try {
      options = readOptions();
    } catch (err) {
      console.error(`${name}: ${err instanceof Error ? err.message : String(err)}`);
      return 2;
    }
    return run(options);
  };
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exit(1);
    },
  );
}
