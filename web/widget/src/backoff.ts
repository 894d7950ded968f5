/**
 * Reconnect delay: exponential, capped, with "equal jitter" (half fixed, half random) so a
 * server restart is not met by every widget reconnecting in the same instant.
 */
export function backoffDelay(attempt: number, random: () => number = Math.random, baseMs = 500, capMs = 30_000): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
