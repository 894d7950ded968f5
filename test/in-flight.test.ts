import { describe, expect, it } from 'vitest';
import { InFlight } from '../app/in-flight.js';
import { Readiness } from '../app/readiness.js';

describe('InFlight', () => {
  it('drains at once when idle', async () => {
    await expect(new InFlight().drain(10)).resolves.toBe(true);
  });

  it('waits for work to end, and ending twice counts once', async () => {
    const f = new InFlight();
    const end1 = f.begin();
    const end2 = f.begin();
    const drained = f.drain(5000);
    end1();
    end1();
    expect(f.size).toBe(1);
    end2();
    await expect(drained).resolves.toBe(true);
    expect(f.size).toBe(0);
  });

  it('gives up after the timeout', async () => {
    const f = new InFlight();
    f.begin();
    await expect(f.drain(20)).resolves.toBe(false);
  });
});

describe('Readiness', () => {
  it('is ready only when every check passes, and reports why not', async () => {
    const r = new Readiness();
    r.add('a', async () => ({ ok: true }));
    r.add('b', async () => {
      throw new Error('db down');
    });
    const result = await r.evaluate();
    expect(result.ready).toBe(false);
    expect(result.checks['b']).toEqual({ ok: false, detail: 'db down' });
  });

  it('times out a hanging check and reports draining', async () => {
    const r = new Readiness();
    r.add('slow', () => new Promise(() => {}));
    r.markDraining();
    const result = await r.evaluate(30);
    expect(result.checks['slow']).toEqual({ ok: false, detail: 'timed out after 30 ms' });
    expect(result.checks['shutdown']).toEqual({ ok: false, detail: 'draining' });
  });
});
