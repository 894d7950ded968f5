import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCannedResponses } from '../app/console/routes.js';
import { MAX_SUGGESTIONS, recentAsks, suggestReplies, tidyTitle, type KbPassage } from '../app/console/suggestions.js';
import type { Message } from '../store/index.js';

/**
 * Suggested replies for the agent (issue 15): from the shopper's latest messages in this
 * conversation, the newest weighted highest; knowledge-base passages and canned responses
 * ranked against them; nothing below the relevance bar; each title and text once. The
 * knowledge base here is a table (its own ranking is tested in test/knowledge); the canned
 * responses are the shipped file.
 */

const canned = loadCannedResponses(path.join(import.meta.dirname, '..', 'data', 'canned-responses.json'));

let seq = 0;
function msg(text: string, extra: Partial<Message> = {}): Message {
  seq++;
  return { id: `msg_${seq}`, conversationId: 'conv_a', customerId: 'cus_a', seq, direction: 'in', sender: 'customer', channel: 'web', text, createdAt: new Date(1_700_000_000_000 + seq * 1000), ...extra };
}

function passage(slug: string, score: number, title = slug, text = `About ${slug}.`): KbPassage {
  return { slug, title, text, url: `https://shop.example/help/${slug}`, score };
}

/** A knowledge base that answers each message from a table (substring of the message -> passages). */
function kbOf(table: Array<[string, KbPassage[]]>): (text: string) => Promise<KbPassage[]> {
  return async (text) => table.filter(([needle]) => text.includes(needle)).flatMap(([, hits]) => hits);
}

describe('the messages suggestions are drawn from', () => {
  it('the shopper’s latest messages of this conversation, newest first, with something to search for', () => {
    const messages = [
      msg('my jacket arrived torn'),
      msg('where is order SA100123?', { intent: 'track_order' }),
      msg('what about the other one', { conversationId: 'conv_b' }),
      msg('I want to talk to a human', { intent: 'human_agent' }),
      msg('4321'),
      msg('SA100124'),
      msg('ok', { direction: 'out', sender: 'bot' }),
      msg('My jacket arrived torn'),
      msg('hello? anyone there?', { intent: 'greeting' }),
      msg('can I get a refund for it?'),
    ];
    expect(recentAsks(messages, 'conv_a')).toEqual(['can I get a refund for it?', 'My jacket arrived torn', 'where is order ?']);
    expect(recentAsks(messages, 'conv_a', 1)).toEqual(['can I get a refund for it?']);
    expect(recentAsks(messages, 'conv_b')).toEqual(['what about the other one']);
    expect(recentAsks([], 'conv_a')).toEqual([]);
  });

  it('reads at most four messages', () => {
    const messages = ['one thing', 'two things', 'three things', 'four things', 'five things'].map((t) => msg(t));
    expect(recentAsks(messages, 'conv_a')).toEqual(['five things', 'four things', 'three things', 'two things']);
  });
});

describe('ranking', () => {
  it('the newest message counts most: its passage comes first even when an older one matched as well', async () => {
    const kb = kbOf([
      ['refund', [passage('refund-timing', 0.7)]],
      ['torn', [passage('damaged-or-wrong-item', 0.7)]],
    ]);
    const s = await suggestReplies({ asks: ['can I get a refund for it?', 'my jacket arrived torn'], locale: 'en', kb, canned: [] });
    expect(s.map((x) => x.slug)).toEqual(['refund-timing', 'damaged-or-wrong-item']);
    expect(s[0]!.score).toBeGreaterThan(s[1]!.score);
    // The other way round when the order of the messages is.
    const t = await suggestReplies({ asks: ['my jacket arrived torn', 'can I get a refund for it?'], locale: 'en', kb, canned: [] });
    expect(t.map((x) => x.slug)).toEqual(['damaged-or-wrong-item', 'refund-timing']);
  });

  it('an article several recent messages point to ranks above one only the newest matched as well', async () => {
    const kb = kbOf([
      ['parcel', [passage('delayed-or-lost-parcel', 0.6), passage('delivery-times', 0.62)]],
      ['lost', [passage('delayed-or-lost-parcel', 0.6)]],
    ]);
    const s = await suggestReplies({ asks: ['where is my parcel', 'I think it got lost'], locale: 'en', kb, canned: [] });
    expect(s.map((x) => x.slug)).toEqual(['delayed-or-lost-parcel', 'delivery-times']);
  });

  it('passages below the knowledge base’s answer threshold are not offered', async () => {
    const kb = kbOf([['jacket', [passage('clothing-care', 0.29), passage('clothing-size-guide', 0.05)]]]);
    expect(await suggestReplies({ asks: ['which jacket'], locale: 'en', kb, canned: [] })).toEqual([]);
  });

  it('each title once, each text once, and no title repeating itself', async () => {
    const kb = kbOf([
      [
        'return',
        [
          passage('how-to-return', 0.9, 'How to return · How to return', 'Send it back within 7 days.'),
          passage('how-to-return-old', 0.8, 'How to return', 'The old page.'),
          passage('returns-copy', 0.7, 'Returning an item', 'Send it back within 7 days.'),
          passage('track-your-order', 0.6, 'Track your order · Track your order › What the order statuses mean', 'Statuses.'),
        ],
      ],
    ]);
    const s = await suggestReplies({ asks: ['how do I return this'], locale: 'en', kb, canned: [] });
    expect(s.map((x) => [x.slug, x.title])).toEqual([
      ['how-to-return', 'How to return'],
      ['track-your-order', 'Track your order · What the order statuses mean'],
    ]);
  });

  it('at most five, best first', async () => {
    const many = Array.from({ length: 9 }, (_, i) => passage(`article-${i}`, 0.9 - i * 0.05));
    const s = await suggestReplies({ asks: ['anything at all'], locale: 'en', kb: kbOf([['anything', many]]), canned: [] });
    expect(s).toHaveLength(MAX_SUGGESTIONS);
    expect(s.map((x) => x.slug)).toEqual(['article-0', 'article-1', 'article-2', 'article-3', 'article-4']);
  });

  it('no messages, no suggestions; a failing knowledge base still leaves the canned responses', async () => {
    expect(await suggestReplies({ asks: [], locale: 'en', kb: kbOf([]), canned })).toEqual([]);
    const s = await suggestReplies({
      asks: ['the item is broken, can I send you a photo of the packaging?'],
      locale: 'en',
      kb: async () => {
        throw new Error('index not loaded');
      },
      canned,
    });
    expect(s.map((x) => [x.source, x.title])).toEqual([['canned', 'Ask for a photo']]);
  });
});

describe('canned responses', () => {
  it('ranked against the messages with the knowledge base, in the conversation’s language only', async () => {
    const kb = kbOf([['broken', [passage('damaged-or-wrong-item', 0.8, 'Damaged or wrong item')]]]);
    const en = await suggestReplies({ asks: ['the headphones arrived broken, should I send a photo of the item?'], locale: 'en', kb, canned });
    expect(en.map((x) => [x.source, x.title])).toEqual([
      ['kb', 'Damaged or wrong item'],
      ['canned', 'Ask for a photo'],
    ]);
    expect(en[1]).toMatchObject({ id: 'photo', text: expect.stringContaining('photo of the item') });
    const zh = await suggestReplies({ asks: ['耳机坏了，我可以拍照片给你看商品和包装吗'], locale: 'zh', kb: kbOf([]), canned });
    expect(zh.map((x) => [x.source, x.title])).toEqual([['canned', '请求照片']]);
  });

  it('one shared word is not a match: "where is my order" does not pick "Ask for the order number"', async () => {
    expect(await suggestReplies({ asks: ['where is my order'], locale: 'en', kb: kbOf([]), canned })).toEqual([]);
    expect(await suggestReplies({ asks: ['hello? anyone there?'], locale: 'en', kb: kbOf([]), canned })).toEqual([]);
  });
});

describe('tidyTitle', () => {
  it.each([
    ['Delayed or lost parcels · Delayed or lost parcels', 'Delayed or lost parcels'],
    ['Track your order · Track your order › What the order statuses mean', 'Track your order · What the order statuses mean'],
    ['Returns · How to return › Step 2', 'Returns · How to return › Step 2'],
    ['退货 · 退货', '退货'],
    ['Plain title', 'Plain title'],
  ])('%j -> %j', (title, tidy) => {
    expect(tidyTitle(title)).toBe(tidy);
  });
});
