/**
 * Wait until `check` holds, polling every `pollMs`; throws "timed out
 * waiting for <what>" after `timeoutMs`. For tests of things that happen on
 * the event loop (a socket, an engine, a timer) with no event to await.
 */
export async function eventually(check: () => boolean, what: string, timeoutMs = 5000, pollMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
