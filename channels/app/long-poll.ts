import type { EventBus } from '../../bots/index.js';

export interface LongPollOptions<T> {
  events: EventBus;
  conversationId: string;
  afterSeq: number;
  waitMs: number;
  /** Aborted when the client goes away or the server shuts down: answer with what there is. */
  signal: AbortSignal;
  /** Reads the messages after `afterSeq` from the store (the source of truth, in seq order). */
  read: () => Promise<T[]>;
}

/**
 * Answers at once when the store has messages after `afterSeq`; otherwise waits up to
 * `waitMs` for a message of the conversation to be published, then reads the store again.
 * It subscribes BEFORE the first read, so a message stored between the read and the wait
 * still wakes it; the subscription and the timer are always released.
 */
export async function longPoll<T>(opts: LongPollOptions<T>): Promise<T[]> {
  let wake: () => void = () => {};
  const woken = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const unsubscribe = opts.events.subscribe((event) => {
    if (event.type === 'message' && event.message.conversationId === opts.conversationId && event.message.seq > opts.afterSeq) wake();
  });
  let timer: NodeJS.Timeout | undefined;
  const onAbort = () => wake();
  try {
    const first = await opts.read();
    if (first.length > 0 || opts.waitMs <= 0 || opts.signal.aborted) return first;
    opts.signal.addEventListener('abort', onAbort, { once: true });
    timer = setTimeout(wake, opts.waitMs);
    await woken;
    return await opts.read();
  } finally {
    clearTimeout(timer);
    opts.signal.removeEventListener('abort', onAbort);
    unsubscribe();
  }
}
