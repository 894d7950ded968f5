import { describe, expect, it } from 'vitest';
import { awaitsRating, effectivePriority, parseRating, pickAgent, priorityOf, queueOrder, RATING_WINDOW_MS, topicOf, wechatWindow, WECHAT_WINDOW_MS } from '../bots/index.js';
import type { Agent, Conversation } from '../store/index.js';

const T0 = new Date('2026-11-29T10:00:00Z');

function agent(id: string, over: Partial<Agent> = {}): Agent {
  return {
    id,
    email: `${id}@example.com`,
    name: id,
    role: 'agent',
    passwordHash: 'x',
    languages: ['en', 'zh'],
    skills: [],
    capacity: 4,
    status: 'online',
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

describe('hand-off routing rules', () => {
  it('maps intents to agent skills, small talk to none', () => {
    expect(topicOf('return_item')).toBe('returns');
    expect(topicOf('track_order')).toBe('orders');
    expect(topicOf('complaint')).toBe('escalations');
    expect(topicOf('greeting')).toBeUndefined();
    expect(topicOf(undefined)).toBeUndefined();
  });

  it('priority: the reason, +50 for a VIP, up to +20 for a negative mood', () => {
    expect(priorityOf('fallbacks', { vip: false })).toBe(10);
    expect(priorityOf('requested', { vip: false })).toBe(20);
    expect(priorityOf('requested', { vip: true })).toBe(70);
    expect(priorityOf('sentiment', { vip: false, sentiment: -1 })).toBe(50);
    expect(priorityOf('sentiment', { vip: false, sentiment: 0.8 })).toBe(30);
    expect(priorityOf('skill:returns', { vip: false })).toBe(20);
  });

  it('waiting ages a conversation one point per minute, so nobody waits for ever behind newer urgent ones', () => {
    const old = { id: 'a', priority: 10, queuedAt: new Date(T0.getTime() - 30 * 60_000) };
    const urgent = { id: 'b', priority: 30, queuedAt: T0 };
    expect(effectivePriority(old, T0)).toBe(40);
    expect(queueOrder([urgent, old], T0).map((c) => c.id)).toEqual(['a', 'b']);
    // Equal effective priority: who waited longer first.
    const x = { id: 'x', priority: 20, queuedAt: T0 };
    const y = { id: 'y', priority: 21, queuedAt: new Date(T0.getTime() + 60_000) };
    expect(queueOrder([y, x], new Date(T0.getTime() + 60_000)).map((c) => c.id)).toEqual(['x', 'y']);
  });

  it('picks an online agent who reads the language and has room, preferring the topic skill, then the least busy', () => {
    const en = agent('en-only', { languages: ['en'] });
    const returns = agent('returns', { skills: ['returns'], capacity: 2 });
    const idle = agent('idle', { capacity: 10 });
    const away = agent('away', { status: 'away', skills: ['returns'] });
    const loads = { 'en-only': 0, returns: 1, idle: 0 };
    // Topic skill wins over being idle.
    expect(pickAgent([en, returns, idle, away], loads, { language: 'zh', topic: 'returns', vip: false })?.id).toBe('returns');
    // Full agents are skipped.
    expect(pickAgent([returns, idle], { returns: 2, idle: 9 }, { language: 'zh', topic: 'returns', vip: false })?.id).toBe('idle');
    // Without a topic: least busy by load / capacity.
    expect(pickAgent([en, returns, idle], { 'en-only': 2, returns: 1, idle: 4 }, { language: 'en', vip: false })?.id).toBe('idle');
    // Nobody reads the language or has room: it waits.
    expect(pickAgent([en], {}, { language: 'zh', vip: false })).toBeUndefined();
    expect(pickAgent([away], {}, { language: 'zh', topic: 'returns', vip: false })).toBeUndefined();
    // A VIP goes to an agent with the vip skill when the topic does not decide.
    const vip = agent('vip', { skills: ['vip'] });
    expect(pickAgent([idle, vip], { idle: 0, vip: 2 }, { language: 'en', vip: true })?.id).toBe('vip');
  });

  it("WeChat's customer-service window is 48 hours after the shopper's last message", () => {
    const last = new Date(T0.getTime() - WECHAT_WINDOW_MS + 60_000);
    expect(wechatWindow(last, T0)).toEqual({ open: true, lastInboundAt: last, closesAt: new Date(T0.getTime() + 60_000) });
    expect(wechatWindow(last, new Date(T0.getTime() + 60_000)).open).toBe(false);
    expect(wechatWindow(null, T0)).toEqual({ open: false, lastInboundAt: null, closesAt: null });
  });

  it('reads a rating answer: the quick reply, or a bare score typed back; nothing else', () => {
    expect(parseRating('csat:4')).toEqual({ score: 4, explicit: true });
    for (const t of ['4', ' 4 ', '4分', '4 星', '4 stars', '4/5']) expect(parseRating(t), t).toEqual({ score: 4, explicit: false });
    for (const t of ['0', '6', 'csat:6', '45', 'order 4', '4 items please', '']) expect(parseRating(t), t).toBeUndefined();
  });

  it('a conversation awaits its rating when an agent resolved it within the window and nobody rated it yet', () => {
    const resolvedAt = new Date(T0.getTime() - 3600_000);
    const base = { status: 'resolved', queuedAt: new Date(T0.getTime() - 7200_000), resolvedAt } as Conversation;
    expect(awaitsRating(base, T0.getTime())).toBe(true);
    expect(awaitsRating({ ...base, rating: 5 }, T0.getTime())).toBe(false);
    expect(awaitsRating({ ...base, queuedAt: undefined }, T0.getTime())).toBe(false); // the bot resolved it: no question was asked
    expect(awaitsRating({ ...base, status: 'assigned' }, T0.getTime())).toBe(false);
    expect(awaitsRating(base, resolvedAt.getTime() + RATING_WINDOW_MS)).toBe(false);
  });
});
