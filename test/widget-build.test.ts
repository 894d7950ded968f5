import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { buildWidget } from '../web/widget/build.js';
import { backoffDelay } from '../web/widget/src/backoff.js';
import { MessageStore } from '../web/widget/src/message-store.js';
import { parseServerFrame, type WireMessage } from '../web/widget/src/protocol.js';

const wire = (over: Partial<WireMessage>): WireMessage => ({
  id: 'm1',
  seq: 1,
  conversationId: 'c1',
  direction: 'out',
  sender: 'bot',
  channel: 'web',
  text: 'hi',
  createdAt: '2026-11-01T10:00:00.000Z',
  ...over,
});

describe('widget bundle', () => {
  it('is one small ES2019 script that defines window.ShopAssistant', async () => {
    const js = await buildWidget();
    expect(js.length).toBeGreaterThan(10_000);
    expect(js.length).toBeLessThan(60 * 1024);
    expect(js).not.toMatch(/^\s*(import|export)\s/m);
    expect(js).toContain('ShopAssistant');
    expect(js).toContain('shop-assistant:visitor');
    // ES2019: no optional chaining or nullish coalescing left for old browsers to choke on.
    expect(js).not.toMatch(/\?\.[a-zA-Z_$[(]/);
    expect(js).not.toContain('??');
    // Runs without a DOM until the page is ready, and defines the page API.
    const listeners: string[] = [];
    const window: Record<string, unknown> = {};
    const context = vm.createContext({
      window,
      URL,
      HTMLScriptElement: class {},
      document: {
        body: null,
        currentScript: null,
        querySelectorAll: () => [],
        addEventListener: (type: string) => listeners.push(type),
      },
      location: { href: 'https://shop.example/', origin: 'https://shop.example' },
      navigator: { language: 'zh-CN' },
    });
    vm.runInContext(js, context);
    const api = window['ShopAssistant'] as Record<string, unknown> | undefined;
    expect(api).toBeDefined();
    expect(Object.keys(api!).sort()).toEqual(['close', 'open', 'send', 'setLocale']);
    expect(listeners).toEqual(['DOMContentLoaded']);
  });
});

describe('widget transcript model', () => {
  it('dedupes server messages by id across history replays', () => {
    const s = new MessageStore();
    expect(s.apply(wire({}), false).result).toBe('added');
    expect(s.apply(wire({}), false).result).toBe('duplicate');
    expect(s.apply(wire({ id: 'm2', seq: 2, createdAt: '2026-11-01T10:00:01.000Z' }), true).result).toBe('added');
    expect(s.items().map((i) => i.key)).toEqual(['m1', 'm2']);
  });

  it('matches our message with its live echo and then its ack: one row', () => {
    const s = new MessageStore();
    s.addLocal({ clientId: 'c-1', text: 'hello', now: Date.parse('2026-11-01T10:00:00Z') });
    s.setStatus('c-1', 'sending');
    const echo = s.apply(wire({ id: 'srv-1', direction: 'in', sender: 'customer', text: 'hello' }), true);
    expect(echo.result).toBe('matched');
    s.apply(wire({ id: 'srv-2', seq: 2, text: 'Hi!', createdAt: '2026-11-01T10:00:01.000Z' }), true);
    s.ack('c-1', 'srv-1', 1);
    expect(s.items().map((i) => [i.key, i.status ?? null])).toEqual([
      ['c-1', 'sent'],
      ['srv-2', null],
    ]);
  });

  it('keeps one row when history brings our message before the resent ack does', () => {
    const s = new MessageStore();
    s.addLocal({ clientId: 'c-1', text: 'hello' });
    s.setStatus('c-1', 'sending');
    // The socket died before the ack; the replay has the stored copy (not matched: not live).
    s.apply(wire({ id: 'srv-1', direction: 'in', sender: 'customer', text: 'hello' }), false);
    expect(s.size).toBe(2);
    const { removedKey } = s.ack('c-1', 'srv-1', 1);
    expect(removedKey).toBe('srv-1');
    expect(s.items().map((i) => i.key)).toEqual(['c-1']);
  });

  it('never takes an old stored message for a queued one with the same text', () => {
    const s = new MessageStore();
    s.apply(wire({ id: 'old', direction: 'in', sender: 'customer', text: 'hello' }), false);
    s.addLocal({ clientId: 'c-2', text: 'hello' });
    expect(s.apply(wire({ id: 'old', direction: 'in', sender: 'customer', text: 'hello' }), true).result).toBe('duplicate');
    expect(s.unsent().map((i) => i.key)).toEqual(['c-2']);
  });

  it('keeps unsent messages last, but a failed one where it was sent', () => {
    const s = new MessageStore();
    s.addLocal({ clientId: 'failed', text: 'nope', now: Date.parse('2026-11-01T09:59:00Z') });
    s.setStatus('failed', 'failed', 'refused');
    s.addLocal({ clientId: 'queued', text: 'later' });
    s.apply(wire({}), false);
    expect(s.items().map((i) => i.key)).toEqual(['failed', 'm1', 'queued']);
  });

  it('polls after the newest seq of the web conversation only', () => {
    const s = new MessageStore();
    s.apply(wire({ id: 'a', seq: 7, conversationId: 'wechat-conv' }), false);
    s.apply(wire({ id: 'b', seq: 3, conversationId: 'c1' }), false);
    expect(s.latestSeq('c1')).toBe(3);
  });
});

describe('widget protocol edge', () => {
  it('ignores frames it does not understand instead of throwing', () => {
    expect(parseServerFrame('not json')).toBeUndefined();
    expect(parseServerFrame('{"type":"message","message":{"id":1}}')).toBeUndefined();
    expect(parseServerFrame('{"type":"future-thing"}')).toBeUndefined();
    const card: unknown = { id: 'p', title: 'Shoe', label: 'sponsored', actions: [{ title: 'Buy', url: 'https://x' }, { bad: 1 }] };
    const f = parseServerFrame(JSON.stringify({ type: 'message', message: { ...wire({}), cards: [card, { title: 'no id' }] } }));
    expect(f).toMatchObject({ type: 'message', message: { cards: [{ id: 'p', label: 'sponsored', actions: [{ title: 'Buy', url: 'https://x' }] }] } });
  });

  it('backs off exponentially with jitter, capped', () => {
    expect(backoffDelay(0, () => 0)).toBe(250);
    expect(backoffDelay(0, () => 1)).toBe(500);
    expect(backoffDelay(3, () => 0.5)).toBe(3000);
    expect(backoffDelay(20, () => 1)).toBe(30_000);
  });
});
