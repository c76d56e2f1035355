/**
 * Bounded polling for conditions that become true asynchronously (a row that
 * appears, a count that settles). Never used to measure time.
 */

export const WAIT_TIMEOUT_MS = 10_000;
const POLL_MS = 50;

/**
 * Call `probe` until it returns something other than undefined, and return
 * that; after `timeoutMs` throw with `what` and the last value seen by `describe`.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs?: number; describe?: () => Promise<string> | string } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? WAIT_TIMEOUT_MS);
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const seen = options.describe ? `; last seen: ${await options.describe()}` : '';
      throw new Error(`timed out waiting for ${what}${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
