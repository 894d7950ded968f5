/**
 * Link codes, the pure parts: the code's format (what shoppers type in English and Chinese),
 * the per-key guess windows' arithmetic on an injected clock, IP buckets, and the texts.
 * The store-backed parts (codes, the shared per-minute budget) are in linking-codes.int.test.ts,
 * the attack over HTTP in linking-attack.int.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { canonicalLinkCode, formatLinkCode, GuessWindows, ipBucket, LINK_CODE_ALPHABET, newLinkCode } from '../bots/linking.js';
import { understandBasics } from '../skills/basic.js';
import { linkedNotice } from '../skills/link.js';

describe('link code format', () => {
  it('issues 8 characters of the unambiguous alphabet, at least one a digit, shown as XXXX-XXXX', () => {
    expect(LINK_CODE_ALPHABET).toHaveLength(32);
    expect(LINK_CODE_ALPHABET).not.toMatch(/[ILOU]/);
    for (let i = 0; i < 500; i++) {
      const code = newLinkCode();
      expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
      expect(code).toMatch(/\d/);
      expect(formatLinkCode(code)).toBe(`${code.slice(0, 4)}-${code.slice(4)}`);
    }
    // A draw with no digit is drawn again (the NLU needs one to tell a code from a word).
    const draws = [...Array<number>(8).fill(10), ...[1, 2, 3, 4, 5, 6, 7, 8]];
    expect(newLinkCode(() => draws.shift()!)).toBe('12345678');
  });

  it('reads a code however it is typed: case, spaces, dashes, full-width, O/I/L for 0/1', () => {
    for (const typed of ['7KQ2-M9XD', '7kq2m9xd', '7KQ2 M9XD', ' 7k q2-m9 xd ', '７ＫＱ２－Ｍ９ＸＤ', '7KQ2\u3000M9XD', '7KQ2_M9XD', '7KQ2—M9XD']) {
      expect(canonicalLinkCode(typed), typed).toBe('7KQ2M9XD');
    }
    expect(canonicalLinkCode('O1IL-0000')).toBe('01110000');
    expect(canonicalLinkCode('olil 0000')).toBe('01110000');
  });

  it('refuses what is not a code shape (wrong length, letters outside the alphabet, old 6-digit codes)', () => {
    for (const typed of ['482913', '7KQ2-M9X', '7KQ2-M9XDD', '7KQ2-M9XU', '7KQ2-M9X!', '', 'x'.repeat(100)]) {
      expect(canonicalLinkCode(typed), typed).toBeNull();
    }
    expect(canonicalLinkCode(undefined)).toBeNull();
    expect(canonicalLinkCode({ toString: () => '7KQ2M9XD' })).toBeNull();
  });

  it('the keyword fast path finds the code in English and Chinese, and only with a digit in it', () => {
    const code = (text: string) => {
      const u = understandBasics(text);
      return u.intent === 'link_account' ? (u.entities[0] ?? null) : 'not link_account';
    };
    expect(code('link')).toBeNull();
    expect(code('绑定')).toBeNull();
    expect(code('link my account')).toBeNull();
    expect(code('link 7kq2-m9xd')).toMatchObject({ type: 'link_code', value: '7KQ2M9XD', text: '7kq2-m9xd', start: 5, end: 14 });
    expect(code('绑定 7KQ2 M9XD')).toMatchObject({ value: '7KQ2M9XD', text: '7KQ2 M9XD' });
    expect(code('绑定账号：7KQ2-M9XD。')).toMatchObject({ value: '7KQ2M9XD' });
    expect(code('绑定７ＫＱ２－Ｍ９ＸＤ')).toMatchObject({ value: '7KQ2M9XD', text: '７ＫＱ２－Ｍ９ＸＤ' });
    expect(code('link my account 7KQ2M9XD!')).toMatchObject({ value: '7KQ2M9XD' });
    // An old-style or mistyped code is still an attempt: the linker answers that it is not valid.
    expect(code('link 482913')).toMatchObject({ value: '482913' });
    // Words are not codes.
    expect(code('link my wechat')).toBe('not link_account');
    expect(code('link to the app')).toBe('not link_account');
  });

  it('answers a long message of spaces at once (the old pattern backtracked cubically on it)', () => {
    // With the 6-digit pattern this message took minutes: every split of the spaces was tried.
    expect(understandBasics(`link${' '.repeat(5000)}x`).intent).toBe('out_of_scope');
    expect(understandBasics(`link account${' '.repeat(5000)}x`).intent).toBe('out_of_scope');
    expect(understandBasics(`link ${'1 '.repeat(3000)}x`).intent).toBe('out_of_scope');
  });
});

describe('GuessWindows (per customer, per IP)', () => {
  it('allows `limit` failures per window opened by the first one, then refuses until it ends', () => {
    let now = 1_000_000;
    const w = new GuessWindows(3, 600_000, () => now);
    expect([w.take('a'), w.take('a'), w.take('a'), w.take('a')]).toEqual([true, true, true, false]);
    expect(w.blockedFor('a')).toBe(600_000);
    expect(w.blockedFor('b')).toBe(0);
    now += 599_999;
    expect(w.blockedFor('a')).toBe(1);
    expect(w.take('a')).toBe(false);
    now += 1;
    expect(w.blockedFor('a')).toBe(0);
    expect(w.take('a')).toBe(true);
    expect(w.blockedFor('a')).toBe(0);
  });

  it('gives back a guess that succeeded, so only failures count', () => {
    const w = new GuessWindows(2, 60_000, () => 0);
    for (let i = 0; i < 10; i++) {
      expect(w.take('shopper')).toBe(true);
      w.giveBack('shopper');
    }
    expect([w.take('shopper'), w.take('shopper'), w.take('shopper')]).toEqual([true, true, false]);
    w.giveBack('nobody'); // no window: nothing to give back, nothing created
    expect(w.blockedFor('nobody')).toBe(0);
  });

  it('drops ended windows from the front without touching live ones, and stays within maxKeys', () => {
    let now = 0;
    const w = new GuessWindows(1, 1000, () => now, 100);
    for (let i = 0; i < 50; i++) w.take(`old${i}`);
    now = 500;
    for (let i = 0; i < 10; i++) w.take(`live${i}`);
    expect(w.size).toBe(60);
    now = 1200; // the `old` windows ended, the `live` ones did not
    w.take('new');
    expect(w.size).toBe(11);
    expect(w.blockedFor('live3')).toBe(300);
    for (let i = 0; i < 500; i++) w.take(`flood${i}`);
    expect(w.size).toBeLessThanOrEqual(100);
  });

  it('refuses nonsense limits', () => {
    expect(() => new GuessWindows(0, 1000)).toThrow(/limit/);
    expect(() => new GuessWindows(1, 0)).toThrow(/windowMs/);
  });
});

describe('ipBucket', () => {
  it('keeps IPv4 as it is, maps IPv4-mapped IPv6 to IPv4, and counts IPv6 by its /64', () => {
    expect(ipBucket('203.0.113.7')).toBe('203.0.113.7');
    expect(ipBucket('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(ipBucket('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(ipBucket('2001:0db8:0001:0002::1')).toBe('2001:db8:1:2::/64');
    expect(ipBucket('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(ipBucket('::1')).toBe('0:0:0:0::/64');
    expect(ipBucket('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(ipBucket('2001:db8:1:2::ffff:1.2.3.4')).toBe('2001:db8:1:2::/64');
    expect(ipBucket('not an ip')).toBe('not an ip');
  });
});

describe('link texts', () => {
  it('tells the owner in their language which channel was linked, with "talk to a person"', () => {
    const en = linkedNotice('en', 'wechat');
    expect(en.text).toBe('Your account was just linked with a WeChat account. If this was not you, reply "Talk to a human" right away and our team will help.');
    expect(en.suggestedActions?.actions).toEqual([{ type: 'imBack', title: 'Talk to a person', value: 'Talk to a human' }]);
    const zh = linkedNotice('zh', 'web');
    expect(zh.text).toBe('您的账号刚刚与网站客服账号绑定。如果不是您本人操作，请立即回复"转人工"联系客服。');
    expect(zh.locale).toBe('zh-CN');
    expect(zh.suggestedActions?.actions).toEqual([{ type: 'imBack', title: '转人工', value: '转人工' }]);
  });
});
