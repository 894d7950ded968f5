import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../bots/rate-limit.js';
import { issueVisitorToken, signIdentityToken, verifyIdentityToken, verifyVisitorToken } from '../channels/web/tokens.js';
import { understandBasics } from '../skills/basic.js';
import { detectLanguage } from '../skills/language.js';

describe('RateLimiter', () => {
  it('allows a burst, then refills at the rate', () => {
    let now = 0;
    const rl = new RateLimiter({ burst: 3, perSecond: 1 }, () => now);
    expect([rl.take('a'), rl.take('a'), rl.take('a'), rl.take('a')]).toEqual([true, true, true, false]);
    expect(rl.retryAfter('a')).toBe(1);
    expect(rl.take('b')).toBe(true);
    now = 1000;
    expect(rl.take('a')).toBe(true);
    expect(rl.take('a')).toBe(false);
  });

  it('keeps memory bounded', () => {
    const rl = new RateLimiter({ burst: 1, perSecond: 0.001 }, () => 0, 10);
    for (let i = 0; i < 100; i++) rl.take(`k${i}`);
    expect(rl.take('k99')).toBe(false);
    expect(rl.take('k0')).toBe(false); // still draining: never dropped to make room (test/rate-limit.test.ts)
  });
});

describe('web tokens', () => {
  const secret = 'a-secret-of-at-least-thirty-two-chars!';
  it('verifies its own visitor tokens and rejects tampering', () => {
    const { token, visitorId } = issueVisitorToken(secret);
    expect(verifyVisitorToken(secret, token)).toBe(visitorId);
    expect(verifyVisitorToken('another-secret-of-thirty-two-chars!!', token)).toBeNull();
    const parts = token.split('.');
    parts[1] = 'v_' + 'f'.repeat(32);
    expect(verifyVisitorToken(secret, parts.join('.'))).toBeNull();
    expect(verifyVisitorToken(secret, 'garbage')).toBeNull();
  });

  it('checks identity tokens: signature, expiry, shape', () => {
    const now = 1_800_000_000;
    const good = signIdentityToken(secret, 'cus.with.dots', now + 60);
    expect(verifyIdentityToken(secret, good, now)).toEqual({ ok: true, customerId: 'cus.with.dots' });
    expect(verifyIdentityToken(secret, good, now + 61)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyIdentityToken('wrong-secret-wrong-secret-wrong-secret', good, now)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyIdentityToken(secret, 'a.b.c', now)).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('language and basics', () => {
  it('detects zh and en, tolerating brands and order numbers', () => {
    expect(detectLanguage('我的订单SA100001到哪了', 'en')).toBe('zh');
    expect(detectLanguage('北境 Aero 3 女款公路跑鞋 Northpace 有货吗', 'en')).toBe('zh');
    expect(detectLanguage('where is my order SA100001', 'zh')).toBe('en');
    expect(detectLanguage('100001', 'zh')).toBe('zh');
  });

  it('understands greetings, help and link commands with their code', () => {
    expect(understandBasics('Hello!').intent).toBe('greeting');
    expect(understandBasics('你好').intent).toBe('greeting');
    expect(understandBasics('link 482913')).toMatchObject({ intent: 'link_account', entities: [{ type: 'link_code', value: '482913' }] });
    expect(understandBasics('绑定 482913')).toMatchObject({ intent: 'link_account', entities: [{ value: '482913' }] });
    expect(understandBasics('link my account')).toMatchObject({ intent: 'link_account', entities: [] });
    expect(understandBasics('where is my parcel').intent).toBe('out_of_scope');
  });
});
