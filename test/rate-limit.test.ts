import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../bots/rate-limit.js';

describe('RateLimiter when its map is full', () => {
  it('never drops a draining bucket: a limited key stays limited and a new key is refused until the oldest refills', () => {
    let now = 0;
    // One token per key, refilling in 10 s.
    const rl = new RateLimiter({ burst: 1, perSecond: 0.1 }, () => now, 3);
    expect([rl.take('a'), rl.take('b'), rl.take('c')]).toEqual([true, true, true]);
    expect(rl.take('a')).toBe(false);
    // Full of draining buckets: the newcomer is refused (fail closed) and told when to come back.
    expect(rl.take('d')).toBe(false);
    expect(rl.retryAfter('d')).toBeGreaterThan(0);
    // ...and nobody lost their limit to make room for it.
    expect([rl.take('a'), rl.take('b'), rl.take('c')]).toEqual([false, false, false]);
    expect(rl.size).toBe(3);
    // 10 s on, the least recently used bucket has refilled: it makes room for the newcomer.
    now = 10_000;
    expect(rl.retryAfter('d')).toBe(0);
    expect(rl.take('d')).toBe(true);
    expect(rl.size).toBe(3);
  });

  it('makes room by dropping refilled buckets, least recently used first, keeping the active ones', () => {
    let now = 0;
    const rl = new RateLimiter({ burst: 2, perSecond: 1 }, () => now, 3);
    rl.take('idle-1');
    rl.take('idle-2');
    rl.take('busy');
    now = 1500;
    // 'busy' drains its bucket; 'idle-1' and 'idle-2' refill (2 tokens at 1/s: full after 1 s).
    expect([rl.take('busy'), rl.take('busy'), rl.take('busy')]).toEqual([true, true, false]);
    expect(rl.retryAfter('new-1')).toBe(0);
    expect(rl.take('new-1')).toBe(true);
    expect(rl.take('new-2')).toBe(true);
    expect(rl.size).toBe(3);
    // The active key kept its (empty) bucket through both evictions.
    expect(rl.take('busy')).toBe(false);
    // Full again, of draining buckets only: the next newcomer waits.
    expect(rl.take('new-3')).toBe(false);
  });

  it('uses the order of last use: a key used again moves behind the others', () => {
    let now = 0;
    const rl = new RateLimiter({ burst: 1, perSecond: 1 }, () => now, 2);
    rl.take('x');
    rl.take('y');
    now = 5000; // both refilled
    rl.take('x'); // x drains again and moves to the back
    expect(rl.take('z')).toBe(true); // y (front, refilled) makes room
    expect(rl.take('x')).toBe(false); // x kept its bucket
  });

  it('holds at most maxKeys buckets under a flood of distinct keys', () => {
    let now = 0;
    const rl = new RateLimiter({ burst: 5, perSecond: 5 }, () => now, 1000);
    let largest = 0;
    for (let i = 0; i < 50_000; i++) {
      now += 1; // each key has refilled 200 ms later, so the front makes room
      expect(rl.take(`ip-${i}`)).toBe(true);
      largest = Math.max(largest, rl.size);
    }
    expect(largest).toBe(1000);
    // The most recent keys are still tracked and limited.
    for (let j = 0; j < 4; j++) rl.take('ip-49999');
    expect(rl.take('ip-49999')).toBe(false);
  });
});
