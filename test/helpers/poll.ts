/**
 * Waiting for what happens in the background (a delivery retried, a status written, a
 * process's log line): poll until the getter has a value.
 */

export interface PollOptions {
  /** Fail after this long (default 30 s). */
  timeoutMs?: number;
  /** Between two looks (default 50 ms). */
  everyMs?: number;
}

/**
 * Calls `get` until it returns something other than `undefined`, and returns that. Throws
 * "timed out waiting for <what>" after `timeoutMs` (a number is taken as the timeout).
 */
export async function until<T>(what: string, get: () => Promise<T | undefined> | T | undefined, opts: PollOptions | number = {}): Promise<T> {
  const { timeoutMs = 30_000, everyMs = 50 } = typeof opts === 'number' ? { timeoutMs: opts } : opts;
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
