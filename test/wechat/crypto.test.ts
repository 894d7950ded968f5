import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { WeChatCrypto } from '../../channels/wechat/crypto.js';
import { wechatSignature } from '../../channels/wechat/signature.js';
import { isShopError } from '../../store/index.js';

// WeChat's WXBizMsgCrypt sample parameters.
const SAMPLE = {
  token: 'pamtest',
  encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  appId: 'wxb11529c136998cb6',
};
const SAMPLE_XML =
  '<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName><FromUserName><![CDATA[gh_7f083739789a]]></FromUserName><CreateTime>1407743423</CreateTime><MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></MediaId><Title><![CDATA[testCallBackReplyVideo]]></Title><Description><![CDATA[testCallBackReplyVideo]]></Description></Video></xml>';
// The sample's ciphertext of SAMPLE_XML with the random prefix "aaaabbbbccccdddd" (checked
// independently with `openssl enc -d -aes-256-cbc -nopad`).
const SAMPLE_CIPHERTEXT =
  'jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkupqcEcW7ZQweImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvFb3tYPKAlHF3rtTeayNf0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04sq7KZI27OcqpQNSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+xRTQwr92vhA9OxchWVINGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDahxAJ6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/LqRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtnX8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb';

const KEY = Buffer.from(`${SAMPLE.encodingAESKey}=`, 'base64');

/** The documented layout, built here without the code under test. */
function independentEncrypt(plain: Buffer, opts: { padTo?: number; badPad?: Buffer } = {}): string {
  const padTo = opts.padTo ?? 32;
  const n = padTo - (plain.length % padTo);
  const padded = Buffer.concat([plain, opts.badPad ?? Buffer.alloc(n, n)]);
  const c = createCipheriv('aes-256-cbc', KEY, KEY.subarray(0, 16));
  c.setAutoPadding(false);
  return Buffer.concat([c.update(padded), c.final()]).toString('base64');
}

function layout(msg: string, appId: string, lengthOverride?: number): Buffer {
  const body = Buffer.from(msg, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(lengthOverride ?? body.length);
  return Buffer.concat([randomBytes(16), len, body, Buffer.from(appId, 'utf8')]);
}

function independentDecrypt(encrypt: string): Buffer {
  const d = createDecipheriv('aes-256-cbc', KEY, KEY.subarray(0, 16));
  d.setAutoPadding(false);
  return Buffer.concat([d.update(Buffer.from(encrypt, 'base64')), d.final()]);
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isShopError(err) ? err.code : `not a ShopError: ${String(err)}`;
  }
  return undefined;
}

describe('WeChatCrypto', () => {
  const crypto = new WeChatCrypto(SAMPLE);

  it("reproduces WeChat's published sample ciphertext byte for byte", () => {
    const fixed = new WeChatCrypto({ ...SAMPLE, randomBytes: () => Buffer.from('aaaabbbbccccdddd') });
    const out = fixed.encrypt(SAMPLE_XML, '1409304348', 'xxxxxx');
    expect(out.encrypt).toBe(SAMPLE_CIPHERTEXT);
    expect(out.msgSignature).toBe(wechatSignature('pamtest', '1409304348', 'xxxxxx', SAMPLE_CIPHERTEXT));
    expect(crypto.decrypt(SAMPLE_CIPHERTEXT)).toBe(SAMPLE_XML);
  });

  it("decrypts and verifies WeChat's URL-verification sample (another key and id)", () => {
    const c = new WeChatCrypto({ token: 'QDG6eK', encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', appId: 'wx5823bf96d3bd56c7' });
    const echostr = 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==';
    expect(c.verify('5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3', '1409659589', '263014780', echostr)).toBe(true);
    expect(c.decrypt(echostr)).toBe('1616140317555161061');
  });

  it('round-trips, and signs what it encrypts', () => {
    const xml = '<xml><Content><![CDATA[你好，世界 👋]]></Content></xml>';
    const out = crypto.encrypt(xml, '1700000000', '12345');
    expect(out).toMatchObject({ timestamp: '1700000000', nonce: '12345' });
    expect(out.msgSignature).toBe(wechatSignature(SAMPLE.token, '1700000000', '12345', out.encrypt));
    expect(crypto.verify(out.msgSignature, out.timestamp, out.nonce, out.encrypt)).toBe(true);
    expect(crypto.decrypt(out.encrypt)).toBe(xml);
  });

  it('defaults timestamp to now and nonce to a random number, and uses fresh randomness each time', () => {
    const a = crypto.encrypt('<xml/>');
    const b = crypto.encrypt('<xml/>');
    expect(Math.abs(Number(a.timestamp) - Date.now() / 1000)).toBeLessThan(5);
    expect(a.nonce).toMatch(/^\d+$/);
    expect(a.encrypt).not.toBe(b.encrypt);
  });

  it('writes the documented layout (checked by an independent decryption)', () => {
    const msg = '<xml>layout ✓</xml>';
    const plain = independentDecrypt(crypto.encrypt(msg).encrypt);
    expect(plain.length % 32).toBe(0);
    const pad = plain[plain.length - 1] ?? 0;
    expect(pad).toBeGreaterThanOrEqual(1);
    expect(pad).toBeLessThanOrEqual(32);
    const unpadded = plain.subarray(0, plain.length - pad);
    const len = unpadded.readUInt32BE(16);
    expect(len).toBe(Buffer.byteLength(msg));
    expect(unpadded.subarray(20, 20 + len).toString('utf8')).toBe(msg);
    expect(unpadded.subarray(20 + len).toString('utf8')).toBe(SAMPLE.appId);
  });

  it('decrypts a message encrypted independently by the documented layout', () => {
    for (const msg of ['', 'x', '<xml><Content><![CDATA[中文]]></Content></xml>', 'y'.repeat(1000)]) {
      expect(crypto.decrypt(independentEncrypt(layout(msg, SAMPLE.appId)))).toBe(msg);
    }
  });

  it('refuses a message for another appId', () => {
    expect(codeOf(() => crypto.decrypt(independentEncrypt(layout('<xml/>', 'wx_someone_else'))))).toBe('unauthorized');
    // A prefix of our appId is not our appId either.
    expect(codeOf(() => crypto.decrypt(independentEncrypt(layout('<xml/>', SAMPLE.appId.slice(0, -1)))))).toBe('unauthorized');
  });

  it('refuses bad padding', () => {
    const plain = layout('<xml/>', SAMPLE.appId);
    const n = 32 - (plain.length % 32);
    const inconsistent = Buffer.alloc(n, n);
    inconsistent[0] = n - 1 || 2;
    expect(codeOf(() => crypto.decrypt(independentEncrypt(plain, { badPad: inconsistent })))).toBe('unauthorized');
    const zero = Buffer.alloc(n, 0);
    expect(codeOf(() => crypto.decrypt(independentEncrypt(plain, { badPad: zero })))).toBe('unauthorized');
    // Over-long padding: a valid message followed by 48 bytes of 48. PKCS#7 with K = 32
    // never pads more than 32, so this is not WeChat's, even though every byte is consistent.
    const aligned = layout('0123456789', SAMPLE.appId); // 16 + 4 + 10 + 18 = 48 bytes
    expect(aligned.length % 16).toBe(0);
    expect(codeOf(() => crypto.decrypt(independentEncrypt(aligned, { badPad: Buffer.alloc(48, 48) })))).toBe('unauthorized');
    // The same message with correct padding decrypts.
    expect(crypto.decrypt(independentEncrypt(aligned))).toBe('0123456789');
  });

  it('refuses a length field that runs past the message', () => {
    const lying = layout('<xml/>', SAMPLE.appId, 10_000);
    expect(codeOf(() => crypto.decrypt(independentEncrypt(lying)))).toBe('unauthorized');
    expect(() => crypto.decrypt(independentEncrypt(lying))).toThrow(/length/);
  });

  it('refuses tampered ciphertext: the signature no longer matches, and damage to length or padding fails decryption', () => {
    const out = crypto.encrypt('<xml><Content><![CDATA[pay 10]]></Content></xml>', '1700000000', '1');
    const bytes = Buffer.from(out.encrypt, 'base64');

    const flippedFirst = Buffer.from(bytes);
    flippedFirst[0] = (flippedFirst[0] ?? 0) ^ 0x80; // garbles block 1 and flips the length's top bit
    const tampered = flippedFirst.toString('base64');
    expect(crypto.verify(out.msgSignature, out.timestamp, out.nonce, tampered)).toBe(false);
    expect(codeOf(() => crypto.decrypt(tampered))).toBe('unauthorized');

    const flippedLast = Buffer.from(bytes);
    flippedLast[flippedLast.length - 1] = (flippedLast[flippedLast.length - 1] ?? 0) ^ 0x01; // garbles the padding block
    expect(codeOf(() => crypto.decrypt(flippedLast.toString('base64')))).toBe('unauthorized');

    expect(codeOf(() => crypto.decrypt(bytes.subarray(16).toString('base64')))).toBe('unauthorized');
  });

  it('refuses an Encrypt value that is not base64 of whole blocks as a bad request', () => {
    expect(codeOf(() => crypto.decrypt(''))).toBe('bad_request');
    expect(codeOf(() => crypto.decrypt('not base64 at all!'))).toBe('bad_request');
    expect(codeOf(() => crypto.decrypt(Buffer.alloc(20).toString('base64')))).toBe('bad_request');
  });

  it('refuses an EncodingAESKey that is not 43 characters of base64', () => {
    for (const encodingAESKey of ['', 'short', `${SAMPLE.encodingAESKey}A`, SAMPLE.encodingAESKey.slice(1), `${SAMPLE.encodingAESKey.slice(1)}!`]) {
      let err: unknown;
      try {
        new WeChatCrypto({ ...SAMPLE, encodingAESKey });
      } catch (e) {
        err = e;
      }
      expect(isShopError(err, 'config_invalid')).toBe(true);
      expect((err as Error).message).toMatch(/WECHAT_ENCODING_AES_KEY must be 43 characters/);
    }
    expect(codeOf(() => new WeChatCrypto({ ...SAMPLE, token: '' }))).toBe('config_invalid');
    expect(codeOf(() => new WeChatCrypto({ ...SAMPLE, appId: '' }))).toBe('config_invalid');
  });

  it('builds the encrypted reply envelope WeChat expects', () => {
    const reply = '<xml><Content><![CDATA[hi ]]]]><![CDATA[>]]></Content></xml>';
    const xml = crypto.encryptedReplyXml(reply, '1700000001', 'n0nce');
    const doc = new XMLParser({ parseTagValue: false }).parse(xml) as { xml: Record<string, string> };
    expect(Object.keys(doc.xml).sort()).toEqual(['Encrypt', 'MsgSignature', 'Nonce', 'TimeStamp']);
    expect(doc.xml['TimeStamp']).toBe('1700000001');
    expect(doc.xml['Nonce']).toBe('n0nce');
    expect(doc.xml['MsgSignature']).toBe(wechatSignature(SAMPLE.token, '1700000001', 'n0nce', doc.xml['Encrypt'] ?? ''));
    expect(crypto.decrypt(doc.xml['Encrypt'] ?? '')).toBe(reply);
    expect(codeOf(() => crypto.encryptedReplyXml(reply, '17<x>', 'n'))).toBe('bad_request');
  });
});
