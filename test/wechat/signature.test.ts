import { describe, expect, it } from 'vitest';
import { verifySignature, wechatSignature } from '../../channels/wechat/signature.js';

describe('wechatSignature', () => {
  it('signs token, timestamp and nonce sorted and concatenated (plain mode)', () => {
    // Parameters of WeChat's WXBizMsgCrypt sample. Expected value computed outside Node with
    // coreutils: printf '1409304348pamtestxxxxxx' | sha1sum
    expect(wechatSignature('pamtest', '1409304348', 'xxxxxx')).toBe('76480565cbe296026c53aaacd1ad523a1ddba24f');
  });

  it('includes the Encrypt value in msg_signature (WeChat sample vector)', () => {
    // The URL-verification example of WeChat's WXBizMsgCrypt sample code.
    const echostr = 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==';
    expect(wechatSignature('QDG6eK', '1409659589', '263014780', echostr)).toBe('5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3');
  });

  it('does not depend on the order the parts are given in', () => {
    expect(wechatSignature('b', 'c', 'a')).toBe(wechatSignature('a', 'b', 'c'));
  });
});

describe('verifySignature', () => {
  const sig = '76480565cbe296026c53aaacd1ad523a1ddba24f';

  it('accepts the right signature, in either case', () => {
    expect(verifySignature(sig, 'pamtest', '1409304348', 'xxxxxx')).toBe(true);
    expect(verifySignature(sig.toUpperCase(), 'pamtest', '1409304348', 'xxxxxx')).toBe(true);
  });

  it('refuses a signature made with another token, timestamp or nonce', () => {
    expect(verifySignature(sig, 'other-token', '1409304348', 'xxxxxx')).toBe(false);
    expect(verifySignature(sig, 'pamtest', '1409304349', 'xxxxxx')).toBe(false);
    expect(verifySignature(sig, 'pamtest', '1409304348', 'xxxxxy')).toBe(false);
  });

  it('refuses a plain signature offered as msg_signature', () => {
    expect(verifySignature(sig, 'pamtest', '1409304348', 'xxxxxx', 'ciphertext')).toBe(false);
  });

  it('refuses missing, short, long and non-hex signatures without throwing', () => {
    expect(verifySignature(undefined, 'pamtest', '1409304348', 'xxxxxx')).toBe(false);
    expect(verifySignature('', 'pamtest', '1409304348', 'xxxxxx')).toBe(false);
    expect(verifySignature(sig.slice(0, 39), 'pamtest', '1409304348', 'xxxxxx')).toBe(false);
    expect(verifySignature(`${sig}0`, 'pamtest', '1409304348', 'xxxxxx')).toBe(false);
    expect(verifySignature(`${sig.slice(0, 39)}g`, 'pamtest', '1409304348', 'xxxxxx')).toBe(false);
    expect(verifySignature('é'.repeat(40), 'pamtest', '1409304348', 'xxxxxx')).toBe(false);
  });
});
